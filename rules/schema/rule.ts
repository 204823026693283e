// The rule as a whole: its top-level keys, defaults, the keep block, and the checks that need the whole rule
// (something to react to, something to do, `max` only where it means something).

import { isSeq } from 'yaml';
import { RULE_MODES, type Keep, type KeepTarget, type Rule } from '../types.js';
import type { SchemaContext } from './context.js';
import { readActions, readRuleId } from './actions.js';
import { readConditions } from './conditions.js';
import { readStateFilter, readTemplateValue } from './fields.js';
import { compact, readBoolean, readChoice, readInteger, readList, readMap, readName, readString, type Field, type MapReader } from './reader.js';
import { readTrigger } from './triggers.js';

export const RULE_KEYS = ['id', 'name', 'description', 'enabled', 'mode', 'max', 'catch_up', 'triggers', 'conditions', 'actions', 'keep'] as const;

const RULE_KEY_HINTS: Record<string, string> = {
  alias: "use 'name'",
  trigger: "use 'triggers' (a list)",
  condition: "use 'conditions' (a list)",
  action: "use 'actions' (a list)",
  max_exceeded: 'rumah records runs over max in the trace; there is nothing to set',
  variables: 'not supported: use expressions where the value is needed',
  use_blueprint: 'blueprints are not supported',
};

/** HA queued/parallel default. */
const DEFAULT_MAX = 10;

export function readRule(ctx: SchemaContext, field: Field, defaultId: string | undefined): Rule | undefined {
  if (isSeq(field.node)) {
    ctx.report(field.node, [], "a rule file holds one rule (a mapping), not a list; Home Assistant's automations.yaml is a list: put each rule in its own file");
    return undefined;
  }
  const m = readMap(ctx, field, 'a rule (a mapping with triggers and actions)');
  if (!m) return undefined;
  m.checkKeys(RULE_KEYS, RULE_KEY_HINTS);

  let id = m.opt('id', readRuleId);
  if (!m.has('id')) {
    if (defaultId !== undefined) id = defaultId;
    else ctx.report(m.node, [], "missing required key 'id' (the file name is not a valid id: use lowercase letters, digits, - and _)");
  }
  const mode = m.opt('mode', (c, f) => readChoice(c, f, RULE_MODES)) ?? 'single';
  let max = m.opt('max', (c, f) => readInteger(c, f, 1, 1000));
  if (m.has('max') && mode !== 'queued' && mode !== 'parallel') {
    ctx.report(m.keyNode('max'), ['max'], `'max' applies to mode queued or parallel, not ${mode}`);
  }
  if (max === undefined && (mode === 'queued' || mode === 'parallel')) max = DEFAULT_MAX;

  const triggers = m.opt('triggers', (c, f) => readList(c, f, true)?.map((item) => readTrigger(c, item)!)) ?? [];
  // Conditions and actions come after triggers: `condition: trigger` checks ids against them.
  const conditions = m.opt('conditions', (c, f) => readConditions(c, f)) ?? [];
  const actions = m.opt('actions', readActions) ?? [];
  const keep = m.opt('keep', readKeep);

  if (!m.has('keep')) {
    if (triggers.length === 0) ctx.report(m.field('triggers')?.node ?? m.node, m.has('triggers') ? ['triggers'] : [], 'a rule needs at least one trigger (or a keep block)');
    if (actions.length === 0) ctx.report(m.field('actions')?.node ?? m.node, m.has('actions') ? ['actions'] : [], 'a rule needs at least one action (or a keep block)');
  }
  return compact({
    id: id!,
    name: m.opt('name', readName) ?? id!,
    description: m.opt('description', (c, f) => readString(c, f)),
    enabled: m.opt('enabled', readBoolean) ?? true,
    mode,
    max,
    catch_up: m.opt('catch_up', readBoolean),
    triggers,
    conditions,
    actions,
    keep,
  });
}

export const KEEP_KEYS = ['while', 'state'] as const;
export const KEEP_STATE_KEYS = ['device', 'filter', 'property', 'value'] as const;

function readKeep(ctx: SchemaContext, field: Field): Keep | undefined {
  const m = readMap(ctx, field, "a keep block (a mapping with 'while' and 'state')");
  if (!m) return undefined;
  m.checkKeys(KEEP_KEYS);
  return {
    // No `while`: always keep.
    while: m.opt('while', (c, f) => readConditions(c, f)) ?? [],
    state: m.req('state', (c, f) => readList(c, f, true)?.map((item) => readKeepTarget(c, item)!))!,
  };
}

function readKeepTarget(ctx: SchemaContext, field: Field): KeepTarget | undefined {
  const m: MapReader | undefined = readMap(ctx, field, 'a state to keep (device or filter, property, value)');
  if (!m) return undefined;
  m.checkKeys(KEEP_STATE_KEYS);
  if (m.has('device') === m.has('filter')) {
    ctx.report(m.node, m.path, m.has('device') ? "use either 'device' or 'filter', not both" : "needs 'device' (one device) or 'filter' (a topic filter or area:FLOOR/ROOM)");
  }
  return compact({
    device: m.opt('device', readName),
    filter: m.opt('filter', readStateFilter),
    property: m.opt('property', readName),
    value: m.req('value', readTemplateValue)!,
  });
}
