import type { StateValue } from '../core/model.js';
import type { Bucket, HistoryRepo, Sample } from '../store/history-repo.js';

// What a history chart needs for one property over a range, in a bounded answer (docs/dashboard.md, "History").
// History stores changes only, so a value holds until the next row: the chart draws steps, starts from the value in
// force at the range's start (`start`, the last row before it) and carries the last value to min(to, now).
// A range with more changes than `limit` is answered in buckets instead: at most `buckets` of them, computed by
// SQLite; ranges of 7 days and more use the hourly roll-ups Retention keeps (history_hourly) for the hours it has
// rolled up, so 30 days of a 1 Hz sensor is ~720 rows read, not 2.6 million.

export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Longest range one request may ask for: hourly roll-ups are kept 730 days by default. */
export const MAX_SPAN_MS = 3660 * DAY_MS;
/** Raw points answered as they are, at most (the default of `limit`). */
export const DEFAULT_RAW_LIMIT = 2000;
/** Buckets per answer, at most (the default of `buckets`). */
export const DEFAULT_BUCKETS = 1500;
/** From this range on, buckets are an hour or more and come from the hourly roll-ups. */
export const HOURLY_FROM_MS = 7 * DAY_MS;

/** Bucket widths a person reads easily; the smallest that keeps the answer within `buckets` is used. */
const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800]
  .map((s) => s * 1000);

export interface HistoryViewQuery {
  from: number;
  to: number;
  /** Raw points at most before the answer switches to buckets. */
  limit: number;
  /** Buckets at most. */
  buckets: number;
  /** Numeric (min/max/mean buckets) or not (the last change of each bucket). */
  numeric: boolean;
  now: number;
}

export interface HistoryView {
  from: number;
  to: number;
  /** The hub's clock: a chart carries the last value to min(to, now). */
  now: number;
  /** The value in force at `from` (the last row before it), null when none is kept. */
  start: Sample | null;
  /** `raw`: every change in `points`. `buckets`: numeric buckets in `buckets`. `thinned`: the last change per bucket in `points`. */
  resolution: 'raw' | 'buckets' | 'thinned';
  points: Array<{ ts: number; value: StateValue }>;
  buckets?: Bucket[];
  /** Width of a bucket (buckets and thinned answers). */
  bucketMs?: number;
  /** Where buckets came from: raw rows only, or hourly roll-ups (plus raw rows for the hours not rolled up yet). */
  source?: 'raw' | 'hourly';
}

export function bucketWidth(spanMs: number, buckets: number): number {
  const want = spanMs / buckets;
  return STEPS_MS.find((s) => s >= want) ?? Math.ceil(want / DAY_MS) * DAY_MS;
}

export async function historyView(repo: HistoryRepo, deviceId: string, property: string, q: HistoryViewQuery): Promise<HistoryView> {
  const { from, to } = q;
  const start = (await repo.before(deviceId, property, from)) ?? null;
  const base = { from, to, now: q.now, start };
  const raw = await repo.query(deviceId, property, from, to, q.limit + 1);
  if (raw.length <= q.limit) return { ...base, resolution: 'raw', points: raw };

  const span = Math.max(1, to - from);
  let bucketMs = bucketWidth(span, q.buckets);
  if (!q.numeric) return { ...base, resolution: 'thinned', points: await repo.lastPerBucket(deviceId, property, from, to, bucketMs), bucketMs };
  if (span < HOURLY_FROM_MS) {
    return { ...base, resolution: 'buckets', points: [], buckets: await repo.buckets(deviceId, property, from, to, bucketMs), bucketMs, source: 'raw' };
  }
  // Whole hours: the roll-ups for the hours Retention has done, raw rows bucketed the same way for the rest.
  bucketMs = Math.max(HOUR_MS, Math.ceil(bucketMs / HOUR_MS) * HOUR_MS);
  const bucketHours = bucketMs / HOUR_MS;
  const rolled = await repo.rolledUntilHour();
  const fromHour = Math.floor(from / HOUR_MS);
  const toHour = Math.floor(to / HOUR_MS);
  // A bucket must come from one source only: the roll-ups serve whole buckets before the watermark, raw rows (kept
  // rawDays, 30 by default) the bucket the watermark falls in and everything after it.
  const split = Math.min(toHour + 1, Math.max(fromHour, Math.floor(rolled / bucketHours) * bucketHours));
  const hourly = split > fromHour ? await repo.hourlyBuckets(deviceId, property, fromHour, split - 1, bucketHours) : [];
  const rest = split <= toHour ? await repo.buckets(deviceId, property, Math.max(from, split * HOUR_MS), to, bucketMs) : [];
  return { ...base, resolution: 'buckets', points: [], buckets: [...hourly, ...rest], bucketMs, source: 'hourly' };
}
