import type { Logger } from '../core/logger.js';
import type { Device } from '../core/model.js';
import type { Database } from '../store/database.js';
import type { SettingsRepo } from '../store/settings-repo.js';
import { decodeHistoryValue } from '../store/codec.js';
import { seriesKey, seriesLine } from './influx-line.js';

export interface InfluxExportOptions {
  /** The write endpoint with its query: `.../write?db=x` (InfluxDB 1.x, VictoriaMetrics, QuestDB), `.../api/v2/write?org=&bucket=`. */
  url: string;
  /** Sent as the Authorization header as it is: `Token <t>` (InfluxDB 2/3), `Bearer <t>`, `Basic <b64>`. */
  authorization?: string;
  measurement: string;
  /** Rows per request at most. */
  batchSize: number;
  /** How often new history rows are looked for. */
  intervalMs: number;
  /** The longest wait between attempts while the endpoint fails (the wait doubles from intervalMs up to this). */
  maxRetryMs: number;
  timeoutMs: number;
}

export interface InfluxExportDeps {
  db: Database;
  settings: SettingsRepo;
  device: (id: string) => Device | undefined;
  log: Logger;
  options: InfluxExportOptions;
}

/** Where the export has got to in the history table; kept in `settings` (no migration needed). */
export const cursorKey = 'export.influx.cursor';

interface Row {
  id: number;
  series: number;
  ts: number;
  value: number | string | null;
}

/** A history series as the export writes it: its device and property, and its line key for the tags it was made from. */
interface Series {
  deviceId: string;
  property: string;
  key?: string;
  /** The device fields the key was made from: a rename or a move makes a new key. */
  made?: readonly [string | undefined, string | undefined, string | undefined, string | undefined];
}

/**
 * History out to an InfluxDB-line-protocol endpoint. The history table is the durable buffer: the export keeps only
 * the rowid of the last row the endpoint accepted, reads on from there in batches, and after an outage (of the
 * endpoint, or of the hub) simply reads on from the same place, which back-fills what was missed. The buffer is as
 * bounded as history itself (history.rawDays): rows pruned before they were sent are not sent (docs/exports.md).
 */
export class InfluxExport {
  readonly counters = { written: 0, rejected: 0, failures: 0, lastSuccess: 0, lastError: '' };
  private cursor = 0;
  /** The newest history rowid seen at the last look (a rowid table's max is one b-tree step). */
  private newest = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failuresInRow = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  /**
   * Every series the export has met, by id. Series rows are never deleted or changed (store/migrations.ts), so an id
   * names the same device and property for good; the rows are read without the join, and only new ids are looked up.
   */
  private readonly series = new Map<number, Series>();

  /** The URL without user:password (fetch refuses a URL with credentials), and the header they become. */
  private readonly url: string;
  private readonly authorization?: string;

