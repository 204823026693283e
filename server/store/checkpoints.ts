import type { Logger } from '../core/logger.js';
import { openConnection, type Connection } from '../mqtt/persistence/sqlite-connection.js';

/**
 * Checkpoints rumah.db once a second, from a connection of its own. With WAL and synchronous=NORMAL a commit reaches
 * the disk (fsync) only at a checkpoint, which SQLite otherwise runs inside whichever commit takes the WAL past 1,000
 * pages. That had two costs. In time: a quiet house takes an hour or more to fill the WAL, so nothing forced its
 * commits (history, a new device account from `rumah devices add`, a changed password) to the disk; what a power cut
 * left was up to the kernel's writeback (about 30 s). In latency: the commit that ran the checkpoint waited for its
 * fsyncs (5-11 ms here, every ~0.4 s at 2,000 changes/s), the largest item of publish → row p99 (after the fan-in
 * benchmark 5.3-7.0 ms, now 4.2). Here commits stay off the disk's critical path and the checkpoint runs beside
 * them; SQLite's own checkpoint is kept as the bound on the WAL's size (10,000 pages, 40 MiB). Under steady writes
 * a checkpoint beside them rarely finds the WAL wholly copied, so the WAL is restarted only at that bound: the file
 * grows to ~40 MiB (10-minute soak at 6,000 msg/s: 41 MB) and that commit's checkpoint, mostly copied already, is
 * the one stall left, ten times rarer than before.
 */
export class StoreCheckpoints {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  private constructor(
    private readonly conn: Connection,
    private readonly log: Logger,
  ) {}

  static async open(file: string, log: Logger): Promise<StoreCheckpoints> {
    const conn = await openConnection(file);
    // The writer's connection may hold the write lock for a whole batch: wait for it rather than fail.
    await conn.exec('PRAGMA busy_timeout = 5000');
    return new StoreCheckpoints(conn, log.child({ module: 'store-checkpoints' }));
  }

  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.checkpoint(), intervalMs);
    this.timer.unref();
  }

  /** One PASSIVE checkpoint (never blocks a writer); a WAL already copied costs a read of its header. */
  checkpoint(): Promise<void> {
    this.running ??= this.conn
      .all('PRAGMA wal_checkpoint(PASSIVE)')
      .then(
        () => undefined,
        // Nothing is lost (the commits are in the WAL); the next second tries again.
        (err: unknown) => this.log.warn({ err }, 'rumah.db checkpoint failed'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and closes the connection, before the main one closes (its close does the last checkpoint). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.conn.close();
  }
}
