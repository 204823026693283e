// Reading the logbook (newest first, a page before a cursor) and keeping it bounded (retention by age, by count,
// and by count per source). Every query walks an index in id order and stops at the page's end.

import type { Database } from '../store/database.js';
import type { LogbookCause, LogbookEntry, LogbookKind } from '../realtime/protocol.js';

export interface LogbookQuery {
  /** Entries with a smaller id only (the page before this one). */
  before?: number;
  limit: number;
  /** Only entries about these devices (an area's devices, or one device). */
  devices?: readonly string[];
  cause?: LogbookCause;
  /** Kinds left out (those only admins see, for a member). */
  excludeKinds?: readonly LogbookKind[];
}

export interface Bounds {
  maxEntries: number;
  maxAgeMs: number;
  maxPerSource: number;
}

interface Row {
  id: number;
  ts: number;
  kind: LogbookKind;
  cause: LogbookCause;
  device_id: string | null;
  actor: string | null;
  level: 'warning' | null;
  message: string;
}

const DELETE_CHUNK = 5000;

export class LogbookRepo {
  constructor(private readonly db: Database) {}

  /** Newest first; `more` says whether older entries match too. */
  async page(q: LogbookQuery): Promise<{ entries: LogbookEntry[]; more: boolean }> {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (q.before !== undefined) {
      where.push('id < ?');
      params.push(q.before);
    }
    if (q.devices) {
      // One JSON array, not one placeholder per device: an area may hold hundreds.
      where.push('device_id IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(q.devices));
    }
    if (q.cause) {
      where.push('cause = ?');
      params.push(q.cause);
    }
    if (q.excludeKinds?.length) {
      where.push(`kind NOT IN (${q.excludeKinds.map(() => '?').join(', ')})`);
      params.push(...q.excludeKinds);
    }
    const sql = `SELECT id, ts, kind, cause, device_id, actor, level, message FROM logbook
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = await this.db.all<Row>(sql, [...params, q.limit + 1]);
    const more = rows.length > q.limit;
    return { entries: rows.slice(0, q.limit).map(toEntry), more };
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM logbook'))?.n ?? 0;
  }

  /**
   * Deletes what is past the bounds: older than maxAgeMs, past maxPerSource of one source (its oldest), past
   * maxEntries in all (the oldest). In chunks, each its own statement, so the writer's batches get in between.
   */
  async prune(bounds: Bounds, now: number): Promise<number> {
    let deleted = 0;
    deleted += await this.chunked('DELETE FROM logbook WHERE id IN (SELECT id FROM logbook WHERE ts < ? LIMIT ?)', [now - bounds.maxAgeMs]);
    const over = await this.db.all<{ source: string }>('SELECT source FROM logbook GROUP BY source HAVING count(*) > ?', [bounds.maxPerSource]);
    for (const { source } of over) {
      deleted += await this.chunked(
        `DELETE FROM logbook WHERE id IN (SELECT id FROM logbook WHERE source = ? AND id <= (
          SELECT id FROM logbook WHERE source = ? ORDER BY id DESC LIMIT 1 OFFSET ?) ORDER BY id LIMIT ?)`,
        [source, source, bounds.maxPerSource],
      );
    }
    deleted += await this.chunked(
      `DELETE FROM logbook WHERE id IN (SELECT id FROM logbook WHERE id <= (
        SELECT id FROM logbook ORDER BY id DESC LIMIT 1 OFFSET ?) ORDER BY id LIMIT ?)`,
      [bounds.maxEntries],
    );
    return deleted;
  }

  private async chunked(sql: string, params: Array<string | number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < 10_000; i++) {
      const { changes } = await this.db.run(sql, [...params, DELETE_CHUNK]);
      total += changes;
      if (changes < DELETE_CHUNK) break;
    }
    return total;
  }
}

function toEntry(r: Row): LogbookEntry {
  return {
    id: r.id, ts: r.ts, kind: r.kind, cause: r.cause, message: r.message,
    ...(r.device_id !== null ? { deviceId: r.device_id } : {}),
    ...(r.actor !== null ? { actor: r.actor } : {}),
    ...(r.level !== null ? { level: r.level } : {}),
  };
}
