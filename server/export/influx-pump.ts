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

/** A device's tags as the export writes them; a new object whenever one of them changes. */
export interface DeviceTags {
  name?: string;
  floor?: string;
  room?: string;
  /** Unit per property. */
  units: Readonly<Record<string, string | undefined>>;
}

export interface InfluxCounters {
  written: number;
  rejected: number;
  failures: number;
  lastSuccess: number;
  lastError: string;
}

/** What the pump reads history through: rumah.db, read only. */
export interface HistoryReader {
  all<T>(sql: string, params: readonly (string | number)[]): Promise<T[]>;
  get<T>(sql: string, params: readonly (string | number)[]): Promise<T | undefined>;
}

export interface InfluxPumpDeps {
  db: HistoryReader;
  /** The tags of a device, or undefined for one the hub does not know (forgotten): its points carry id and property. */
  tags: (deviceId: string) => DeviceTags | undefined;
  /** The endpoint accepted (or refused for good) everything up to this rowid: where the next start reads on. */
  saveCursor: (rowid: number) => void;
  log: (level: 'info' | 'warn' | 'error' | 'debug', obj: Record<string, unknown>, msg: string) => void;
  /** After each batch or failed attempt: the counters and the backlog changed. */
  changed: () => void;
  options: InfluxExportOptions;
}

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
  /** The tags object the key was made from (DeviceTags is replaced, not changed, when a tag changes). */
  made?: DeviceTags;
  /** The last batch that checked its tags. */
  checkedIn?: number;
}

/**
 * History out to an InfluxDB-line-protocol endpoint: reads history rows from `cursor` on in batches, writes them as
 * lines, and moves the cursor on when the endpoint answers. The history table is the durable buffer: after an outage
 * (of the endpoint, or of the hub) it simply reads on from the same place, which back-fills what was missed; the buffer
 * is as bounded as history itself (history.rawDays): rows pruned before they were sent are not sent (docs/exports.md).
 * Runs in the export's worker thread (influx-worker.ts).
 */
export class InfluxPump {
  readonly counters: InfluxCounters = { written: 0, rejected: 0, failures: 0, lastSuccess: 0, lastError: '' };
  /** The newest history rowid seen at the last look (a rowid table's max is one b-tree step). */
  newest = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failuresInRow = 0;
  private stopped = false;
  private batches = 0;
  private readonly abort = new AbortController();
  /**
   * Every series the export has met, by id. Series rows are never deleted or changed (store/migrations.ts), so an id
   * names the same device and property for good; the rows are read without the join, and only new ids are looked up.
   */
  private readonly series = new Map<number, Series>();
  /** The URL without user:password (fetch refuses a URL with credentials), and the header they become. */
  private readonly url: string;
  private readonly authorization?: string;

  constructor(private readonly deps: InfluxPumpDeps, private cursor: number) {
    const u = new URL(deps.options.url);
    this.authorization = deps.options.authorization;
    if (u.username || u.password) {
      this.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    this.url = u.toString();
    this.newest = cursor;
  }

  /** History rows not yet accepted by the endpoint, as of the last look (for /metrics). */
  get backlog(): number {
    return Math.max(0, this.newest - this.cursor);
  }

  start(): void {
    this.schedule(0);
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
    this.newest = (await this.deps.db.get<{ id: number | null }>('SELECT max(rowid) AS id FROM history', []).catch(() => undefined))?.id ?? this.newest;
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
    this.deps.changed();
  }

  private async batch(): Promise<'done' | 'more' | 'failed'> {
    const { db, options } = this.deps;
    let rows: Row[];
    try {
      // Four numbers a row, no strings: node-sqlite3 makes each row an object, ~1.2 µs a row against ~1.7 µs with the
      // series' two strings joined in (200,000 rows, measured).
      rows = await db.all<Row>('SELECT rowid AS id, series_id AS series, ts, value FROM history WHERE rowid > ? ORDER BY rowid LIMIT ?', [this.cursor, options.batchSize]);
      await this.learnSeries(rows);
    } catch (err) {
      if (!this.stopped) this.deps.log('warn', { err: (err as Error).message }, 'history export: reading history failed');
      return 'failed';
    }
    if (rows.length === 0) return 'done';
    // A series' measurement and tags are escaped when first met and again only when its device's tags changed, checked
    // once per batch: escaping the tags of every point was most of the export's CPU at 30,000 rows a second
    // (bench/exports.ts). A device renamed or moved is written under its new tags from the next batch on.
    const batch = ++this.batches;
    let body = '';
    let lines = 0;
    for (const r of rows) {
      const series = this.series.get(r.series);
      if (series === undefined) continue; // a row whose series row is missing: nothing to name it by
      if (series.checkedIn !== batch) {
        series.checkedIn = batch;
        this.refreshKey(series);
      }
      const l = seriesLine(series.key!, decodeHistoryValue(r.value), r.ts);
      if (l === undefined) continue;
      body += l + '\n';
      lines++;
    }
    const last = rows.at(-1)!.id;
    if (lines > 0) {
      const outcome = await this.post(body);
      if (outcome === 'retry') return 'failed';
      if (outcome === 'rejected') this.counters.rejected += lines;
      else this.counters.written += lines;
    }
    this.cursor = last;
    this.deps.saveCursor(last);
    this.deps.changed();
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

  /** The series' line key, made again if its device's tags changed since it was made. */
  private refreshKey(series: Series): void {
    const tags = this.deps.tags(series.deviceId);
    if (series.key !== undefined && series.made === tags) return;
    series.made = tags;
    series.key = seriesKey(this.deps.options.measurement, { id: series.deviceId, name: tags?.name, floor: tags?.floor, room: tags?.room, property: series.property, unit: tags?.units[series.property] });
  }

  /**
   * 2xx: accepted. 400 and 422 (a point the store refuses: a type conflict, a bad name) would be refused forever,
   * so the batch is logged, counted and passed over. Anything else (down, 401 until the token is fixed, 413, 429,
   * 5xx) is retried with the cursor where it was.
   */
  private async post(body: string): Promise<'ok' | 'rejected' | 'retry'> {
    const { options } = this.deps;
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
        if (this.counters.failures > 0 && this.failuresInRow > 0) this.deps.log('info', { url: redact(options.url) }, 'history export: endpoint accepts points again; back-filling');
        this.counters.lastSuccess = Date.now();
        return 'ok';
      }
      if (res.status === 400 || res.status === 422) {
        this.deps.log('error', { status: res.status, response: text }, 'history export: the endpoint refused a batch; it is skipped (see the response)');
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
    if (this.failuresInRow === 0 && !this.stopped) this.deps.log('warn', { url: redact(this.deps.options.url), err: why }, 'history export: the endpoint is not accepting points; retrying, nothing is lost while history keeps the rows');
    else this.deps.log('debug', { err: why }, 'history export: still failing');
    this.deps.changed();
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
