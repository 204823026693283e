import type { Database, Statement, Tx } from '../store/database.js';
import type { Logger } from '../core/logger.js';

/** One QoS 1/2 message waiting to cross a bridge (rumah.db `bridge_queue`, migration 6). */
export interface QueuedMessage {
  id: number;
  topic: string;
  payload: Buffer;
  qos: 1 | 2;
  retain: boolean;
}

/** Where a queued message's row stands: not written yet, written (or loaded), removed before it was written. */
export type RowState = 'unwritten' | 'written' | 'skipped';

/** A queued message as the store tracks it (the out-queue's own entry: one object per message). */
export interface StoredMessage extends QueuedMessage {
  row: RowState;
}

/**
 * Writes start at least this far apart (ms). A transaction has a fixed cost, on the event loop (BEGIN, the statements
 * and COMMIT are a round trip each to SQLite's thread, and each wakes that thread) and on SQLite's side (the WAL):
 * started every event-loop turn, at thousands of messages a second that was a few hundred small transactions a
 * second, ~a quarter of a warm hub's CPU per bridged QoS 1 message (bench/bridge.ts: 23 -> 17 ms per 1,000 in
 * alternating pairs). It also lets more messages be acknowledged by the remote before their write, and so never be
 * written. The price: a message reaches rumah.db up to this much later (plus the write running before it); a clean
 * stop writes everything (flush).
 */
const writeGapMs = 10;
/** At most this many rows, or about this many bytes of JSON, per INSERT statement. */
const rowsPerInsert = 1000;
const bytesPerInsert = 1 << 20;
/**
 * A batch of rows is one JSON text, unpacked by SQLite on its own thread: `[[id, bridge, topic, payload in hex, qos,
 * retain], …]`. Bound as parameters, six per row, the values cost the event loop 2.9 ms per 1,000 rows in node-sqlite3's
 * binding; as one JSON string 0.85 ms (a scratch measurement, 100,000 rows of 64 bytes).
 */
const insertSql = 'INSERT INTO bridge_queue (id, bridge, topic, payload, qos, retain) SELECT value ->> 0, value ->> 1, value ->> 2, unhex(value ->> 3), value ->> 4, value ->> 5 FROM json_each(?)';
/** Id ranges per DELETE statement. */
const rangesPerDelete = 100;

/**
 * The durable side of every bridge's out-queue. Writes are batched: whatever was queued or acknowledged since the
 * last write is one transaction, at most one every writeGapMs (a row insert per message would cost a commit each). Ids are handed out here,
 * in order, so a bridge delivers in id order after a restart as before it.
 */
export class QueueStore {
  private nextId = 1;
  /** Messages to insert, and the bridge of each (parallel arrays: no object per message). */
  private inserts: StoredMessage[] = [];
  private insertBridges: string[] = [];
  /**
   * Ids to delete as ranges [from, to]: acknowledgements come mostly in id order, so a batch of thousands is a few
   * BETWEENs. Ids whose row was never written are folded in too (deleting a row that never existed is nothing) so the
   * ranges stay whole; `deleteWritten` says whether any of them has a row at all.
   */
  private deletes: number[] = [];
  private deleteWritten = false;
  private scheduled = false;
  /** A write is chained behind the running one; it takes whatever is pending when it starts. */
  private queued = false;
  private writing: Promise<void> = Promise.resolve();
  private insert?: Statement;
  private deleteRange?: Statement;
  /** When the last write started (ms). */
  private lastWrite = 0;
  /** Batches that failed (disk full?); the messages stay queued in memory and are sent all the same. */
  failures = 0;

  constructor(private readonly db: Database, private readonly log: Logger) {}

  async open(): Promise<void> {
    const row = await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM bridge_queue');
    this.nextId = (row?.id ?? 0) + 1;
    this.insert = await this.db.prepare(insertSql);
    this.deleteRange = await this.db.prepare('DELETE FROM bridge_queue WHERE id BETWEEN ? AND ?');
  }

  /** What a bridge left queued, oldest first. */
  load(bridge: string): Promise<StoredMessage[]> {
    return this.db
      .all<{ id: number; topic: string; payload: Buffer; qos: number; retain: number }>('SELECT id, topic, payload, qos, retain FROM bridge_queue WHERE bridge = ? ORDER BY id', [bridge])
      .then((rows) => rows.map((r) => ({ id: r.id, topic: r.topic, payload: r.payload ?? Buffer.alloc(0), qos: r.qos === 2 ? 2 : 1, retain: r.retain === 1, row: 'written' })));
  }

