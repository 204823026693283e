import { MAX_STATE_VALUE_CHARS } from '../../devices/shared/limits.js';
import type { StateValue } from '../core/model.js';
import { decodeHistoryValue } from './codec.js';
import type { Database } from './database.js';
import { WATERMARK_KEY } from './retention.js';

export interface Sample {
  ts: number;
  value: StateValue;
}

export interface HourlySample {
  /** Start of the hour, ms since epoch. */
  hour: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/** A bucket of numeric samples: ts is the bucket's start. */
export interface Bucket {
  ts: number;
  min: number;
  max: number;
  mean: number;
  count: number;
}

const HOUR_MS = 3_600_000;
/**
 * History rows whose JSON is longer (bytes) are left out of query(): values are bounded before they are written
 * (StateStore), so only a rumah.db from before the bound holds such rows, and one of them (hundreds of MB) must not
 * become a REST answer. Room for JSON's escapes, as in state-repo.ts. Retention deletes them with their day.
 */
export const MAX_HISTORY_VALUE_BYTES = 4 * MAX_STATE_VALUE_CHARS;

/** Reads history. Writes go through the HistoryWriter (batched), roll-ups and pruning through Retention. */
export class HistoryRepo {
  constructor(private readonly db: Database) {}

  /**
   * Raw samples with from <= ts <= to, oldest first, at most `limit` of them. Past the limit, ask again with
   * `from` = last ts + 1.
   */
  async query(deviceId: string, property: string, from: number, to: number, limit = 10_000): Promise<Sample[]> {
    const rows = await this.db.all<{ ts: number; value: number | string | null }>(
      `SELECT h.ts, h.value FROM series s JOIN history h ON h.series_id = s.id
       WHERE s.device_id = ? AND s.property = ? AND h.ts >= ? AND h.ts <= ?
         AND (typeof(h.value) != 'text' OR length(CAST(h.value AS BLOB)) <= ${MAX_HISTORY_VALUE_BYTES})
       ORDER BY h.ts LIMIT ?`,
      [deviceId, property, from, to, limit],
    );
    return rows.map((r) => ({ ts: r.ts, value: decodeHistoryValue(r.value) }));
  }

  /**
   * Hourly roll-ups (numeric values only) of the hours that overlap [from, to], oldest first. Only hours that
   * Retention has rolled up: the current hour is not there yet; query() covers it.
   */
  async hourly(deviceId: string, property: string, from: number, to: number): Promise<HourlySample[]> {
    const rows = await this.db.all<HourlySample>(
      `SELECT y.hour * ${HOUR_MS} AS hour, y.min, y.max, y.avg, y.count
       FROM series s JOIN history_hourly y ON y.series_id = s.id
       WHERE s.device_id = ? AND s.property = ? AND y.hour >= ? AND y.hour <= ?
       ORDER BY y.hour`,
      [deviceId, property, Math.floor(from / HOUR_MS), Math.floor(to / HOUR_MS)],
    );
    return rows;
  }

  /**
   * The last raw sample before `ts`: the value in force when a chart's range starts (history stores changes only,
   * so a value holds until the next row). Undefined when none is kept (never reported, or older than rawDays).
   */
  async before(deviceId: string, property: string, ts: number): Promise<Sample | undefined> {
    const row = await this.db.get<{ ts: number; value: number | string | null }>(
      `SELECT h.ts, h.value FROM series s JOIN history h ON h.series_id = s.id
       WHERE s.device_id = ? AND s.property = ? AND h.ts < ?
         AND (typeof(h.value) != 'text' OR length(CAST(h.value AS BLOB)) <= ${MAX_HISTORY_VALUE_BYTES})
       ORDER BY h.ts DESC LIMIT 1`,
      [deviceId, property, ts],
    );
    return row ? { ts: row.ts, value: decodeHistoryValue(row.value) } : undefined;
  }

  /**
   * Numeric raw samples in from <= ts <= to grouped into buckets of `bucketMs` aligned on the epoch (a bucket's ts
   * is its start): min, max, mean and count each, computed by SQLite so only the buckets cross into JavaScript.
   */
  async buckets(deviceId: string, property: string, from: number, to: number, bucketMs: number): Promise<Bucket[]> {
    return this.db.all<Bucket>(
      `SELECT (h.ts / ?1) * ?1 AS ts, min(h.value) AS min, max(h.value) AS max, avg(h.value) AS mean, count(*) AS count
       FROM series s JOIN history h ON h.series_id = s.id
       WHERE s.device_id = ?2 AND s.property = ?3 AND h.ts >= ?4 AND h.ts <= ?5 AND typeof(h.value) IN ('integer', 'real')
       GROUP BY h.ts / ?1 ORDER BY 1`,
      [Math.trunc(bucketMs), deviceId, property, from, to],
    );
  }

  /**
   * The hourly roll-ups of hours [fromHour, toHour] merged into buckets of `bucketHours` hours aligned on the
   * epoch: min of mins, max of maxes, the mean weighted by each hour's count.
   */
  async hourlyBuckets(deviceId: string, property: string, fromHour: number, toHour: number, bucketHours: number): Promise<Bucket[]> {
    return this.db.all<Bucket>(
      `SELECT (y.hour / ?1) * ?1 * ${HOUR_MS} AS ts, min(y.min) AS min, max(y.max) AS max,
              sum(y.avg * y.count) / sum(y.count) AS mean, sum(y.count) AS count
       FROM series s JOIN history_hourly y ON y.series_id = s.id
       WHERE s.device_id = ?2 AND s.property = ?3 AND y.hour >= ?4 AND y.hour <= ?5
       GROUP BY y.hour / ?1 ORDER BY 1`,
      [Math.trunc(bucketHours), deviceId, property, fromHour, toHour],
    );
  }

  /**
   * Non-numeric samples thinned to the last change of each bucket of `bucketMs` (with its own ts): what a timeline
   * can show at that resolution. SQLite returns the bare column `value` from the row holding max(ts).
   */
  async lastPerBucket(deviceId: string, property: string, from: number, to: number, bucketMs: number): Promise<Sample[]> {
    const rows = await this.db.all<{ ts: number; value: number | string | null }>(
      `SELECT max(h.ts) AS ts, h.value AS value
       FROM series s JOIN history h ON h.series_id = s.id
       WHERE s.device_id = ?2 AND s.property = ?3 AND h.ts >= ?4 AND h.ts <= ?5
         AND (typeof(h.value) != 'text' OR length(CAST(h.value AS BLOB)) <= ${MAX_HISTORY_VALUE_BYTES})
       GROUP BY h.ts / ?1 ORDER BY 1`,
      [Math.trunc(bucketMs), deviceId, property, from, to],
    );
    return rows.map((r) => ({ ts: r.ts, value: decodeHistoryValue(r.value) }));
  }

  /** Every hour before this one (an hour number) is in history_hourly: Retention's watermark. */
  async rolledUntilHour(): Promise<number> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [WATERMARK_KEY]);
    const hour = row ? Number(JSON.parse(row.value)) : 0;
    return Number.isFinite(hour) ? hour : 0;
  }

  /** Number of raw rows: for /metrics and tests. */
  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM history'))?.n ?? 0;
  }
}
