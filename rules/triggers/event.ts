// trigger: event — an event capability fired (a button's single/double/long press). Events are never stored as
// state, so this is the only way to react to them. Named by `device` or by `topic` (device-source.ts).

import { show } from '../engine/describe.js';
import type { EventTrigger } from '../types.js';
import { deviceSource, onEvent, sourceVars } from './device-source.js';
import { triggerVar, type TriggerKind, type Vars } from './types.js';
import { valueMatches } from './values.js';

export const eventTrigger: TriggerKind<EventTrigger> = {
  attach(ctx, config, fire) {
    const source = deviceSource(ctx.devices, config);
    return onEvent(ctx.feeds, source, (e) => {
      const label = `${e.deviceId}.${e.property}`;
      const vars: Vars = {
        ...sourceVars(source, ctx.devices.get(e.deviceId)?.topic),
        value: e.value, device: e.deviceId, property: e.property,
        trigger: triggerVar(ctx, 'event', { device: e.deviceId, property: e.property, value: e.value }),
      };
      if (config.property !== undefined && e.property !== config.property) return ctx.miss(`event ${label}, not ${config.property}`, vars);
      if (config.value !== undefined && !valueMatches(e.value, config.value, ctx.devices.get(e.deviceId)?.capabilities.find((c) => c.property === e.property))) return ctx.miss(`event ${label} was ${show(e.value)}, not ${show(config.value)}`, vars);
      fire({ vars, cause: e.cause, description: `event ${label}: ${show(e.value)}` });
    });
  },
};
