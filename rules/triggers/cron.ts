// trigger: cron — a schedule in node-cron syntax, in the trigger's time zone (else the hub's). Runs are put on the
// engine's clock. `catch_up: true`: when the hub starts and a run was due while it was down (since the last run
// stored in SQLite), it runs once. A trigger seen for the first time stores "now" as its baseline, so a new rule
// does not catch up on schedules from before it existed.

import { formatLocal } from '../engine/zoned.js';
import type { ClockTimer } from '../engine/clock.js';
import type { CronTrigger } from '../types.js';
import { cronSchedule } from './cron-schedule.js';
import { triggerVar, type TriggerKind } from './types.js';

/** The last scheduled time in (since, until], or undefined. Bounded: a minute schedule down for a year stops early. */
export function lastMissed(next: (after: number) => number, since: number, until: number): number | undefined {
  let found: number | undefined;
  let t = since;
  for (let i = 0; i < 100_000; i++) {
    t = next(t);
    if (t > until) break;
    found = t;
  }
  return found;
}

export const cronTrigger: TriggerKind<CronTrigger> = {
  attach(ctx, config, fire) {
    const timezone = config.timezone ?? ctx.timezone;
    const schedule = cronSchedule(config.expression, timezone);
    const cause = { kind: 'schedule' as const, id: `cron ${config.expression}` };
    const vars = (at: number, extra: Record<string, string | boolean> = {}) => ({
      trigger: triggerVar(ctx, 'cron', { expression: config.expression, timezone, scheduled: at, ...extra }),
    });
    let live = true;
    let timer: ClockTimer | undefined;

    const arm = (after: number): void => {
      const at = schedule.next(after);
      timer = ctx.clock.setTimeout(() => {
        if (!live) return;
        ctx.cron.set(ctx.key, at);
        fire({ vars: vars(at), cause, description: `schedule "${config.expression}" at ${formatLocal(at, timezone)}` });
        arm(Math.max(at, ctx.clock.now()));
      }, at - ctx.clock.now());
    };

    const now = ctx.clock.now();
    const last = ctx.cron.last(ctx.key);
    if (last === undefined) {
      ctx.cron.set(ctx.key, now);
    } else if (config.catch_up) {
      const missed = lastMissed((t) => schedule.next(t), last, now);
      if (missed !== undefined) {
        ctx.atHubStart(() => {
          if (!live) return;
          ctx.cron.set(ctx.key, ctx.clock.now());
          fire({
            vars: vars(missed, { catch_up: true }), cause,
            description: `catch-up: the run due at ${formatLocal(missed, timezone)} was missed while the hub was down`,
          });
        });
      }
    }
    arm(now);
    return () => {
      live = false;
      timer?.cancel();
      schedule.destroy();
    };
  },
};
