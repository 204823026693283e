import type { QueueStore, QueuedMessage, StoredMessage } from './queue-store.js';

const gone = Buffer.alloc(0);

interface Entry extends StoredMessage {
  bytes: number;
  /** Sent on the current connection and not yet acknowledged. */
  inflight: boolean;
  acked: boolean;
}

/**
 * One bridge's QoS 1/2 messages on their way out, oldest first, held in memory and in rumah.db (QueueStore). A
 * message leaves only once the remote acknowledged it (PUBACK, or PUBCOMP for QoS 2); a connection that drops sends
 * again, from the oldest, whatever was in flight (at least once: the remote may see one twice, never none), unless the
 * remote resumed a persistent session (out-session.ts).
 * Bounded in messages and bytes: past either, the oldest message still waiting to be sent is dropped and counted. One
 * in flight is not dropped: the remote may already have it (a drop counted for a delivered message would be a lie), and
 * a resumed session must send it again under its packet identifier. So the bound holds to within the window in flight.
 */
export class OutQueue {
  private entries: Entry[] = [];
  /** Index of the oldest entry still queued: entries before it are gone (compacted now and then, not per message). */
  private head = 0;
  /** Index of the first entry not yet sent on this connection: every entry before it is in flight or acknowledged. */
  private cursor = 0;
  /** Messages not yet acknowledged (in flight or waiting), and their bytes. */
  private live = 0;
  /** Entries acknowledged or dropped still in the array: before the head, and behind messages in flight. */
  private gone = 0;
  bytes = 0;
  dropped = 0;

  constructor(
    private readonly bridge: string,
    private readonly store: QueueStore,
    private readonly limits: { maxMessages: number; maxBytes: number },
  ) {}

  async load(): Promise<void> {
    for (const m of await this.store.load(this.bridge)) this.push(m);
    this.trim();
  }

  /** Messages the remote has not acknowledged yet: in flight or waiting. */
  get depth(): number {
    return this.live;
  }

  add(topic: string, payload: Buffer, qos: 1 | 2, retain: boolean): void {
    // One object per message, the same shape for every one: it is the queue's entry, the store's row and what the
    // sender writes (a spread copy per layer was a visible share of the bridge's CPU, bench/bridge.ts).
    const e: Entry = { id: 0, topic, payload, qos, retain, row: 'unwritten', bytes: payload.length + Buffer.byteLength(topic), inflight: false, acked: false };
    this.store.add(this.bridge, e);
    this.entries.push(e);
    this.live++;
    this.bytes += e.bytes;
    this.trim();
  }

  /** The next message to send on this connection, marked in flight; undefined when all are sent. */
  next(): QueuedMessage | undefined {
    while (this.cursor < this.entries.length) {
      const e = this.entries[this.cursor++]!;
      // In flight ahead of the cursor only after a restart's resumeInFlight: those go again under their ids.
      if (e.acked || e.inflight) continue;
      e.inflight = true;
      return e;
    }
    return undefined;
  }

  /** The remote acknowledged `msg`: removed here and from rumah.db. */
  acked(msg: QueuedMessage): void {
    const e = msg as Entry;
    if (e.acked || !e.inflight) return;
    e.acked = true;
    e.inflight = false;
    this.live--;
    this.gone++;
    this.bytes -= e.bytes;
    this.store.remove(e);
    this.shiftGone();
  }

  /**
   * A new connection on which the remote kept no session of ours (a clean session, or Session Present 0): what was in
   * flight is sent again, in order, as new messages. A resumed session sends it under its packet ids instead
   * (out-session.ts) and the queue goes on where it was.
   */
  rewind(): void {
    for (let i = this.head; i < this.entries.length; i++) this.entries[i]!.inflight = false;
    this.cursor = this.head;
  }

  /**
   * After a restart, the messages of `rows` (queue row ids) were in flight under a session the remote may have kept
   * (saved-session.ts): marked so, they are sent again by the session under their packet identifiers, not by next().
   * A rewind (the remote kept nothing) makes them ordinary waiting messages again. Returns them by row id.
   */
  resumeInFlight(rows: Iterable<number>): Map<number, QueuedMessage> {
    const wanted = new Set(rows);
    const found = new Map<number, QueuedMessage>();
    for (let i = this.head; i < this.entries.length && found.size < wanted.size; i++) {
      const e = this.entries[i]!;
      if (e.acked || !wanted.has(e.id)) continue;
      e.inflight = true;
      found.set(e.id, e);
    }
    return found;
  }

  private push(m: StoredMessage): void {
    const e: Entry = { id: m.id, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, row: m.row, bytes: m.payload.length + Buffer.byteLength(m.topic), inflight: false, acked: false };
    this.entries.push(e);
    this.live++;
    this.bytes += e.bytes;
  }

  /** Drops the oldest waiting messages while over a bound; never one in flight, and never the newest. */
  private trim(): void {
    const last = this.entries.length - 1;
    let i = this.cursor;
    while (this.live > this.limits.maxMessages || this.bytes > this.limits.maxBytes) {
      // Past the cursor a message is in flight only after a restart (resumeInFlight): kept like any other in flight.
      while (i < last && (this.entries[i]!.acked || this.entries[i]!.inflight)) i++;
      // Only messages in flight and the newest are left. A single message larger than maxBytes is kept: it is the
      // newest, and dropping it would leave nothing to show for the bound.
      if (i >= last) break;
      const e = this.entries[i++]!;
      e.acked = true;
      e.payload = gone;
      this.live--;
      this.gone++;
      this.bytes -= e.bytes;
      this.dropped++;
      this.store.remove(e);
    }
    // Everything from the cursor up to i is dropped now: the next trim starts past it (a stalled remote with a full
    // queue would otherwise make every new message walk all the earlier drops).
    this.cursor = i;
    this.shiftGone();
  }

  /** Forgets the oldest entries while they are acknowledged or dropped. */
  private shiftGone(): void {
    // Kept until compaction: the bytes at least are let go now.
    for (; this.head < this.entries.length && this.entries[this.head]!.acked; this.head++) this.entries[this.head]!.payload = gone;
    this.cursor = Math.max(this.head, this.cursor);
    // Compacted once the gone entries are most of the array: amortised O(1) per message, not a splice per PUBACK. Drops
    // behind a message in flight that is never acknowledged (a stalled remote) are let go too, not only the head's.
    if (this.gone > 1024 && this.gone * 2 > this.entries.length) {
      const kept: Entry[] = [];
      let cursor = 0;
      for (let i = this.head; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (e.acked) continue;
        if (i < this.cursor) cursor++;
        kept.push(e);
      }
      this.entries = kept;
      this.head = 0;
      this.cursor = cursor;
      this.gone = 0;
    }
  }
}
