import type { Database } from '../store/database.js';
import type { Logger } from '../core/logger.js';

/** One QoS 1/2 message waiting to cross a bridge (rumah.db `bridge_queue`, migration 6). */
export interface QueuedMessage {
  id: number;
  topic: string;
  payload: Buffer;
  qos: 1 | 2;
  retain: boolean;
}

/**
 * The durable side of every bridge's out-queue. Writes are batched: whatever was queued or acknowledged in one
 * event-loop turn is one transaction (a row insert per message would cost a commit each). Ids are handed out here,
 * in order, so a bridge delivers in id order after a restart as before it.
 */
export class QueueStore {
  private nextId = 1;
  private inserts: Array<QueuedMessage & { bridge: string }> = [];
  /** Ids in `inserts`, not yet taken by a write: acknowledged before then, a message is never written at all. */
  private unwritten = new Set<number>();
  private deletes: number[] = [];
  private scheduled = false;
  /** A write is chained behind the running one; it takes whatever is pending when it starts. */
  private queued = false;
  private writing: Promise<void> = Promise.resolve();
  /** Batches that failed (disk full?); the messages stay queued in memory and are sent all the same. */
  failures = 0;

  constructor(private readonly db: Database, private readonly log: Logger) {}

  async open(): Promise<void> {
    const row = await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM bridge_queue');
    this.nextId = (row?.id ?? 0) + 1;
  }

  /** What a bridge left queued, oldest first. */
  load(bridge: string): Promise<QueuedMessage[]> {
    return this.db
      .all<{ id: number; topic: string; payload: Buffer; qos: number; retain: number }>('SELECT id, topic, payload, qos, retain FROM bridge_queue WHERE bridge = ? ORDER BY id', [bridge])
      .then((rows) => rows.map((r) => ({ id: r.id, topic: r.topic, payload: r.payload ?? Buffer.alloc(0), qos: r.qos === 2 ? 2 : 1, retain: r.retain === 1 })));
  }

  /** Queues a message durably (written by the end of this turn); returns it with its id. */
  add(bridge: string, msg: Omit<QueuedMessage, 'id'>): QueuedMessage {
    const queued = { ...msg, id: this.nextId++ };
    this.inserts.push({ ...queued, bridge });
    this.unwritten.add(queued.id);
    this.schedule();
    return queued;
  }

  /** The remote acknowledged it, or it was dropped past a bound. */
  remove(id: number): void {
    if (this.unwritten.delete(id)) return; // never written: nothing to delete
    this.deletes.push(id);
    this.schedule();
  }

  /** Deletes every queued row of a bridge that was removed. */
  async drop(bridge: string): Promise<void> {
    await this.flush();
    await this.db.run('DELETE FROM bridge_queue WHERE bridge = ?', [bridge]);
  }

  /** Waits for every write asked for so far (stop, tests). */
  async flush(): Promise<void> {
    if (this.inserts.length > 0 || this.deletes.length > 0) this.write();
    await this.writing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.write();
    });
  }

  /**
   * Group commit: a write starts when the one before it has finished, and takes everything pending then. While the
   * link is up most messages are acknowledged by the remote while the transaction before is still on SQLite's
   * thread, and are then never written (bench/bridge.ts); while it is down every message is written, as before.
   */
  private write(): void {
    if (this.queued) return;
    this.queued = true;
    this.writing = this.writing.then(() => {
      this.queued = false;
      const inserts = this.inserts.filter((m) => this.unwritten.has(m.id));
      const deletes = this.deletes;
      this.inserts = [];
      this.unwritten.clear();
      this.deletes = [];
      if (inserts.length === 0 && deletes.length === 0) return;
      return this.db
        .transaction(async (tx) => {
          // Many rows per statement: a statement is a round trip to SQLite's thread, and at a few thousand messages a
          // second one per row was most of the bridge's cost (bench/bridge.ts).
          for (let i = 0; i < inserts.length; i += 100) {
            const chunk = inserts.slice(i, i + 100);
            await tx.run(`INSERT INTO bridge_queue (id, bridge, topic, payload, qos, retain) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, chunk.flatMap((m) => [m.id, m.bridge, m.topic, m.payload, m.qos, m.retain ? 1 : 0]));
          }
          for (let i = 0; i < deletes.length; i += 500) {
            const chunk = deletes.slice(i, i + 500);
            await tx.run(`DELETE FROM bridge_queue WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
          }
        })
        .catch((err: Error) => {
          this.failures++;
          this.log.error({ err: err.message, inserts: inserts.length, deletes: deletes.length }, 'bridge queue not written to rumah.db; the messages stay queued in memory until rumah stops');
        });
    });
  }
}
