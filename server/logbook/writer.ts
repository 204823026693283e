// Logbook entries go to SQLite in batches, off the broker's path, as history does (server/store/history-writer.ts):
// add() is O(1) and never waits; a timer writes what is queued in one transaction, as one JSON array expanded by
// json_each (one call into the sqlite3 binding per batch). A batch that fails is kept and retried; past maxQueue new
// entries are dropped and counted (a failing disk must not grow memory).

import type { Logger } from '../core/logger.js';
import { sqliteCode, type Database } from '../store/database.js';
import type { LogbookEntry } from '../realtime/protocol.js';

/** An entry as stored: the entry, and whose quota it counts against (see migration.ts). */
export interface StoredEntry extends LogbookEntry {
  source: string;
}
export type Draft = Omit<StoredEntry, 'id'>;

export interface LogbookWriterOptions {
  /** How often queued entries are written. Default 200 ms: a logbook is read by people. */
  intervalMs?: number;
  /** Entries held in memory at most; more are dropped and counted. Default 10,000. */
  maxQueue?: number;
  /** Entries per transaction at most. Default 2,000. */
  batchSize?: number;
  retryMs?: number;
  /** Each committed batch, oldest first (the live feed). */
  onWritten?: (entries: readonly StoredEntry[]) => void;
}

const INSERT = `INSERT INTO logbook (id, ts, kind, cause, source, device_id, actor, level, message)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, j.value ->> 8
  FROM json_each(?) AS j`;

export class LogbookWriter {
  written = 0;
  dropped = 0;
  healthy = true;
  private queue: StoredEntry[] = [];
  private pending: StoredEntry[] | undefined;
  private nextId = 1;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private draining?: Promise<void>;
  private retryAt = 0;
  private lastDropWarn = 0;
  private stopped = false;
  private readonly maxQueue: number;
  private readonly batchSize: number;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly opts: LogbookWriterOptions = {},
  ) {
    this.maxQueue = opts.maxQueue ?? 10_000;
    this.batchSize = opts.batchSize ?? 2000;
  }

  get depth(): number {
    return this.queue.length + (this.pending?.length ?? 0);
  }

  /** Reads the last id ever given (this hub is the table's only writer: ids continue from there) and starts the timer. */
  async start(): Promise<void> {
    const row = await this.db.get<{ id: number | null }>(
      "SELECT max(coalesce((SELECT max(id) FROM logbook), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'logbook'), 0)) AS id",
    );
    this.nextId = (row?.id ?? 0) + 1;
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs ?? 200).unref();
  }

  /** Hot path: the entry gets its id now (the order things happened in) and waits for the next batch. */
  add(draft: Draft): void {
    if (this.stopped || this.depth >= this.maxQueue) {
      this.dropped++;
      const now = Date.now();
      if (now - this.lastDropWarn >= 1000) {
        this.lastDropWarn = now;
        this.log.warn({ dropped: this.dropped, depth: this.depth }, 'logbook queue full: entries dropped');
      }
      return;
    }
    this.queue.push({ id: this.nextId++, ...draft });
    // A full batch waiting is written on the next turn, not at the next tick: a burst must not reach maxQueue.
    if (this.queue.length >= this.batchSize && !this.immediate && this.timer) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.kick();
      });
    }
  }

  /** Writes everything queued; rejects if a batch fails. */
  async flush(): Promise<void> {
    for (let rounds = 0; rounds < 1000; rounds++) {
      if (this.draining) {
        await this.draining.catch(() => undefined);
        continue;
      }
      if (this.depth === 0) return;
      await this.drainExclusive();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    try {
      await this.flush();
    } catch (err) {
      this.log.error({ err, lost: this.depth }, 'logbook writer stopped with entries it could not write');
    }
    this.stopped = true;
  }

  private kick(): void {
    if (this.draining || this.depth === 0 || Date.now() < this.retryAt) return;
    this.drainExclusive().catch(() => undefined); // logged in write(); the batch is kept for the retry
  }

  private drainExclusive(): Promise<void> {
    const run = this.drain();
    this.draining = run;
    const clear = (): void => {
      if (this.draining === run) this.draining = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private async drain(): Promise<void> {
    while (this.depth > 0) {
      this.pending ??= this.queue.splice(0, this.batchSize);
      await this.write(this.pending);
      const done = this.pending;
      this.pending = undefined;
      this.written += done.length;
      try {
        this.opts.onWritten?.(done);
      } catch (err) {
        this.log.error({ err }, 'logbook onWritten failed');
      }
    }
  }

  private async write(batch: StoredEntry[]): Promise<void> {
    const rows = batch.map((e) => [e.id, e.ts, e.kind, e.cause, e.source, e.deviceId ?? null, e.actor ?? null, e.level ?? null, e.message]);
    try {
      await this.db.run(INSERT, [JSON.stringify(rows)]);
    } catch (err) {
      this.healthy = false;
      this.retryAt = Date.now() + (this.opts.retryMs ?? 1000);
      this.log.error({ err, code: sqliteCode(err), batch: batch.length }, 'logbook write failed; will retry');
      throw err;
    }
    if (!this.healthy) this.log.info('logbook writes recovered');
    this.healthy = true;
  }
}
