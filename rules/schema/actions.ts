// Actions: what a rule does. Each names its kind with `action:` (HA 2024.10+ spelling); a mapping keyed by the
// kind instead (`- delay: 5m`, HA's building-block form) gets a message saying how to write it here.

import { ACTION_TYPES, LOG_LEVELS, type Action, type ActionType, type ChooseOption } from '../types.js';
import type { SchemaContext } from './context.js';
import { readDuration, readPublishTopic, readTemplate, readTemplateValue } from './fields.js';
import { readCondition, readConditions } from './conditions.js';
import { readKind } from './kinds.js';
import { compact, readBoolean, readChoice, readInteger, readList, readMap, readName, readString, type Field, type MapReader } from './reader.js';

const RULE_ID = /^[a-z0-9][a-z0-9_-]*$/;

const HA_KINDS: Record<string, string> = {
  'mqtt.publish': "use 'publish'",
  wait_template: "use 'wait' with 'for'",
  wait_for_trigger: "use 'wait' with 'for' (a condition)",
  'automation.trigger': "use 'run' with 'rule'",
  'system_log.write': "use 'log'",
};

type Spec = { keys: string[]; read: (m: MapReader) => Action | undefined };

const SPECS: Record<ActionType, Spec> = {
  publish: {
    keys: ['topic', 'payload', 'qos', 'retain'],
    read: (m) => ({
      action: 'publish',
      topic: m.req('topic', readPublishTopic)!,
      payload: m.opt('payload', readTemplateValue),
      qos: m.opt('qos', (ctx, f) => readInteger(ctx, f, 0, 2)) as 0 | 1 | 2 | undefined,
      retain: m.opt('retain', readBoolean),
    }),
  },
  set: {
    keys: ['device', 'property', 'value'],
    read: (m) => ({
      action: 'set',
      device: m.req('device', readTemplate)!,
      property: m.opt('property', readName),
      value: m.req('value', readTemplateValue)!,
    }),
  },
  delay: {
    keys: ['duration'],
    read: (m) => ({ action: 'delay', duration: m.req('duration', (ctx, f) => readDuration(ctx, f))! }),
  },
  wait: {
    keys: ['for', 'timeout', 'continue_on_timeout'],
    read: (m) => ({
      action: 'wait',
      for: m.req('for', readCondition, ' (a condition or an expression)')!,
      timeout: m.opt('timeout', (ctx, f) => readDuration(ctx, f)),
      continue_on_timeout: m.opt('continue_on_timeout', readBoolean),
    }),
  },
  choose: {
    keys: ['options', 'default'],
    read: (m) => ({
      action: 'choose',
      options: m.req('options', (ctx, f) => readList(ctx, f)?.map((item) => readOption(ctx, item)!))!,
      default: m.opt('default', readActions),
    }),
  },
  if: {
    keys: ['conditions', 'then', 'else'],
    read: (m) => ({
      action: 'if',
      conditions: m.req('conditions', readConditions)!,
      then: m.req('then', readActions)!,
      else: m.opt('else', readActions),
    }),
  },
  notify: {
    keys: ['message', 'title', 'webhook', 'secret'],
    read: (m) => {
      if (m.has('secret') && !m.has('webhook')) m.ctx.report(m.keyNode('secret'), [...m.path, 'secret'], "'secret' signs the 'webhook' POST; add 'webhook' or remove it");
      return {
        action: 'notify',
        message: m.req('message', readTemplate)!,
        title: m.opt('title', readTemplate),
        webhook: m.opt('webhook', readWebhook),
        secret: m.opt('secret', (ctx, f) => {
          const secret = readString(ctx, f);
          if (secret !== undefined && secret.length < 16) return void ctx.report(f.node, f.path, 'secret: at least 16 characters (e.g. `openssl rand -hex 16`)');
          return secret;
        }),
      };
    },
  },
  run: {
    keys: ['rule'],
    read: (m) => ({ action: 'run', rule: m.req('rule', readRuleId)! }),
  },
  log: {
    keys: ['message', 'level'],
    read: (m) => ({
      action: 'log',
      message: m.req('message', readTemplate)!,
      level: m.opt('level', (ctx, f) => readChoice(ctx, f, LOG_LEVELS)),
    }),
  },
};

function readOption(ctx: SchemaContext, field: Field): ChooseOption | undefined {
  const m = readMap(ctx, field, 'a choice (a mapping with conditions and actions)');
  if (!m) return undefined;
  m.checkKeys(['conditions', 'actions'], { sequence: "use 'actions'" });
  return { conditions: m.req('conditions', readConditions)!, actions: m.req('actions', readActions)! };
}

function readWebhook(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    ok = false;
  }
  if (!ok) ctx.report(field.node, field.path, `invalid webhook ${JSON.stringify(text)}: use an http:// or https:// URL`);
  return ok ? text : undefined;
}

export function readRuleId(ctx: SchemaContext, field: Field): string | undefined {
  const id = readString(ctx, field, true);
  if (id === undefined) return undefined;
  if (RULE_ID.test(id) && id.length <= 64) return id;
  ctx.report(field.node, field.path, `invalid rule id ${JSON.stringify(id)}: use lowercase letters, digits, - and _ (at most 64)`);
  return undefined;
}

export function readAction(ctx: SchemaContext, field: Field): Action | undefined {
  const m = readMap(ctx, field, 'an action (a mapping with action: TYPE)');
  if (!m) return undefined;
  const kind = readKind(m, 'action', ACTION_TYPES, HA_KINDS);
  if (!kind) return undefined;
  const spec = SPECS[kind];
  m.checkKeys(['action', 'alias', ...spec.keys], { data: 'write the fields (topic, payload, ...) directly under the action', target: "use 'device'" });
  const alias = m.opt('alias', readName);
  const body = spec.read(m);
  // Key order for files written by ruleToYaml: the kind first, then the alias, then the fields.
  return body && (compact({ ...{ action: body.action, alias }, ...body }) as Action);
}

/** A list of actions (or one action standing for a list of one). */
export function readActions(ctx: SchemaContext, field: Field): Action[] | undefined {
  return readList(ctx, field, true)?.map((item) => readAction(ctx, item)!);
}

/** The keys each action kind accepts, as the validator checks them (the editor's completion and key reference). */
export const ACTION_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(SPECS).map(([kind, spec]) => [kind, ['action', 'alias', ...(spec as Spec).keys]]),
);
