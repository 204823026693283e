// trigger: sun — sunrise or sunset at the hub's location (location.latitude/longitude in rumah.yaml), shifted by a
// signed offset (-30m: half an hour before). Times come from suncalc; near the poles a day may have no sunrise, and
// the trigger then looks again a day later.

import { getTimes } from 'suncalc';
import { formatDuration } from '../duration.js';
import type { ClockTimer } from '../engine/clock.js';
import { formatLocal } from '../engine/zoned.js';
import type { SunTrigger } from '../types.js';
import { triggerVar, type Location, type TriggerKind } from './types.js';

const DAY = 86_400_000;

/** The next sunrise/sunset (+ offset) strictly after `after`, within about three days; undefined near the poles. */
export function nextSunEvent(event: 'sunrise' | 'sunset', location: Location, after: number, offset = 0): number | undefined {
  let best: number | undefined;
  for (let d = -1; d <= 3; d++) {
    // suncalc 2 gives null for an event that does not happen that day (polar day or night).
    const time = getTimes(new Date(after + d * DAY), location.latitude, location.longitude)[event];
    const t = time ? time.getTime() + offset : NaN;
    if (Number.isFinite(t) && t > after && (best === undefined || t < best)) best = t;
  }
  return best;
}

export const sunTrigger: TriggerKind<SunTrigger> = {
  attach(ctx, config, fire) {
    const location = ctx.location;
    if (!location) {
      ctx.problem("a sun trigger needs the hub's location: set location.latitude and location.longitude in rumah.yaml");
      return () => undefined;
    }
    const offset = config.offset ?? 0;
    const what = offset === 0 ? config.event : `${config.event} ${offset < 0 ? '-' : '+'}${formatDuration(Math.abs(offset))}`;
    let live = true;
    let timer: ClockTimer | undefined;
    const arm = (after: number): void => {
      const at = nextSunEvent(config.event, location, after, offset);
      if (at === undefined) {
        ctx.miss(`no ${config.event} in the next days at latitude ${location.latitude}; looking again in a day`);
        timer = ctx.clock.setTimeout(() => live && arm(ctx.clock.now()), DAY);
        return;
      }
      timer = ctx.clock.setTimeout(() => {
        if (!live) return;
        fire({
          vars: { trigger: triggerVar(ctx, 'sun', { event: config.event, offset, at }) },
          cause: { kind: 'schedule', id: what }, description: `${what} at ${formatLocal(at, ctx.timezone)}`,
        });
        arm(Math.max(at, ctx.clock.now()));
      }, at - ctx.clock.now());
    };
    arm(ctx.clock.now());
    return () => {
      live = false;
      timer?.cancel();
    };
  },
};
