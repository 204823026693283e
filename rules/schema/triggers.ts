// Triggers: one entry per kind with its keys and its reader. Adding a trigger kind is one entry here and one in
// types.ts. Cross-checks: exactly one source for numeric, a sensible range, unique ids.

import { TRIGGER_TYPES, AVAILABILITIES, SUN_EVENTS, type Trigger, type TriggerType } from '../types.js';
import type { SchemaContext } from './context.js';
import { formatPath } from './context.js';
import { readCron, readDuration, readExpression, readStateValue, readTimezone, readTopicPattern } from './fields.js';
import { readKind } from './kinds.js';
import { compact, readBoolean, readChoice, readList, readMap, readName, readNumber, readString, type Field, type MapReader } from './reader.js';

const HA_KINDS: Record<string, string> = {
  numeric_state: "rumah calls it 'numeric'",
  time: "use 'cron' (e.g. expression: \"0 7 * * *\")",
  time_pattern: "use 'cron' (e.g. expression: \"*/15 * * * *\")",
  homeassistant: "use 'start'",
  template: "use an 'mqtt' trigger with 'match', or 'numeric' with 'value'",
};

const KEY_HINTS: Record<string, string> = {
  entity_id: "use 'device' (a device id or the topic it reports on)",
  attribute: "use 'property'",
  value_template: "use 'match' (mqtt) or 'value' (numeric), without {{ }} if you like",
  at: "use a 'cron' trigger with 'expression'",
};

/**
 * `device` or `topic`, the same for every device-related trigger (rules/triggers/device-source.ts): exactly one.
 * For numeric, `topic` reads the messages themselves (and `property` goes with `device` only); for state, event and
 * availability it selects the devices whose topic matches.
 */
const DEVICES_HINT = "needs 'device' (a device id, or the topic it reports on) or 'topic' (a topic filter: + and # select several devices)";

function readAddress(m: MapReader, missing = DEVICES_HINT): { device?: string; topic?: string } {
  const { ctx } = m;
  const device = m.opt('device', readName);
  const topic = m.opt('topic', (c, f) => (readTopicPattern(c, f) ? readString(c, f) : undefined));
  if (!m.has('device') && !m.has('topic')) ctx.report(m.node, m.path, missing);
  if (m.has('device') && m.has('topic')) ctx.report(m.keyNode('topic'), [...m.path, 'topic'], "use either 'device' or 'topic', not both");
  return { device, topic };
}

const deviceAndProperty = (m: MapReader): { device?: string; topic?: string; property: string | undefined } => ({
  ...readAddress(m),
  property: m.opt('property', readName),
});

const stateValues = (ctx: SchemaContext, field: Field) =>
  readList(ctx, field, true)?.map((item) => readStateValue(ctx, item) ?? null);

type Spec = { keys: string[]; read: (m: MapReader) => Omit<Trigger, 'id'> | undefined };

