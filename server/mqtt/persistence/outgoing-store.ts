// Outgoing QoS 1/2 messages per client, in delivery order: queued while a persistent session's
// client is away, and kept in flight until acknowledged [MQTT-4.4.0-1]. aedes finds entries by
// (brokerId, brokerCounter) when it assigns a messageId, and by messageId on PUBACK/PUBREC/PUBCOMP,
// exactly as aedes-persistence's reference implementation does; this mirrors it in memory and
// writes each change through to the `outgoing` table, keyed by a sequence number we assign.
import { copyAsAedesPacket } from './cjs-deps.js';
import { decodePacket, encodePacket } from './packet-codec.js';
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { StoredPacket } from './types.js';
import type { Tx } from './write-batcher.js';

interface Entry {
  readonly seq: number;
  packet: StoredPacket;
  /** Topic + payload bytes, as enqueued: what the entry weighs against mqtt.maxQueuedBytesPerSession. */
  readonly bytes: number;
}

/** The bound of one session's queue (mosquitto's max_queued_messages / max_queued_bytes); see storage-quotas.ts. */
export interface QueueLimit {
  messages: number;
  bytes: number;
}

/** Told of the messages dropped from a session's queue to keep it within its limit. */
export type QueueDropped = (clientId: string, messages: number, bytes: number) => void;

interface Row {
  seq: number;
  client_id: string;
  meta: string;
  payload: Buffer | null;
}

export class OutgoingStore {
  readonly #queues = new Map<string, Entry[]>();
  /** Bytes of each queue (the entries' `bytes`), kept with every change to #queues. */
  readonly #bytes = new Map<string, number>();
  #lastSeq = 0;
  #limit: QueueLimit | undefined;
  /**
   * Clients whose queue the limit has cut (bounded, oldest forgotten first). aedes may still be delivering entries
   * that were dropped — from a snapshot of the queue (outgoingStream), or live deliveries scheduled before a burst
   * pushed them out — and its outgoingUpdate of one is not an error (that failed the delivery and closed the client):
   * the message is simply sent, untracked. Remembered per client, not per entry: a burst can drop any number of
   * entries before their deliveries run (a per-entry memory of 100 closed the subscriber of a 3,000-message burst).
   */
  readonly #cut = new Set<string>();
  #onDropped: QueueDropped = () => {};

