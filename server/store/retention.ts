import { sqliteCode, type Database } from './database.js';
import type { Logger } from '../core/logger.js';
import type { SettingsRepo } from './settings-repo.js';

export interface RetentionOptions {
  /** Raw samples older than this are deleted (after being rolled up). Default 30. */
  rawDays?: number;
  /** Hourly roll-ups older than this are deleted. Default 730. */
  hourlyDays?: number;
  /** First run after start(). Default 60 s: after the start-up burst of retained messages. */
  initialDelayMs?: number;
  /** Default one hour. */
  intervalMs?: number;
  /** Rows deleted per statement. Default 5000. */
  deleteChunk?: number;
  /** Series rolled up per statement. Default 32. */
  seriesChunk?: number;
}

export interface RetentionResult {
  hoursRolled: number;
  rawDeleted: number;
  hourlyDeleted: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Every hour before this one (an hour number, ts / 3600000) has been rolled up. */
export const WATERMARK_KEY = 'retention.rolledUntilHour';

// Every statement below starts from `series` and reaches history through the (series_id, ts) index with a
// CROSS JOIN (which fixes the join order in SQLite): history has no index on ts alone (it would cost bytes on
// every sample), so a bare "WHERE ts < ?" would scan the whole table.
const NEXT_TS = `SELECT min((SELECT min(h.ts) FROM history h WHERE h.series_id = s.id AND h.ts >= ?)) AS ts FROM series s`;
const ROLL_UP = `INSERT INTO history_hourly (series_id, hour, min, max, avg, count)
  SELECT s.id, ?, min(h.value), max(h.value), avg(h.value), count(*)
  FROM series s CROSS JOIN history h ON h.series_id = s.id AND h.ts >= ? AND h.ts < ?
  WHERE s.id >= ? AND s.id <= ? AND typeof(h.value) IN ('integer', 'real')
  GROUP BY s.id
  ON CONFLICT (series_id, hour) DO UPDATE SET min = excluded.min, max = excluded.max, avg = excluded.avg, count = excluded.count`;
const DELETE_RAW = `DELETE FROM history WHERE rowid IN (
  SELECT h.rowid FROM series s CROSS JOIN history h ON h.series_id = s.id AND h.ts < ? LIMIT ?)`;
const DELETE_HOURLY = `DELETE FROM history_hourly WHERE (series_id, hour) IN (
  SELECT y.series_id, y.hour FROM series s CROSS JOIN history_hourly y ON y.series_id = s.id AND y.hour < ? LIMIT ?)`;

/**
 * Keeps history bounded: rolls finished hours of numeric samples into history_hourly, then deletes raw samples
 * older than rawDays and roll-ups older than hourlyDays. Work is done in small statements, each its own short
 * transaction, so the history writer's batches get in between.
 */
export class Retention {
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  private readonly o: Required<RetentionOptions>;

  constructor(
    private readonly db: Database,
    private readonly settings: SettingsRepo,
    log: Logger,
    opts: RetentionOptions = {},
  ) {
    this.log = log.child({ module: 'retention' });
    this.o = {
      rawDays: opts.rawDays ?? 30,
      hourlyDays: opts.hourlyDays ?? 730,
      initialDelayMs: opts.initialDelayMs ?? 60_000,
      intervalMs: opts.intervalMs ?? HOUR_MS,
      deleteChunk: opts.deleteChunk ?? 5000,
      seriesChunk: opts.seriesChunk ?? 32,
    };
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      if (this.running || this.stopped) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.log.error({ err, code: sqliteCode(err) }, 'retention run failed'))
        .finally(() => (this.running = undefined));
    };
    // unref: housekeeping must never keep the process alive.
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, this.o.intervalMs).unref();
    }, this.o.initialDelayMs).unref();
  }

  /** Idempotent; waits for a run in progress, which stops at its next chunk. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer); // also clears an interval: they share one id space in Node
      this.timer = undefined;
    }
    await this.running;
  }

  async runOnce(now = Date.now()): Promise<RetentionResult> {
    const started = performance.now();
    const hoursRolled = await this.rollUp(Math.floor(now / HOUR_MS));
    const watermark = (await this.settings.get<number>(WATERMARK_KEY)) ?? 0;
    // Never delete raw samples whose hour has not been rolled up (defensive: rollUp either reaches the current
    // hour or throws, and a stop also ends the deletes).
    const rawCutoff = Math.min(now - this.o.rawDays * DAY_MS, watermark * HOUR_MS);
    const rawDeleted = await this.deleteChunked(DELETE_RAW, rawCutoff);
    const hourlyDeleted = await this.deleteChunked(DELETE_HOURLY, Math.floor((now - this.o.hourlyDays * DAY_MS) / HOUR_MS));
    const result = { hoursRolled, rawDeleted, hourlyDeleted };
    this.log.info({ ...result, ms: Math.round(performance.now() - started) }, 'retention done');
    return result;
  }

  /** Rolls up every hour with data between the watermark and `currentHour` (excluded); returns how many. */
  private async rollUp(currentHour: number): Promise<number> {
    let from = (await this.settings.get<number>(WATERMARK_KEY)) ?? 0;
    const ids = (await this.db.all<{ id: number }>('SELECT id FROM series ORDER BY id')).map((r) => r.id);
    let rolled = 0;
    while (!this.stopped) {
      // Skip straight to the next hour that has samples: the hub may have been off for weeks.
      const next = (await this.db.get<{ ts: number | null }>(NEXT_TS, [from * HOUR_MS]))?.ts;
      const hour = next === null || next === undefined ? currentHour : Math.floor(next / HOUR_MS);
      if (hour >= currentHour) break;
      for (let i = 0; i < ids.length && !this.stopped; i += this.o.seriesChunk) {
        const last = ids[Math.min(i + this.o.seriesChunk, ids.length) - 1]!;
        // Upsert: rolling an hour again (after a crash before the watermark moved) replaces, never double-counts.
        await this.db.run(ROLL_UP, [hour, hour * HOUR_MS, (hour + 1) * HOUR_MS, ids[i]!, last]);
      }
      if (this.stopped) return rolled;
      from = hour + 1;
      await this.settings.set(WATERMARK_KEY, from);
      rolled++;
    }
    if (!this.stopped && from < currentHour) await this.settings.set(WATERMARK_KEY, currentHour);
    return rolled;
  }

  private async deleteChunked(sql: string, cutoff: number): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const { changes } = await this.db.run(sql, [cutoff, this.o.deleteChunk]);
      total += changes;
      if (changes < this.o.deleteChunk) break;
    }
    return total;
  }
}
