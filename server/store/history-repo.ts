import { MAX_STATE_VALUE_CHARS } from '../../devices/shared/limits.js';
import type { StateValue } from '../core/model.js';
import { decodeHistoryValue } from './codec.js';
import type { Database } from './database.js';

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

  /** Number of raw rows: for /metrics and tests. */
  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM history'))?.n ?? 0;
  }
}