  private constructor(
    private readonly insertSql: PreparedStatement,
    private readonly updateSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<OutgoingStore> {
    const store = new OutgoingStore(
      await conn.prepare('INSERT INTO outgoing (seq, client_id, meta, payload) VALUES (?, ?, ?, ?)'),
      await conn.prepare('UPDATE outgoing SET meta = ?, payload = ? WHERE seq = ?'),
      await conn.prepare('DELETE FROM outgoing WHERE seq = ?'),
    );
    for (const row of await conn.all<Row>('SELECT seq, client_id, meta, payload FROM outgoing ORDER BY seq')) {
      const packet = decodePacket(row.meta, row.payload);
      store.#push(row.client_id, { seq: row.seq, packet, bytes: weight(packet) });
      store.#lastSeq = row.seq;
    }
    return store;
  }

  /** Whether anything is queued or in flight for this client. */
  has(clientId: string): boolean {
    return this.#queues.has(clientId);
  }

  /**
   * Bounds every session's queue from now on: past either limit, the oldest queued messages are dropped (a queue
   * keeps the newest: a device coming back wants the last commands, not the first). Queues already over it at start
   * are cut down at their next enqueue.
   */
  setLimit(limit: QueueLimit, onDropped: QueueDropped): void {
    this.#limit = limit;
    this.#onDropped = onDropped;
  }

  /** Entries and bytes queued or in flight for this client. */
  usage(clientId: string): { messages: number; bytes: number } {
    return { messages: this.#queues.get(clientId)?.length ?? 0, bytes: this.#bytes.get(clientId) ?? 0 };
  }

  /** Queued or in-flight entries over all clients. */
  get size(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.length;
    return n;
  }

  /**
   * Prepares the enqueue of one message for several clients. The packet is copied the way aedes
   * copies it and encoded once, now; each client gets its own copy (its messageId will differ).
   */
  prepareEnqueue(clientIds: readonly string[], original: StoredPacket): (tx: Tx) => void {
    const template = copyAsAedesPacket(original);
    const { meta, payload } = encodePacket(template);
    const bytes = weight(template);
    return (tx) => {
      for (const clientId of clientIds) {
        const entry: Entry = { seq: ++this.#lastSeq, packet: copyAsAedesPacket(template), bytes };
        this.#push(clientId, entry);
        tx.onRollback(() => this.#removeEntry(clientId, entry));
        tx.run(this.insertSql, [entry.seq, clientId, meta, payload]);
        this.#enforce(tx, clientId);
      }
    };
  }

  /**
   * The first entry of the same (brokerId, brokerCounter) gets the packet's messageId (aedes
   * assigned one before sending); otherwise the first entry of another broker with the same
   * messageId is replaced by the packet (a PUBLISH becoming its PUBREL after PUBREC [MQTT-4.3.3-1]).
   * messageIds are 16 bits and reused, hence brokerCounter first.
   */
  update(tx: Tx, clientId: string, packet: StoredPacket): void {
    const queue = this.#queues.get(clientId) ?? [];
    // An MQTT 5 client gets one copy per subscription with its own Subscription Identifier (dedupe.ts), each queued
    // as its own entry of the same (brokerId, brokerCounter): the copy is the entry with its identifier. (Matched by
    // counter alone, every copy updated the first entry and the others stayed, sent again at the next reconnect.)
    const si = subscriptionIdentifier(packet);
    if (si !== undefined) {
      const own = queue.find((e) => e.packet.brokerId === packet.brokerId && e.packet.brokerCounter === packet.brokerCounter && subscriptionIdentifier(e.packet) === si);
      if (own) {
        const previousId = own.packet.messageId;
        own.packet.messageId = packet.messageId;
        tx.onRollback(() => void (own.packet.messageId = previousId));
        this.#write(tx, own);
        return;
      }
      // Its copy was dropped by the queue's bound: matched by counter alone, another copy would take its messageId.
      if (this.#cut.has(clientId)) return;
    }
    for (const entry of queue) {
      const current = entry.packet;
      if (current.brokerId === packet.brokerId) {
        if (current.brokerCounter !== packet.brokerCounter) continue;
        const previousId = current.messageId;
        current.messageId = packet.messageId;
        tx.onRollback(() => void (current.messageId = previousId));
        this.#write(tx, entry);
        return;
      }
      if (current.messageId === packet.messageId) {
        entry.packet = { ...packet };
        tx.onRollback(() => void (entry.packet = current));
        this.#write(tx, entry);
        return;
      }
    }
    if (this.#cut.has(clientId)) return;
    throw new Error('no such packet');
  }

  /** Removes the first entry with the packet's messageId; returns it (aedes passes it on). */
  clearMessageId(tx: Tx, clientId: string, packet: StoredPacket | number | undefined): StoredPacket | undefined {
    // aedes-persistence's abstract suite passes a bare number here and expects no error.
    const messageId = typeof packet === 'object' && packet !== null ? packet.messageId : undefined;
    const queue = this.#queues.get(clientId);
    const index = queue?.findIndex((entry) => entry.packet.messageId === messageId) ?? -1;
    if (!queue || index < 0) return undefined;
    const entry = this.#removeAt(clientId, queue, index);
    tx.onRollback(() => this.#insertAt(clientId, index, entry));
    tx.run(this.removeSql, [entry.seq]);
    return entry.packet;
  }

  /** A snapshot of the client's queue; copies, so a consumer changing them cannot change the store. */
  stream(clientId: string): StoredPacket[] {
    return (this.#queues.get(clientId) ?? []).map(({ packet }) =>
      Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as StoredPacket, packet),
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.insertSql.finalize(), this.updateSql.finalize(), this.removeSql.finalize()]);
  }

  #write(tx: Tx, entry: Entry): void {
    const { meta, payload } = encodePacket(entry.packet);
    tx.run(this.updateSql, [meta, payload, entry.seq]);
  }

  /**
   * Drops the oldest PUBLISH entries of the client's queue while it is over the limit. A PUBREL is never dropped (it
   * finishes a QoS 2 exchange the client has half done [MQTT-4.3.3]); an entry in flight may be: its PUBACK then finds
   * nothing, which aedes takes as done.
   */
  #enforce(tx: Tx, clientId: string): void {
    const limit = this.#limit;
    const queue = this.#queues.get(clientId);
    if (!limit || !queue) return;
    let messages = 0;
    let bytes = 0;
    let from = 0;
    while (queue.length > limit.messages || (this.#bytes.get(clientId) ?? 0) > limit.bytes) {
      const index = queue.findIndex((e, i) => i >= from && e.packet.cmd !== 'pubrel');
      if (index < 0) break;
      from = index;
      const entry = this.#removeAt(clientId, queue, index);
      tx.onRollback(() => this.#insertAt(clientId, index, entry));
      tx.run(this.removeSql, [entry.seq]);
      this.#rememberCut(clientId);
      messages++;
      bytes += entry.bytes;
      if (!this.#queues.has(clientId)) break;
    }
    if (messages > 0) this.#onDropped(clientId, messages, bytes);
  }

  #rememberCut(clientId: string): void {
    if (this.#cut.has(clientId)) return;
    // Bounded over clients: an old client's mark matters only while deliveries of its dropped entries are on their way.
    if (this.#cut.size >= 1000) this.#cut.delete(this.#cut.values().next().value!);
    this.#cut.add(clientId);
  }

  #queue(clientId: string): Entry[] {
    let queue = this.#queues.get(clientId);
    if (!queue) {
      queue = [];
      this.#queues.set(clientId, queue);
    }
    return queue;
  }

  #push(clientId: string, entry: Entry): void {
    this.#queue(clientId).push(entry);
    this.#bytes.set(clientId, (this.#bytes.get(clientId) ?? 0) + entry.bytes);
  }

  #insertAt(clientId: string, index: number, entry: Entry): void {
    this.#queue(clientId).splice(index, 0, entry);
    this.#bytes.set(clientId, (this.#bytes.get(clientId) ?? 0) + entry.bytes);
  }

  #removeAt(clientId: string, queue: Entry[], index: number): Entry {
    const [entry] = queue.splice(index, 1) as [Entry];
    if (queue.length === 0) {
      this.#queues.delete(clientId);
      this.#bytes.delete(clientId);
    } else {
      this.#bytes.set(clientId, (this.#bytes.get(clientId) ?? 0) - entry.bytes);
    }
    return entry;
  }

  #removeEntry(clientId: string, entry: Entry): void {
    const queue = this.#queues.get(clientId);
    const index = queue?.lastIndexOf(entry) ?? -1;
    if (!queue || index < 0) return;
    this.#removeAt(clientId, queue, index);
  }
}

/** Topic + payload bytes of a queued packet (a PUBREL weighs nothing). */
function weight(packet: StoredPacket): number {
  const topic = typeof packet.topic === 'string' ? Buffer.byteLength(packet.topic) : 0;
  const payload = packet.payload;
  return topic + (payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
}

function subscriptionIdentifier(packet: StoredPacket): unknown {
  return (packet.properties as { subscriptionIdentifier?: unknown } | undefined)?.subscriptionIdentifier;
}
