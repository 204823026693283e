import { ErrorCodes, RumahError } from '../core/errors.js';
import { ChangeColumns, type QueuedChange } from './change-columns.js';
import type { Logger } from '../core/logger.js';
import { encodeHistoryValue } from './codec.js';
import { MAX_STATE_VALUE_CHARS } from '../../devices/shared/limits.js';
import { stateSize } from '../core/state-size.js';
import type { StateValue } from '../core/model.js';
import { sqliteCode, type Database, type Statement } from './database.js';

export interface HistoryWriterOptions {
  /** How often queued changes are written. Default 50 ms. */
  intervalMs?: number;
  /**
   * A write starts at once (not at the next tick) when this many are queued; also the most per transaction.
   * Default 50,000. Each transaction rewrites every index page it touches (the (series, ts) index: about one page
   * per series), so rows per page decide the cost: 2,000 per transaction wrote 79,000 rows/s flat out here,
   * 10,000 wrote 161,000. Batches are only this big under load; a quiet hub writes each change at once.
   */
  batchSize?: number;
  /**
   * Above this many changes per second a batch gathers for up to `busyGatherMs` instead of being written on the next
   * turn. Default 5,000. A transaction costs about one index page per series it touches, whatever the rows per
   * series: with 2,000 series, 300-row transactions cost 10.5 µs of SQLite CPU per row here, 10,000-row ones 3.2.
   * At a home's rates (tens to hundreds of changes/s) each change is written at once.
   */
  busyRate?: number;
  /**
   * How long a batch gathers while busy (see busyRate). Default 1000 ms: 33,000 changes/s over 2,000 series cost
   * 3.3-4.8 µs of SQLite CPU per row gathered for 250 ms, 2.1-2.7 for 1 s (bench run here, 5 s runs).
   */
  busyGatherMs?: number;
  /** Changes held in memory at most; past it new ones are dropped and counted. Default 100,000. */
  maxQueue?: number;
  /**
   * Characters of (non-number) values held in memory at most, like maxQueue: past it new changes are dropped and
   * counted. Default 32 Mi (64 MiB as V8 strings at worst). Each value is bounded (MAX_STATE_VALUE_CHARS), but
   * 100,000 of them at the bound would be 6.4 G characters.
   */
  maxQueueChars?: number;
  /** Characters of values per transaction at most (the rows are one JSON string). Default 8 Mi. */
  batchChars?: number;
  /** Wait after a failed write before trying again. Default 1000 ms. */
  retryMs?: number;
  /** Called after each commit: lets a benchmark measure publish → row latency. */
  onWritten?: (changes: readonly QueuedChange[], committedAt: number) => void;
}

const DROP_WARN_INTERVAL_MS = 1000;
/** The arrival rate is counted over windows of this length. */
const RATE_WINDOW_MS = 100;
/**
 * Rows a batch's JSON is built from per event-loop turn. A busy second gathers ~20,000 changes (5,000 reports/s of
 * four values); built in one go that took 5-30 ms of the main thread once a second (measured, bench/tails.ts), and
 * every message arriving meanwhile waited: the broker's p99. Between slices the broker routes what came in. A slice
 * of 1,000 rows still held the loop ~0.55 ms (CPU profile of bench/tails.ts: 266 ms over ~475 slices), twenty times
 * a second, about the whole p99 of bare aedes at that rate; 250 rows hold it ~0.14 ms, for 80 turns a second.
 */
const ROWS_PER_TURN = 250;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Rows go to SQLite as one JSON array per statement, expanded by json_each: one call into the sqlite3 binding per
// batch instead of one per row. Per-row prepared statements reached ~29,000 rows/s here (each call is a hop to the
// libuv thread pool); this reaches ~450,000. Both statements are prepared once.
// Inserted in (series, time) order, then the order they came in (j.key, the array index: two samples of a series
// in the same millisecond keep it): the (series_id, ts) index, ~75% of an insert's cost, then takes each series'
// rows at one place instead of hopping between a leaf page per series for every row. 20,000 rows cost SQLite
// 51–52 against 53–64 ms of CPU over 400 series and 57–61 against 78–95 ms over 2,000, with the hub's 16 MiB
// cache (docs/benchmarks.md, seventeenth session).
const INSERT_HISTORY = `INSERT INTO history (series_id, ts, value)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?) AS j ORDER BY 1, 2, j.key`;
// "WHERE true" is required by SQLite's grammar for an upsert whose source is a SELECT.
const UPSERT_STATE = `INSERT INTO state (device_id, property, value, ts, cause)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4 FROM json_each(?) AS j WHERE true
  ON CONFLICT (device_id, property) DO UPDATE SET value = excluded.value, ts = excluded.ts, cause = excluded.cause`;
// DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING yields the id of an existing row too.
const ENSURE_SERIES = `INSERT INTO series (device_id, property) VALUES (?, ?)
  ON CONFLICT (device_id, property) DO UPDATE SET device_id = excluded.device_id RETURNING id`;

type SeriesIds = Map<string, Map<string, number>>;

function setSeries(ids: SeriesIds, deviceId: string, property: string, id: number): void {
  let byProperty = ids.get(deviceId);
  if (!byProperty) ids.set(deviceId, (byProperty = new Map()));
  byProperty.set(property, id);
}

interface Statements {
  history: Statement;
  state: Statement;
  series: Statement;
}

/**
 * Writes state changes to `history` and `state` in batches, off the hot path. enqueue() is O(1) and never throws;
 * a timer (or a full batch) writes what is queued in one transaction. A batch that fails (disk full...) is kept
 * and retried, and `healthy` is false until a write succeeds again.
 */
export class HistoryWriter {
  /** Changes written since start. */
  written = 0;
  /** Changes refused because the queue was full. */
  dropped = 0;
  /** Duration of the last successful write (transaction), ms. */
  lastBatchMs = 0;
  healthy = true;

  private readonly queue = new ChangeColumns();
  /** The batch being written, or the one that failed and waits for a retry. */
  private pending: ChangeColumns | undefined;
  /** Series ids by device, then property: no key string to build per change. */
  private readonly seriesIds: SeriesIds = new Map();
  private statements?: Promise<Statements>;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private draining?: Promise<void>;
  private retryAt = 0;
  private lastDropWarn = 0;
  /** Arrivals since `windowStart`; `busy` is decided from each finished window. */
  private windowStart = 0;
  private windowCount = 0;
  private busy = false;
  /** When the oldest change still queued (not yet taken into a batch) arrived. */
  private gatherStart = 0;
  private stopped = false;
  private stopping?: Promise<void>;

  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly maxQueueChars: number;
  private readonly batchChars: number;
  /** Depth from which publishers are held (see `behind`), and from which a gathering batch is written at once. */
  private readonly holdAt: number;
  private readonly fullAt: number;
  private readonly retryMs: number;
  private readonly busyPerWindow: number;
  private readonly busyGatherMs: number;
  private readonly log: Logger;

  constructor(
    private readonly db: Database,
    log: Logger,
    private readonly opts: HistoryWriterOptions = {},
  ) {
    this.log = log.child({ module: 'history-writer' });
    this.intervalMs = opts.intervalMs ?? 50;
    this.batchSize = opts.batchSize ?? 50_000;
    this.maxQueue = opts.maxQueue ?? 100_000;
    this.maxQueueChars = opts.maxQueueChars ?? 32 * 1024 * 1024;
    this.batchChars = opts.batchChars ?? 8 * 1024 * 1024;
    this.holdAt = Math.ceil(this.maxQueue * 0.8);
    // A busy writer gathers until a batch is full; one that holds publishers back must not wait that long.
    this.fullAt = Math.min(this.batchSize, this.holdAt);
    this.retryMs = opts.retryMs ?? 1000;
    this.busyPerWindow = ((opts.busyRate ?? 5000) * RATE_WINDOW_MS) / 1000;
    this.busyGatherMs = opts.busyGatherMs ?? 1000;
  }

  /** Changes waiting to be written, including a failed batch. */
  get depth(): number {
    return this.queue.length + (this.pending?.length ?? 0);
  }

  /** Characters of values waiting to be written, including a failed batch (see maxQueueChars). */
  get queuedChars(): number {
    return this.queue.chars + (this.pending?.chars ?? 0);
  }

  /**
   * Far behind (80% of maxQueue, or of maxQueueChars) while writes succeed: the broker then holds publishers until
   * the writer catches up (server/mqtt/flow-control.ts), so an overload slows devices down instead of dropping
   * history. A writer that fails (disk full) is not behind in this sense: devices go on, live, and history is
   * dropped and counted.
   */
  get behind(): boolean {
    return this.healthy && (this.depth >= this.holdAt || this.queuedChars >= this.maxQueueChars * 0.8);
  }

