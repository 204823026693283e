// Conditions: state, numeric, time window, and/or/not, expressions and trigger ids. A plain string in a condition
// list is an expression (HA's template shorthand), so `- "{{ count('ourhome/+/+/light', 'on') > 3 }}"` works.

import { isScalar } from 'yaml';
import { CONDITION_TYPES, WEEKDAYS, type Condition, type ConditionType } from '../types.js';
import type { SchemaContext } from './context.js';
import { readDuration, readExpression, readStateValue, readTimeOfDay } from './fields.js';
import { readKind } from './kinds.js';
import { compact, readChoice, readList, readMap, readName, type Field, type MapReader } from './reader.js';
import { readRange } from './triggers.js';

const HA_KINDS: Record<string, string> = {
  numeric_state: "rumah calls it 'numeric'",
  template: "use 'expression' (or write the expression as a plain string in the list)",
  sun: "use 'time' with after/before, or an expression",
  zone: 'zones are not part of rumah',
};

const KEY_HINTS: Record<string, string> = {
  entity_id: "use 'device' (a device id or the topic it reports on)",
  attribute: "use 'property'",
  value_template: "use 'expression'",
};

type Spec = { keys: string[]; read: (m: MapReader) => Condition | undefined };

const nested = (kind: 'and' | 'or' | 'not'): Spec => ({
  keys: ['conditions'],
  read: (m) => ({ condition: kind, conditions: m.req('conditions', (ctx, f) => readConditions(ctx, f, true))! }),
});

const SPECS: Record<ConditionType, Spec> = {
  state: {
    keys: ['device', 'property', 'state', 'for'],
    read: (m) => ({
      condition: 'state',
      device: m.req('device', readName)!,
      property: m.opt('property', readName),
      state: m.req('state', (ctx, f) => readList(ctx, f, true)?.map((item) => readStateValue(ctx, item) ?? null))!,
      for: m.opt('for', (ctx, f) => readDuration(ctx, f)),
    }),
  },
  numeric: {
    keys: ['device', 'property', 'value', 'above', 'below'],
    read: (m) => ({
      condition: 'numeric',
      device: m.req('device', readName)!,
      property: m.opt('property', readName),
      value: m.opt('value', readExpression),
      ...readRange(m),
    }),
  },
  time: {
    keys: ['after', 'before', 'weekday'],
    read(m) {
      if (!m.has('after') && !m.has('before') && !m.has('weekday')) m.ctx.report(m.node, m.path, "needs 'after', 'before' or 'weekday'");
      return {
        condition: 'time',
        after: m.opt('after', readTimeOfDay),
        before: m.opt('before', readTimeOfDay),
        weekday: m.opt('weekday', (ctx, f) => readList(ctx, f, true)?.map((day) => readChoice(ctx, day, WEEKDAYS)!)),
      };
    },
  },
  and: nested('and'),
  or: nested('or'),
  not: nested('not'),
  expression: {
    keys: ['expression'],
    read: (m) => ({ condition: 'expression', expression: m.req('expression', readExpression)! }),
  },
  trigger: {
    keys: ['id'],
    read: (m) => ({
      condition: 'trigger',
      id: m.req('id', (ctx, f) => readList(ctx, f, true)?.map((item) => readTriggerId(ctx, item)!))!,
    }),
  },
};

/** A trigger id this rule declares (triggers are read before conditions, so the ids are all known). */
function readTriggerId(ctx: SchemaContext, field: Field): string | undefined {
  const id = readName(ctx, field);
  if (id === undefined || ctx.triggerIds.has(id)) return id;
  const known = [...ctx.triggerIds.keys()];
  ctx.report(field.node, field.path, known.length === 0 ? `unknown trigger id '${id}': no trigger of this rule has an id` : `unknown trigger id '${id}'; this rule's trigger ids: ${known.join(', ')}`);
  return undefined;
}

export function readCondition(ctx: SchemaContext, field: Field): Condition | undefined {
  if (isScalar(field.node) && typeof field.node.value === 'string') {
    const expression = readExpression(ctx, field);
    return expression === undefined ? undefined : { condition: 'expression', expression };
  }
  const m = readMap(ctx, field, 'a condition (a mapping with condition: TYPE, or an expression string)');
  if (!m) return undefined;
  const kind = readKind(m, 'condition', CONDITION_TYPES, HA_KINDS);
  if (!kind) return undefined;
  const spec = SPECS[kind];
  m.checkKeys(['condition', ...spec.keys], KEY_HINTS);
  const condition = spec.read(m);
  return condition && compact(condition);
}

/** A list of conditions (or one condition standing for a list of one). `nonEmpty` for and/or/not. */
export function readConditions(ctx: SchemaContext, field: Field, nonEmpty = false): Condition[] | undefined {
  const items = readList(ctx, field, true);
  if (!items) return undefined;
  if (nonEmpty && items.length === 0) ctx.report(field.node, field.path, 'needs at least one condition');
  return items.map((item) => readCondition(ctx, item)!);
}

/** The keys each condition kind accepts, as the validator checks them (the editor's completion and key reference). */
export const CONDITION_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(SPECS).map(([kind, spec]) => [kind, ['condition', ...(spec as Spec).keys]]),
);
