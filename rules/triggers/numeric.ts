// trigger: numeric — fires when a number crosses into the range (above < v < below), never because it already is
// inside when the rule loads. `hysteresis`: after firing, the value must leave the range by that much before a new
// crossing counts (a sensor wobbling around 28.0 does not fire every minute). `for`: it must stay inside that long.
// Sources: `device` (+ `property`): the device's state; `topic`: any message, the payload read as a number.

import type { Cause, Device } from '../../server/core/model.js';
import { asNumber } from '../expressions/values.js';
import { compileExpression, isExpressionError, type CompiledExpression, type ExprValue } from '../expressions/index.js';
import { show } from '../engine/describe.js';
import { parseTopicPattern, topicMatches } from '../topics.js';
import type { NumericTrigger } from '../types.js';
import { ForWaits } from './for-waits.js';
import { payloadVars, topicVars } from './message-vars.js';
import { triggerVar, type DryResult, type TriggerContext, type TriggerKind, type Vars } from './types.js';

export function rangeText(c: { above?: number; below?: number }): string {
  if (c.above !== undefined && c.below !== undefined) return `between ${c.above} and ${c.below}`;
  return c.above !== undefined ? `above ${c.above}` : `below ${c.below}`;
}

export function inRange(c: { above?: number; below?: number }, v: number): boolean {
  return (c.above === undefined || v > c.above) && (c.below === undefined || v < c.below);
}

interface Subject {
  armed: boolean;
}

/** Reads the number: the `value` expression when given, else the value itself. Throws ExpressionError. */
function reader(config: NumericTrigger): (vars: Vars, host: TriggerContext['devices']) => ExprValue {
  const expr: CompiledExpression | undefined = config.value === undefined ? undefined : compileExpression(config.value);
  return (vars, host) => (expr ? expr.evaluate(vars, host) : vars.value);
}

/** The scope a device's current state gives the `value` expression (for the state at load and after a restart). */
function stateVars(ctx: Pick<TriggerContext, 'devices'>, device: Device, property: string | undefined): Vars {
  const prop = property ?? ctx.devices.mainProperty(device);
  const value = prop === undefined ? undefined : ctx.devices.value(device.id, prop);
  const all: Record<string, ExprValue> = {};
  for (const cap of device.capabilities) {
    const v = ctx.devices.value(device.id, cap.property);
    if (v !== undefined) all[cap.property] = v;
  }
  return { value, value_json: all as ExprValue, payload: typeof value === 'string' ? value : JSON.stringify(value ?? null) };
}