const SPECS: Record<TriggerType, Spec> = {
  mqtt: {
    keys: ['topic', 'payload', 'match'],
    read: (m) => ({
      trigger: 'mqtt',
      topic: m.req('topic', (ctx, f) => (readTopicPattern(ctx, f) ? readString(ctx, f) : undefined))!,
      payload: m.opt('payload', (ctx, f) => readString(ctx, f, true)),
      match: m.opt('match', readExpression),
    }),
  },
  state: {
    keys: ['device', 'topic', 'property', 'from', 'to', 'for'],
    read: (m) => ({
      trigger: 'state',
      ...deviceAndProperty(m),
      from: m.opt('from', stateValues),
      to: m.opt('to', stateValues),
      for: m.opt('for', (ctx, f) => readDuration(ctx, f)),
    }) as Omit<Trigger, 'id'>,
  },
  numeric: { keys: ['device', 'property', 'topic', 'value', 'above', 'below', 'hysteresis', 'for'], read: readNumeric },
  cron: {
    keys: ['expression', 'timezone', 'catch_up'],
    read: (m) => ({
      trigger: 'cron',
      expression: m.req('expression', readCron)!,
      timezone: m.opt('timezone', readTimezone),
      catch_up: m.opt('catch_up', readBoolean),
    }),
  },
  sun: {
    keys: ['event', 'offset'],
    read: (m) => ({
      trigger: 'sun',
      event: m.req('event', (ctx, f) => readChoice(ctx, f, SUN_EVENTS))!,
      offset: m.opt('offset', (ctx, f) => readDuration(ctx, f, true)),
    }),
  },
  event: {
    keys: ['device', 'topic', 'property', 'value'],
    read: (m) => ({ trigger: 'event', ...deviceAndProperty(m), value: m.opt('value', readStateValue) }) as Omit<Trigger, 'id'>,
  },
  availability: {
    keys: ['device', 'topic', 'to', 'for'],
    read: (m) => ({
      trigger: 'availability',
      ...readAddress(m),
      to: m.opt('to', (ctx, f) => readChoice(ctx, f, AVAILABILITIES)),
      for: m.opt('for', (ctx, f) => readDuration(ctx, f)),
    }),
  },
  start: { keys: [], read: () => ({ trigger: 'start' }) },
  webhook: {
    keys: ['webhook_id', 'secret'],
    read: (m) => ({
      trigger: 'webhook',
      webhook_id: m.req('webhook_id', (ctx, f) => {
        const id = readString(ctx, f);
        if (id !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return void ctx.report(f.node, f.path, 'webhook_id: 1 to 64 letters, digits, - or _ (it is a URL path segment)');
        return id;
      })!,
      secret: m.req('secret', (ctx, f) => {
        const secret = readString(ctx, f);
        if (secret !== undefined && secret.length < 16) return void ctx.report(f.node, f.path, 'secret: at least 16 characters (e.g. `openssl rand -hex 16`)');
        return secret;
      })!,
    }),
  },
};

function readNumeric(m: MapReader): Omit<Trigger, 'id'> {
  const { ctx } = m;
  const { device, topic } = readAddress(m, "needs 'device' (a device's property) or 'topic' (any message)");
  if (m.has('property') && !m.has('device')) ctx.report(m.keyNode('property'), [...m.path, 'property'], "'property' goes with 'device'");
  const range = readRange(m);
  const hysteresis = m.opt('hysteresis', readNumber);
  if (hysteresis !== undefined && hysteresis < 0) ctx.report(m.field('hysteresis')!.node, [...m.path, 'hysteresis'], 'hysteresis must be 0 or more');
  return {
    trigger: 'numeric',
    device,
    property: m.opt('property', readName),
    topic,
    value: m.opt('value', readExpression),
    ...range,
    hysteresis,
    for: m.opt('for', (c, f) => readDuration(c, f)),
  } as Omit<Trigger, 'id'>;
}

/** above/below: at least one; with both, above < below (a band). Shared with the numeric condition. */
export function readRange(m: MapReader): { above?: number; below?: number } {
  const above = m.opt('above', readNumber);
  const below = m.opt('below', readNumber);
  if (!m.has('above') && !m.has('below')) m.ctx.report(m.node, m.path, "needs 'above', 'below' or both");
  if (above !== undefined && below !== undefined && above >= below) {
    m.ctx.report(m.field('above')!.node, [...m.path, 'above'], `above (${above}) must be less than below (${below}): the value must be above AND below`);
  }
  return { above, below };
}

export function readTrigger(ctx: SchemaContext, field: Field): Trigger | undefined {
  const m = readMap(ctx, field, 'a trigger (a mapping with trigger: TYPE)');
  if (!m) return undefined;
  const kind = readKind(m, 'trigger', TRIGGER_TYPES, HA_KINDS);
  if (!kind) return undefined;
  const spec = SPECS[kind];
  m.checkKeys(['trigger', 'id', ...spec.keys], KEY_HINTS);
  const id = m.opt('id', readName);
  if (id !== undefined) {
    const first = ctx.triggerIds.get(id);
    if (first !== undefined) ctx.report(m.field('id')!.node, [...m.path, 'id'], `duplicate trigger id '${id}' (already used by ${first})`);
    else ctx.triggerIds.set(id, formatPath(m.path));
  }
  const body = spec.read(m);
  // Key order for files written by ruleToYaml: the kind first, then the id, then the fields.
  return body && (compact({ ...{ trigger: body.trigger, id }, ...body }) as Trigger);
}

/** The keys each trigger kind accepts, as the validator checks them (the editor's completion and key reference). */
export const TRIGGER_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(SPECS).map(([kind, spec]) => [kind, ['trigger', 'id', ...(spec as Spec).keys]]),
);