  /** A batch's worth is waiting (in changes or in characters): a busy writer stops gathering. */
  private get full(): boolean {
    return this.depth >= this.fullAt || this.queue.chars >= this.batchChars;
  }

  /** Hot path: called for every stateChanged. Keeps nothing of `change` but its fields (see ChangeColumns). */
  enqueue(change: QueuedChange): void {
    const size = valueChars(change.value);
    if (this.stopped || this.depth >= this.maxQueue || (size > 0 && this.queuedChars + size > this.maxQueueChars)) {
      this.dropped++;
      const now = Date.now();
      if (now - this.lastDropWarn >= DROP_WARN_INTERVAL_MS) {
        this.lastDropWarn = now;
        this.log.warn({ dropped: this.dropped, depth: this.depth, chars: this.queuedChars, stopped: this.stopped }, 'history queue full: changes dropped');
      }
      return;
    }
    const now = Date.now();
    if (this.queue.length === 0) this.gatherStart = now;
    this.queue.push(change, size);
    this.windowCount++;
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.busy = this.windowCount >= (this.busyPerWindow * (now - this.windowStart)) / RATE_WINDOW_MS;
      this.windowStart = now;
      this.windowCount = 0;
    }
    // Group commit: the first change after an idle moment is written on the next turn (a row a few ms after the
    // report); while a batch is being written, later changes gather for the next one. While busy, the timer
    // writes once a batch is full or its oldest change has waited busyGatherMs (see kick()).
    if (this.timer && !this.immediate && !this.draining && this.retryAt <= now && (!this.busy || this.full)) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.kick();
      });
    }
  }

  start(): void {
    if (this.timer || this.stopped) return;
    // unref: a pending history tick must not keep the process alive; stop() flushes explicitly.
    this.timer = setInterval(() => this.kick(), this.intervalMs).unref();
  }

  /** Writes everything queued (also what arrives meanwhile); rejects with DB_WRITE if a batch fails. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.draining) {
        await this.draining.catch(() => undefined);
        continue;
      }
      if (this.depth === 0) return;
      await this.drainExclusive();
    }
  }

  /** Idempotent: stops the timer and writes what is queued. What a failing disk kept from being written is logged. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      this.timer = undefined;
      this.immediate = undefined;
      try {
        await this.flush();
      } catch (err) {
        this.log.error({ err, lost: this.depth }, 'history writer stopped with changes it could not write');
      }
      this.stopped = true;
      const stmts = await this.statements?.catch(() => undefined);
      this.statements = undefined;
      if (stmts) await Promise.all([stmts.history.finalize(), stmts.state.finalize(), stmts.series.finalize()]);
    })();
    return this.stopping;
  }

  /** Timer tick: start a background drain unless one runs or we are backing off after a failure. */
  private kick(): void {
    const now = Date.now();
    if (this.draining || this.depth === 0 || now < this.retryAt) return;
    // A burst that has ended leaves `busy` set until the next arrival: the oldest change bounds the wait anyway.
    if (this.busy && !this.full && now - this.gatherStart < this.busyGatherMs) return;
    this.drainExclusive().catch(() => undefined); // logged in writeBatch; the batch is kept for the retry
  }

  /** Runs drain() as the only writer; `draining` is cleared when it settles. */
  private drainExclusive(): Promise<void> {
    const run = this.drain();
    this.draining = run;
    const clear = () => {
      if (this.draining === run) this.draining = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private async drain(): Promise<void> {
    // While busy, one batch per kick (unless a full one waits): what arrives meanwhile gathers for the next.
    for (let first = true; this.depth > 0 && (first || !this.busy || this.full); first = false) {
      // Take at most one batch: a bounded transaction lets other writers (API, retention) in between.
      this.pending ??= this.queue.takeFirst(this.queue.fitting(this.batchChars, this.batchSize));
      const batch = this.pending;
      await this.writeBatch(batch);
      this.pending = undefined;
      this.queue.recycle(batch);
    }
  }

  private async writeBatch(batch: ChangeColumns): Promise<void> {
    const started = performance.now();
    const newSeries: SeriesIds = new Map();
    try {
      const stmts = await (this.statements ??= this.prepare().catch((err: unknown) => {
        this.statements = undefined; // prepare again at the retry
        throw err;
      }));
      await this.db.transaction(async (tx) => {
        // The rows' JSON is written as it goes (no array per row for JSON.stringify to walk again), as pieces joined
        // into one flat string per slice of ROWS_PER_TURN: built by `+=`, a busy second's ~600 KB was a tree of tens
        // of thousands of strings that outlived the turns between slices and was copied and promoted by the GC; a
        // string per row was ~0.5 KB of garbage per report. Each row ends with "],", the last comma cut at the end.
        const slices: string[] = [];
        let slice: string[] = [];
        let sliceRows = 0;
        // `[<series id>,` per series, made once per batch.
        const heads = new Map<number, string>();
        // Only the last change of each series matters for `state`: its index in the batch.
        const last = new Map<number, number>();
        // A report's changes share its time, and ~20 reports a ms share one: its text is made once, not per row.
        let time = NaN;
        let timeText = '';
        for (let i = 0; i < batch.length; i++) {
          const deviceId = batch.deviceId(i);
          const property = batch.property(i);
          let id = this.seriesIds.get(deviceId)?.get(property) ?? newSeries.get(deviceId)?.get(property);
          if (id === undefined) {
            // all(), not get(): get() leaves a RETURNING statement mid-step, and COMMIT then fails with SQLITE_BUSY.
            id = (await stmts.series.all<{ id: number }>([deviceId, property], tx))[0]!.id;
            setSeries(newSeries, deviceId, property, id);
          }
          const value = encodeHistoryValue(batch.value(i));
          if (batch.time(i) !== time) timeText = String((time = batch.time(i)));
          let head = heads.get(id);
          if (head === undefined) heads.set(id, (head = `[${id},`));
          slice.push(head, timeText, ',', typeof value === 'number' ? String(value) : JSON.stringify(value), '],');
          last.set(id, i);
          if (++sliceRows === ROWS_PER_TURN) {
            slices.push(slice.join(''));
            slice = [];
            sliceRows = 0;
            await nextTurn();
          }
        }
        if (sliceRows > 0) slices.push(slice.join(''));
        const rows = slices.join('');
        const states = [...last.values()].map((i) => [batch.deviceId(i), batch.property(i), JSON.stringify(batch.value(i) ?? null), batch.time(i), JSON.stringify(batch.cause(i))]);
        await stmts.history.run([`[${rows.slice(0, -1)}]`], tx);
        await stmts.state.run([JSON.stringify(states)], tx);
      });
    } catch (err) {
      // The batch stays in `pending` and is retried first; ids of series created in the rolled-back transaction
      // are forgotten (they no longer exist).
      this.healthy = false;
      this.retryAt = Date.now() + this.retryMs;
      this.log.error({ err, code: sqliteCode(err), batch: batch.length, depth: this.depth }, 'history write failed; will retry');
      throw new RumahError(ErrorCodes.DB_WRITE, `history write failed (${sqliteCode(err) ?? 'error'}): ${(err as Error).message}`, {
        code: sqliteCode(err),
      });
    }
    for (const [deviceId, byProperty] of newSeries) for (const [property, id] of byProperty) setSeries(this.seriesIds, deviceId, property, id);
    const committedAt = Date.now();
    this.lastBatchMs = performance.now() - started;
    this.written += batch.length;
    if (!this.healthy) this.log.info({ depth: this.depth }, 'history writes recovered');
    this.healthy = true;
    this.retryAt = 0;
    if (this.opts.onWritten) {
      try {
        this.opts.onWritten(Array.from({ length: batch.length }, (_, i) => batch.at(i)), committedAt);
      } catch (err) {
        this.log.error({ err }, 'onWritten hook failed');
      }
    }
  }

  private async prepare(): Promise<Statements> {
    const [history, state, series] = await Promise.all([
      this.db.prepare(INSERT_HISTORY),
      this.db.prepare(UPSERT_STATE),
      this.db.prepare(ENSURE_SERIES),
    ]);
    return { history, state, series };
  }
}

/** What a value costs the queue: nothing for numbers, booleans and null (kept unboxed or small), else its size. */
function valueChars(v: StateValue): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v !== 'object' || v === null) return 0;
  return stateSize(v, MAX_STATE_VALUE_CHARS * 4);
}
