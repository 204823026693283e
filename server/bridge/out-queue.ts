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
 * Bounded in messages and bytes: past either, the oldest is dropped and counted.
 */
export class OutQueue {
  private entries: Entry[] = [];
  /** Index of the oldest entry still queued: entries before it are gone (compacted now and then, not per message). */
  private head = 0;
  /** Index of the first entry not yet sent on this connection. */
  private cursor = 0;
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

  get depth(): number {
    return this.entries.length - this.head;
  }

  add(topic: string, payload: Buffer, qos: 1 | 2, retain: boolean): void {
    // One object per message, the same shape for every one: it is the queue's entry, the store's row and what the
    // sender writes (a spread copy per layer was a visible share of the bridge's CPU, bench/bridge.ts).
    const e: Entry = { id: 0, topic, payload, qos, retain, row: 'unwritten', bytes: payload.length + Buffer.byteLength(topic), inflight: false, acked: false };
    this.store.add(this.bridge, e);
    this.entries.push(e);
    this.bytes += e.bytes;
    this.trim();
  }

  /** The next message to send on this connection, marked in flight; undefined when all are sent. */
  next(): QueuedMessage | undefined {
    while (this.cursor < this.entries.length) {
      const e = this.entries[this.cursor++]!;
      if (e.acked) continue;
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
    this.store.remove(e);
    let n = 0;
    while (this.head + n < this.entries.length && this.entries[this.head + n]!.acked) n++;
    if (n > 0) this.shift(n);
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

  private push(m: StoredMessage): void {
    const e: Entry = { id: m.id, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, row: m.row, bytes: m.payload.length + Buffer.byteLength(m.topic), inflight: false, acked: false };
    this.entries.push(e);
    this.bytes += e.bytes;
  }

  private trim(): void {
    let n = 0;
    let bytes = this.bytes;
    while (n < this.depth - 1 && (this.depth - n > this.limits.maxMessages || bytes > this.limits.maxBytes)) {
      const e = this.entries[this.head + n++]!;
      bytes -= e.bytes;
      if (!e.acked) {
        this.dropped++;
        this.store.remove(e);
      }
    }
    // A single message larger than maxBytes is kept (n stops at the last): it is the newest, and dropping it would
    // leave nothing to show for the bound.
    if (n > 0) this.shift(n);
  }

  /** Forgets the `n` oldest entries. */
  private shift(n: number): void {
    for (let i = this.head; i < this.head + n; i++) {
      const e = this.entries[i]!;
      this.bytes -= e.bytes;
      if (e.inflight) {
        // Dropped past a bound while in flight: a persistent session may still have to send it again under its
        // packet identifier (out-session.ts), so its payload stays with it until the remote acknowledges it.
        e.inflight = false;
        e.acked = true;
      } else e.payload = gone; // kept until compaction: the bytes at least are let go now
    }
    this.head += n;
    this.cursor = Math.max(this.head, this.cursor);
    // Compacted once the gone part is most of the array: amortised O(1) per message, not a splice per PUBACK.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.cursor -= this.head;
      this.head = 0;
    }
  }
}
