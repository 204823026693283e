// condition: time — a window of the day and/or weekdays, in the hub's time zone. `after` later than `before` spans
// midnight (22:00 to 06:00). `after` is inclusive, `before` exclusive, as in Home Assistant.

import { wallClock } from '../engine/zoned.js';
import type { TimeCondition } from '../types.js';
import { noReads, type ConditionKind } from './types.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function seconds(hms: string): number {
  const [h, m, s] = hms.split(':').map(Number);
  return h! * 3600 + m! * 60 + (s ?? 0);
}

export const timeCondition: ConditionKind<TimeCondition> = {
  compile(config, path) {
    const after = config.after === undefined ? undefined : seconds(config.after);
    const before = config.before === undefined ? undefined : seconds(config.before);
    return {
      path, kind: 'time', timeDependent: true, reads: noReads(),
      check(ctx) {
        const w = wallClock(ctx.now, ctx.timezone);
        const t = w.hour * 3600 + w.minute * 60 + w.second;
        const day = DAYS[w.weekday]!;
        const at = `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}:${String(w.second).padStart(2, '0')} on ${day} (${ctx.timezone})`;
        if (config.weekday && !config.weekday.includes(day)) return { ok: false, why: `it is ${at}, not ${config.weekday.join('/')}` };
        let inWindow = true;
        if (after !== undefined && before !== undefined) inWindow = after <= before ? t >= after && t < before : t >= after || t < before;
        else if (after !== undefined) inWindow = t >= after;
        else if (before !== undefined) inWindow = t < before;
        const window = [config.after && `after ${config.after}`, config.before && `before ${config.before}`].filter(Boolean).join(' and ');
        return { ok: inWindow, why: inWindow ? `it is ${at}` : `it is ${at}, not ${window}` };
      },
    };
  },
};
