// When a cron expression next matches, by node-cron's own matcher (the same parser readCron validated with), so
// the engine can put the run on its injectable clock instead of letting node-cron own a real timer. node-cron 4
// does not export its matcher; an unstarted task carries one. If a future version hides it, the fallback steps
// through time with the task's public match().

import nodeCron from 'node-cron';

export interface CronSchedule {
  /** The first matching time strictly after `after` (epoch ms, whole seconds). */
  next(after: number): number;
  destroy(): void;
}

type Matcher = { getNextMatch(date: Date): Date };

/** Stepping one second at a time for this long at most (the fallback only). */
const FALLBACK_HORIZON_MS = 366 * 86_400_000;

export function cronSchedule(expression: string, timezone: string): CronSchedule {
  // Never started: it creates no timer. destroy() takes it out of node-cron's task list.
  const task = nodeCron.createTask(expression, () => undefined, { timezone, name: `rumah-rule-${Math.random().toString(36).slice(2)}` });
  const matcher = (task as unknown as { timeMatcher?: Matcher }).timeMatcher;
  const sixFields = expression.trim().split(/\s+/).length === 6;
  return {
    next(after) {
      if (matcher && typeof matcher.getNextMatch === 'function') return matcher.getNextMatch(new Date(after)).getTime();
      const step = sixFields ? 1000 : 60_000;
      let t = Math.floor(after / step) * step + step;
      for (const end = after + FALLBACK_HORIZON_MS; t < end; t += step) if (task.match(new Date(t))) return t;
      return t;
    },
    destroy: () => void task.destroy(),
  };
}