  /** Queues a message durably (written within writeGapMs, after the write running now): gives it its id. */
  add(bridge: string, msg: StoredMessage): void {
    msg.id = this.nextId++;
    msg.row = 'unwritten';
    this.inserts.push(msg);
    this.insertBridges.push(bridge);
    this.schedule();
  }

  /** The remote acknowledged it, or it was dropped past a bound. */
  remove(msg: StoredMessage): void {
    const written = msg.row === 'written';
    if (msg.row === 'unwritten') msg.row = 'skipped'; // never written: its insert is skipped
    const d = this.deletes;
    const n = d.length;
    if (n > 0 && d[n - 1] === msg.id - 1) d[n - 1] = msg.id;
    else d.push(msg.id, msg.id);
    if (written) {
      this.deleteWritten = true;
      this.schedule();
    }
  }

  /** Deletes every queued row of a bridge that was removed. */
  async drop(bridge: string): Promise<void> {
    await this.flush();
    await this.db.run('DELETE FROM bridge_queue WHERE bridge = ?', [bridge]);
  }

  /** Waits for every write asked for so far (stop, tests). */
  async flush(): Promise<void> {
    if (this.inserts.length > 0 || this.deleteWritten) this.write();
    await this.writing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      this.write();
    };
    const wait = this.lastWrite + writeGapMs - Date.now();
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  /**
   * Group commit: a write starts when the one before it has finished and at least writeGapMs after it started, and
   * takes everything pending then. While the link is up many messages are acknowledged by the remote before then, and
   * are never written (bench/bridge.ts); while it is down every message is written.
   */
  private write(): void {
    if (this.queued) return;
    this.queued = true;
    this.writing = this.writing.then(() => {
      this.queued = false;
      this.lastWrite = Date.now();
      // Rows for JSON batches (see insertSql), cut at rowsPerInsert rows or about bytesPerInsert.
      const batches: string[] = [];
      let rows: Array<[number, string, string, string, number, number]> = [];
      let bytes = 0;
      let count = 0;
      for (let i = 0; i < this.inserts.length; i++) {
        const m = this.inserts[i]!;
        if (m.row !== 'unwritten') continue;
        m.row = 'written';
        count++;
        rows.push([m.id, this.insertBridges[i]!, m.topic, m.payload.toString('hex'), m.qos, m.retain ? 1 : 0]);
        bytes += 2 * m.payload.length + m.topic.length;
        if (rows.length === rowsPerInsert || bytes >= bytesPerInsert) {
          batches.push(JSON.stringify(rows));
          rows = [];
          bytes = 0;
        }
      }
      if (rows.length > 0) batches.push(JSON.stringify(rows));
      this.inserts = [];
      this.insertBridges = [];
      const ranges = this.deleteWritten ? mergeRanges(this.deletes) : [];
      this.deletes = [];
      this.deleteWritten = false;
      if (batches.length === 0 && ranges.length === 0) return;
      return this.db
        .transaction((tx) => this.statements(tx, batches, ranges))
        .catch((err: Error) => {
          this.failures++;
          this.log.error({ err: err.message, inserts: count, deletes: ranges.length / 2 }, 'bridge queue not written to rumah.db; the messages stay queued in memory until rumah stops');
        });
    });
  }

  private async statements(tx: Tx, batches: string[], ranges: number[]): Promise<void> {
    // Many rows per statement: at a few thousand messages a second, one statement per row was most of the bridge's
    // cost (bench/bridge.ts).
    for (const batch of batches) await this.insert!.run([batch], tx);
    // Acknowledgements in order make one range: a statement prepared once (an unprepared one is three round trips to
    // SQLite's thread: prepare, run, finalize).
    if (ranges.length <= 8) {
      for (let j = 0; j < ranges.length; j += 2) await this.deleteRange!.run([ranges[j]!, ranges[j + 1]!], tx);
      return;
    }
    for (let j = 0; j < ranges.length; j += rangesPerDelete * 2) {
      const chunk = ranges.slice(j, j + rangesPerDelete * 2);
      await tx.run(`DELETE FROM bridge_queue WHERE ${Array.from({ length: chunk.length / 2 }, () => 'id BETWEEN ? AND ?').join(' OR ')}`, chunk);
    }
  }
}

/** [from, to] pairs sorted and merged where they touch or overlap (acknowledgements out of order). */
function mergeRanges(pairs: number[]): number[] {
  const n = pairs.length / 2;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
  const out: number[] = [];
  for (const i of order) {
    const from = pairs[2 * i]!;
    const to = pairs[2 * i + 1]!;
    const last = out.length - 1;
    if (last > 0 && from <= out[last]! + 1) out[last] = Math.max(out[last]!, to);
    else out.push(from, to);
  }
  return out;
}
