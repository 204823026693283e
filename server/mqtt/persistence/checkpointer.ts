// Bounds, in time, what a power cut can lose. With WAL and synchronous=NORMAL a commit is written to
// broker.db-wal without fsync; the WAL is fsynced only when it is checkpointed, which SQLite does by
// itself only when the WAL reaches ~1000 pages. A hub writing a few retained states a minute could go
// hours between checkpoints, so every interval, if anything was committed since the last one, this
// runs a PASSIVE checkpoint (fsync of the WAL, copy into broker.db, fsync of broker.db).
import type { Logger } from '../../core/logger.js';
import type { WriteBatcher } from './write-batcher.js';

export class Checkpointer {
  #timer: NodeJS.Timeout | undefined;
  #checkpointedAt = 0;
  #stopped = false;

  constructor(
    private readonly batcher: WriteBatcher,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.#timer) return;
    this.#checkpointedAt = this.batcher.stats.transactions;
    this.#timer = setInterval(() => void this.checkpoint(), this.intervalMs);
    // The broker's own lifecycle decides when the process ends, not this timer.
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Checkpoints if anything was committed since the last checkpoint; never rejects. */
  async checkpoint(): Promise<void> {
    const transactions = this.batcher.stats.transactions;
    if (this.#stopped || transactions === this.#checkpointedAt) return;
    try {
      // Runs between transactions: a checkpoint inside an open transaction cannot copy its pages.
      await this.batcher.exclusive((conn) => conn.all('PRAGMA wal_checkpoint(PASSIVE)'));
      this.#checkpointedAt = transactions;
    } catch (err) {
      // Not a lost write (the commits are in the WAL); the next interval tries again.
      this.log.warn({ err }, 'broker database checkpoint failed');
    }
  }
}