export const numericTrigger: TriggerKind<NumericTrigger> = {
  attach(ctx, config, fire) {
    const read = reader(config);
    const hysteresis = config.hysteresis ?? 0;
    const range = rangeText(config);
    const subjects = new Map<string, Subject>();
    const waits = config.for ? new ForWaits(ctx, config.for, fire) : undefined;
    const subject = (key: string): Subject => {
      let s = subjects.get(key);
      if (!s) subjects.set(key, (s = { armed: true }));
      return s;
    };
    const rearms = (v: number): boolean =>
      hysteresis === 0 ? !inRange(config, v) : (config.above !== undefined && v <= config.above - hysteresis) || (config.below !== undefined && v >= config.below + hysteresis);
    const valueOf = (vars: Vars): number | undefined => asNumber(read(vars, ctx.devices));

    const evaluate = (key: string, label: string, vars: Vars, cause: Cause): void => {
      let v: number | undefined;
      try {
        v = valueOf(vars);
      } catch (err) {
        if (!isExpressionError(err)) throw err;
        ctx.miss(`value failed: ${err.message}`, vars, { code: err.code, message: err.message });
        return;
      }
      const s = subject(key);
      vars.trigger = triggerVar(ctx, 'numeric', { device: config.device, topic: config.topic, property: config.property, source: label, value: v, above: config.above, below: config.below });
      if (v === undefined) return ctx.miss(`${label} is ${show(vars.value)}, not a number`, vars);
      if (inRange(config, v)) {
        if (waits?.isWaiting(key)) return ctx.miss(`${label} ${v} is still ${range}: the 'for' wait goes on`, vars);
        if (!s.armed) {
          const how = hysteresis > 0 ? `it must first go back to ${config.above !== undefined ? `${config.above - hysteresis} or less` : `${config.below! + hysteresis} or more`} (hysteresis ${hysteresis})` : 'it fires on crossing only';
          return ctx.miss(`threshold not crossed: ${label} ${v} is ${range} but already was; ${how}`, vars);
        }
        s.armed = false;
        const event = { vars, cause, description: `${label} ${v} crossed ${range}` };
        if (waits) waits.start(key, event, event.description);
        else fire(event);
        return;
      }
      if (waits?.isWaiting(key)) {
        waits.interrupt(key, `${label} ${v} is no longer ${range}`);
        s.armed = true;
        return;
      }
      if (rearms(v)) s.armed = true;
      ctx.miss(`threshold not crossed: ${label} ${v} is not ${range}`, vars);
    };

    // The value at load decides whether the first reading can be a crossing.
    const current = (device: Device): number | undefined => {
      try {
        return valueOf(stateVars(ctx, device, config.property));
      } catch {
        return undefined;
      }
    };
    const holds = (device: Device | undefined): { holds: true } | { holds: false; why: string } => {
      const v = device ? current(device) : undefined;
      if (device === undefined || v === undefined) return { holds: true };
      return inRange(config, v) ? { holds: true } : { holds: false, why: `the value is now ${v}, not ${range}` };
    };

    let detach: () => void;
    if (config.topic !== undefined) {
      const parsed = parseTopicPattern(config.topic);
      if (!parsed.ok) throw new Error(parsed.message);
      const pattern = parsed.pattern;
      for (const device of ctx.devices.select(pattern.filter)) {
        const v = current(device);
        if (v !== undefined && inRange(config, v)) subject(device.topic).armed = false;
      }
      detach = ctx.feeds.mqtt(pattern.filter, (msg, levels, cause) => {
        const vars: Vars = { ...topicVars(pattern, levels), topic: msg.topic, ...payloadVars(msg.payload.toString('utf8')) };
        evaluate(msg.topic, msg.topic, vars, cause);
      });
      waits?.restore((key) => {
        const result = holds(ctx.devices.resolve(key));
        if (result.holds) subject(key).armed = false;
        return result;
      });
    } else {
      const ref = ctx.devices.resolve(config.device!)?.id ?? config.device!;
      const known = ctx.devices.resolve(ref);
      const v = known ? current(known) : undefined;
      if (known && v !== undefined && inRange(config, v)) subject(known.id).armed = false;
      detach = ctx.feeds.state(ref, config.property, (change, cause) => {
        const device = ctx.devices.get(change.deviceId);
        // Without a property: the device's main one (a thermometer's temperature, not its battery).
        if (config.property === undefined && device && change.property !== ctx.devices.mainProperty(device)) return;
        const vars: Vars = { value: change.value, previous: change.previous, device: change.deviceId, property: change.property };
        evaluate(change.deviceId, `${change.deviceId}.${change.property}`, vars, cause);
      });
      waits?.restore((key) => {
        const result = holds(ctx.devices.get(key));
        if (result.holds) subject(key).armed = false;
        return result;
      });
    }
    return () => {
      detach();
      waits?.release();
    };
  },

  test(ctx, config, input): DryResult {
    const read = reader(config);
    let vars: Vars;
    let previous: ExprValue;
    let label: string;
    if (config.topic !== undefined) {
      if (input.kind !== 'message') return { fired: false, reason: 'this numeric trigger reads messages on a topic, not state changes' };
      const parsed = parseTopicPattern(config.topic);
      if (!parsed.ok || !topicMatches(parsed.pattern.filter, input.topic)) return { fired: false, reason: `topic ${input.topic} does not match ${config.topic}` };
      vars = { ...topicVars(parsed.pattern, input.topic.split('/')), topic: input.topic, ...payloadVars(input.payload) };
      const device = ctx.devices.resolve(input.topic);
      previous = device ? read(stateVars(ctx, device, undefined), ctx.devices) : undefined;
      label = input.topic;
    } else {
      if (input.kind !== 'state') return { fired: false, reason: 'this numeric trigger reads a device state: give a state change' };
      const device = ctx.devices.resolve(input.device);
      const target = ctx.devices.resolve(config.device!);
      if ((device?.id ?? input.device) !== (target?.id ?? config.device)) return { fired: false, reason: `the change is of ${input.device}, not ${config.device}` };
      vars = { value: input.value, previous: input.previous, device: input.device, property: input.property };
      previous = input.previous !== undefined ? read({ ...vars, value: input.previous }, ctx.devices) : device ? read(stateVars(ctx, device, config.property), ctx.devices) : undefined;
      label = `${input.device}.${input.property ?? 'value'}`;
    }
    const v = asNumber(read(vars, ctx.devices));
    const before = asNumber(previous);
    const range = rangeText(config);
    vars.trigger = triggerVar(ctx, 'numeric', { source: label, value: v, previous: before, above: config.above, below: config.below });
    if (v === undefined) return { fired: false, reason: `${label} is ${show(vars.value)}, not a number` };
    if (!inRange(config, v)) return { fired: false, reason: `threshold not crossed: ${label} ${v} is not ${range}` };
    if (before !== undefined && inRange(config, before)) return { fired: false, reason: `threshold not crossed: ${label} ${v} is ${range} but already was (${before})` };
    const note = config.for ? `fires only if it stays ${range} for the 'for' time` : undefined;
    return { fired: true, vars, description: `${label} ${v} crossed ${range}`, ...(note ? { note } : {}) };
  },
};