  constructor(private readonly deps: InfluxExportDeps) {
    const u = new URL(deps.options.url);
    this.authorization = deps.options.authorization;
    if (u.username || u.password) {
      this.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    this.url = u.toString();
  }

  async start(): Promise<void> {
    const { db, settings, log } = this.deps;
    const max = (await db.get<{ id: number | null }>('SELECT max(rowid) AS id FROM history'))?.id ?? 0;
    const saved = await settings.get<number>(cursorKey);
    if (typeof saved !== 'number') {
      // First start of the export: history from before it was switched on is not sent (docs/exports.md).
      this.cursor = max;
      await settings.set(cursorKey, this.cursor);
    } else if (saved > max) {
      // The history table is not the one the cursor was taken in (restored from a backup, emptied): rowids start
      // again below it, and rows past the cursor would never be sent.
      log.warn({ cursor: saved, maxRowid: max }, 'history export cursor is past the end of the history table (restored or emptied?); continuing from its end');
      this.cursor = max;
      await settings.set(cursorKey, this.cursor);
    } else {
      this.cursor = saved;
    }
    this.schedule(0);
  }

  /** History rows not yet accepted by the endpoint, as of the last look (for /metrics). */
  get backlog(): number {
    return Math.max(0, this.newest - this.cursor);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.run().finally(() => (this.running = undefined));
    }, ms);
  }

  private async run(): Promise<void> {
    this.newest = (await this.deps.db.get<{ id: number | null }>('SELECT max(rowid) AS id FROM history').catch(() => undefined))?.id ?? this.newest;
    let result: 'done' | 'more' | 'failed' = 'more';
    while (result === 'more' && !this.stopped) result = await this.batch();
    if (result === 'failed') {
      this.failuresInRow++;
      const { intervalMs, maxRetryMs } = this.deps.options;
      this.schedule(Math.min(maxRetryMs, intervalMs * 2 ** Math.min(this.failuresInRow, 16)));
    } else {
      this.failuresInRow = 0;
      this.schedule(this.deps.options.intervalMs);
    }
  }

  private async batch(): Promise<'done' | 'more' | 'failed'> {
    const { db, options, log } = this.deps;
    let rows: Row[];
    try {
      // Four numbers a row, no strings: node-sqlite3 makes each row an object on the event loop, ~1.2 µs a row here
      // against ~1.7 µs with the series' two strings joined in (dist/scratch measurement, 200,000 rows).
      rows = await db.all<Row>('SELECT rowid AS id, series_id AS series, ts, value FROM history WHERE rowid > ? ORDER BY rowid LIMIT ?', [this.cursor, options.batchSize]);
      await this.learnSeries(rows);
    } catch (err) {
      if (!this.stopped) log.warn({ err: (err as Error).message }, 'history export: reading history failed');
      return 'failed';
    }
    if (rows.length === 0) return 'done';
    const lines: string[] = [];
    // A series' measurement and tags are escaped when first met and again only when its device's name, floor, room
    // or unit changed, checked once per batch: escaping the tags of every point was most of the export's CPU at
    // 30,000 rows a second (bench/exports.ts). A device renamed or moved is written under its new tags from the next
    // batch on.
    const checked = new Set<number>();
    for (const r of rows) {
      const series = this.series.get(r.series);
      if (series === undefined) continue; // a row whose series row is missing: nothing to name it by
      if (!checked.has(r.series)) {
        checked.add(r.series);
        this.refreshKey(series);
      }
      const l = seriesLine(series.key!, decodeHistoryValue(r.value), r.ts);
      if (l !== undefined) lines.push(l);
    }
    const last = rows.at(-1)!.id;
    if (lines.length > 0) {
      const outcome = await this.post(lines.join('\n') + '\n');
      if (outcome === 'retry') return 'failed';
      if (outcome === 'rejected') this.counters.rejected += lines.length;
      else this.counters.written += lines.length;
    }
    this.cursor = last;
    await this.deps.settings.set(cursorKey, last);
    return rows.length === options.batchSize ? 'more' : 'done';
  }

  /** Reads the device and property of the series in `rows` not met before. */
  private async learnSeries(rows: readonly Row[]): Promise<void> {
    const unknown = [...new Set(rows.filter((r) => !this.series.has(r.series)).map((r) => r.series))];
    for (let i = 0; i < unknown.length; i += 500) {
      const ids = unknown.slice(i, i + 500);
      const found = await this.deps.db.all<{ id: number; device_id: string; property: string }>(
        `SELECT id, device_id, property FROM series WHERE id IN (${ids.map(() => '?').join(',')})`,
        ids,
      );
      for (const f of found) this.series.set(f.id, { deviceId: f.device_id, property: f.property });
    }
  }

  /** The series' line key, made again if the device's tags changed since it was made. */
  private refreshKey(series: Series): void {
    const device = this.deps.device(series.deviceId);
    const unit = device?.capabilities.find((c) => c.property === series.property)?.unit;
    const made = series.made;
    if (series.key !== undefined && made !== undefined && made[0] === device?.name && made[1] === device?.floor && made[2] === device?.room && made[3] === unit) return;
    series.made = [device?.name, device?.floor, device?.room, unit];
    series.key = seriesKey(this.deps.options.measurement, { id: series.deviceId, name: device?.name, floor: device?.floor, room: device?.room, property: series.property, unit });
  }

  /**
   * 2xx: accepted. 400 and 422 (a point the store refuses: a type conflict, a bad name) would be refused forever,
   * so the batch is logged, counted and passed over. Anything else (down, 401 until the token is fixed, 413, 429,
   * 5xx) is retried with the cursor where it was.
   */
  private async post(body: string): Promise<'ok' | 'rejected' | 'retry'> {
    const { options, log } = this.deps;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...(this.authorization ? { authorization: this.authorization } : {}) },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
      // Read to the end either way (a 204 has nothing), so the connection goes back to the pool.
      const text = (await res.text()).slice(0, 500);
      if (res.ok) {
        if (this.counters.failures > 0 && this.failuresInRow > 0) log.info({ url: redact(options.url) }, 'history export: endpoint accepts points again; back-filling');
        this.counters.lastSuccess = Date.now();
        return 'ok';
      }
      if (res.status === 400 || res.status === 422) {
        log.error({ status: res.status, response: text }, 'history export: the endpoint refused a batch; it is skipped (see the response)');
        return 'rejected';
      }
      return this.failed(`HTTP ${res.status} ${text}`);
    } catch (err) {
      return this.failed((err as Error).message);
    }
  }

  private failed(why: string): 'retry' {
    this.counters.failures++;
    this.counters.lastError = why;
    // Once per outage at warn, then at debug: a store down for a day must not fill the log.
    if (this.failuresInRow === 0 && !this.stopped) this.deps.log.warn({ url: redact(this.deps.options.url), err: why }, 'history export: the endpoint is not accepting points; retrying, nothing is lost while history keeps the rows');
    else this.deps.log.debug({ err: why }, 'history export: still failing');
    return 'retry';
  }
}

/** The URL without credentials in its query (InfluxDB 1.x takes `u` and `p` there). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    for (const k of ['p', 'password', 'token']) if (u.searchParams.has(k)) u.searchParams.set(k, '***');
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
