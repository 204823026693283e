// trigger: state — a device property changed (only real changes reach here: the state store drops repeats),
// optionally from/to given values (on/off by on-ness) and held `for` a while. Without a property: any property.
// Named by `device` or by `topic` (device-source.ts), as every device-related trigger.

import { show } from '../engine/describe.js';
import type { Capability } from '../../server/core/model.js';
import type { ExprValue } from '../expressions/index.js';
import type { StateTrigger } from '../types.js';
import { deviceSource, onState, sourceSelects, sourceVars } from './device-source.js';
import { ForWaits } from './for-waits.js';
import { triggerVar, type DryResult, type TriggerKind, type Vars } from './types.js';
import { listText, matchesAny } from './values.js';

/** undefined: it fires; otherwise why not. */
function refusal(config: StateTrigger, label: string, value: ExprValue, previous: ExprValue, cap?: Capability): string | undefined {
  if (!matchesAny(value, config.to, cap)) return `${label} changed to ${show(value)}, not to ${listText(config.to!)}`;
  if (!matchesAny(previous, config.from, cap)) return `${label} changed from ${show(previous)}, not from ${listText(config.from!)}`;
  return undefined;
}

function varsOf(ctx: { index: number; id?: string }, deviceId: string, property: string, value: ExprValue, previous: ExprValue, levels: Vars = {}): Vars {
  return {
    ...levels, value, previous, device: deviceId, property,
    trigger: triggerVar(ctx, 'state', { device: deviceId, property, to: value, from: previous }),
  };
}

export const stateTrigger: TriggerKind<StateTrigger> = {
  attach(ctx, config, fire) {
    const waits = config.for ? new ForWaits(ctx, config.for, fire) : undefined;
    const source = deviceSource(ctx.devices, config);
    const detach = onState(ctx.feeds, source, config.property, (change, cause) => {
      const subject = `${change.deviceId}.${change.property}`;
      const device = ctx.devices.get(change.deviceId);
      const cap = device?.capabilities.find((c) => c.property === change.property);
      const vars = varsOf(ctx, change.deviceId, change.property, change.value, change.previous, sourceVars(source, device?.topic));
      if (waits?.isWaiting(subject)) {
        // A change that still matches `to` (on → ON) keeps the wait; anything else breaks it.
        if (config.to !== undefined && matchesAny(change.value, config.to, cap)) return ctx.miss(`${subject} is still ${show(change.value)}: the 'for' wait goes on`, vars);
        waits.interrupt(subject, `${subject} changed to ${show(change.value)}`);
      }
      const why = refusal(config, subject, change.value, change.previous, cap);
      if (why) return ctx.miss(why, vars);
      const event = { vars, cause, description: `${subject} changed from ${show(change.previous)} to ${show(change.value)}` };
      if (waits) waits.start(subject, event, event.description, change.value);
      else fire(event);
    });
    // After a restart: the wait goes on if the property still has the value it changed to.
    waits?.restore((subject, stored) => {
      const dot = subject.lastIndexOf('.');
      const now = ctx.devices.value(subject.slice(0, dot), subject.slice(dot + 1));
      const cap = ctx.devices.get(subject.slice(0, dot))?.capabilities.find((c) => c.property === subject.slice(dot + 1));
      const ok = config.to !== undefined ? matchesAny(now, config.to, cap) : JSON.stringify(now) === JSON.stringify(stored);
      return ok ? { holds: true } : { holds: false, why: `${subject} is now ${show(now)}` };
    });
    return () => {
      detach();
      waits?.release();
    };
  },

  test(ctx, config, input): DryResult {
    if (input.kind !== 'state') return { fired: false, reason: 'a state trigger fires on state changes: give {device, property, value}' };
    const device = ctx.devices.resolve(input.device);
    const source = deviceSource(ctx.devices, config);
    if (!sourceSelects(ctx.devices, source, input.device)) return { fired: false, reason: `the change is of ${input.device}, not ${source.pattern ? `a device on ${source.label}` : source.label}` };
    const property = input.property ?? (device ? ctx.devices.mainProperty(device) : undefined) ?? 'state';
    if (config.property !== undefined && property !== config.property) return { fired: false, reason: `the change is of ${property}, not ${config.property}` };
    const previous = input.previous !== undefined ? input.previous : device ? ctx.devices.value(device.id, property) : undefined;
    const label = `${device?.id ?? input.device}.${property}`;
    const why = refusal(config, label, input.value, previous, device?.capabilities.find((c) => c.property === property));
    if (why) return { fired: false, reason: why };
    const vars = varsOf(ctx, device?.id ?? input.device, property, input.value, previous, sourceVars(source, device?.topic));
    return { fired: true, vars, description: `${label} changed from ${show(previous)} to ${show(input.value)}`, ...(config.for ? { note: 'fires only if the value holds for the \'for\' time' } : {}) };
  },
};
