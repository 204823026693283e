// trigger: mqtt — a message on a topic filter. `{name}` levels bind variables; `payload` must equal the text;
// `match` must be truthy. Messages whose topic does not match never reach the rule (the feeds' trie), so only
// the payload and match tests leave "did not fire" traces.

import type { MqttMessage } from '../../server/core/events.js';
import { compileExpression, isExpressionError, truthy, type CompiledExpression } from '../expressions/index.js';
import { show } from '../engine/describe.js';
import { parseTopicPattern, topicMatches, type TopicPattern } from '../topics.js';
import type { MqttTrigger } from '../types.js';
import { payloadVars, topicVars } from './message-vars.js';
import { triggerVar, type DryResult, type TriggerKind, type Vars } from './types.js';

interface Compiled {
  pattern: TopicPattern;
  match?: CompiledExpression;
}

function compile(config: MqttTrigger): Compiled {
  const parsed = parseTopicPattern(config.topic);
  if (!parsed.ok) throw new Error(`invalid topic filter ${config.topic}: ${parsed.message}`);
  return { pattern: parsed.pattern, match: config.match === undefined ? undefined : compileExpression(config.match) };
}

function varsOf(ctx: { index: number; id?: string }, c: Compiled, topic: string, levels: readonly string[], payload: string, msg?: MqttMessage): Vars {
  const named = c.pattern.variables.length ? topicVars(c.pattern, levels) : undefined;
  const vars: Vars = { ...named, topic, ...payloadVars(payload) };
  vars.trigger = triggerVar(ctx, 'mqtt', { topic, payload, qos: msg?.qos, retain: msg?.retain, ...named });
  return vars;
}

/** undefined when it fires; otherwise why not. Throws ExpressionError from `match`. */
function refusal(config: MqttTrigger, c: Compiled, vars: Vars, host: Parameters<CompiledExpression['evaluate']>[1]): string | undefined {
  if (config.payload !== undefined && vars.payload !== config.payload) {
    return `payload did not match: got ${show(vars.payload)}, wanted ${show(config.payload)}`;
  }
  if (c.match && !truthy(c.match.evaluate(vars, host))) return `match was false: ${config.match} (payload ${show(vars.payload)})`;
  return undefined;
}

export const mqttTrigger: TriggerKind<MqttTrigger> = {
  attach(ctx, config, fire) {
    const c = compile(config);
    return ctx.feeds.mqtt(c.pattern.filter, (msg, levels, cause) => {
      const vars = varsOf(ctx, c, msg.topic, levels, msg.payload.toString('utf8'), msg);
      let why: string | undefined;
      try {
        why = refusal(config, c, vars, ctx.devices);
      } catch (err) {
        if (!isExpressionError(err)) throw err;
        ctx.miss(`match failed: ${err.message}`, vars, { code: err.code, message: err.message });
        return;
      }
      if (why) ctx.miss(why, vars);
      else fire({ vars, cause, description: `message on ${msg.topic}: ${show(vars.payload)}` });
    });
  },

  test(ctx, config, input): DryResult {
    if (input.kind !== 'message') return { fired: false, reason: 'an mqtt trigger fires on messages, not state changes' };
    const c = compile(config);
    const levels = input.topic.split('/');
    const vars = varsOf(ctx, c, input.topic, levels, input.payload);
    if (!topicMatches(c.pattern.filter, input.topic)) return { fired: false, reason: `topic ${input.topic} does not match ${config.topic}` };
    const why = refusal(config, c, vars, ctx.devices);
    return why ? { fired: false, reason: why } : { fired: true, vars, description: `message on ${input.topic}: ${show(input.payload)}` };
  },
};
