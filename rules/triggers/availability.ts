// trigger: availability — a device went online, offline (its last will, a keepalive loss, its status topic) or stale
// (silent for longer than its usual reporting interval), optionally only one way and held `for` a while ("offline
// for 10 minutes": not a reboot). Named by `device` or by `topic` (device-source.ts).

import type { AvailabilityTrigger } from '../types.js';
import { deviceSource, onAvailability, sourceVars } from './device-source.js';
import { ForWaits } from './for-waits.js';
import { triggerVar, type TriggerKind, type Vars } from './types.js';

export const availabilityTrigger: TriggerKind<AvailabilityTrigger> = {
  attach(ctx, config, fire) {
    const waits = config.for ? new ForWaits(ctx, config.for, fire) : undefined;
    const source = deviceSource(ctx.devices, config);
    const detach = onAvailability(ctx.feeds, source, (e) => {
      const vars: Vars = {
        ...sourceVars(source, ctx.devices.get(e.deviceId)?.topic),
        value: e.availability, previous: e.previous, device: e.deviceId,
        trigger: triggerVar(ctx, 'availability', { device: e.deviceId, to: e.availability, from: e.previous }),
      };
      if (waits?.isWaiting(e.deviceId)) waits.interrupt(e.deviceId, `${e.deviceId} is ${e.availability} again`);
      if (config.to !== undefined && e.availability !== config.to) return ctx.miss(`${e.deviceId} went ${e.availability}, not ${config.to}`, vars);
      const event = { vars, cause: { kind: 'device' as const, id: e.deviceId }, description: `${e.deviceId} went ${e.availability} (was ${e.previous})` };
      if (waits) waits.start(e.deviceId, event, event.description, e.availability);
      else fire(event);
    });
    waits?.restore((deviceId, stored) => {
      const now = ctx.devices.get(deviceId)?.availability;
      // Every device is 'unknown' after a restart until it speaks; that does not break the wait.
      return now === stored || now === 'unknown' || now === undefined ? { holds: true } : { holds: false, why: `${deviceId} is ${now} now` };
    });
    return () => {
      detach();
      waits?.release();
    };
  },
};
