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
}

interface Row {
  seq: number;
  client_id: string;
  meta: string;
  payload: Buffer | null;
}

export class OutgoingStore {
  readonly #queues = new Map<string, Entry[]>();
  #lastSeq = 0;

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
      store.#queue(row.client_id).push({ seq: row.seq, packet: decodePacket(row.meta, row.payload) });
      store.#lastSeq = row.seq;
    }
    return store;
  }

  /** Whether anything is queued or in flight for this client. */
  has(clientId: string): boolean {
    return this.#queues.has(clientId);
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
    return (tx) => {
      for (const clientId of clientIds) {
        const entry: Entry = { seq: ++this.#lastSeq, packet: copyAsAedesPacket(template) };
        const queue = this.#queue(clientId);
        queue.push(entry);
        tx.onRollback(() => this.#removeEntry(clientId, entry));
        tx.run(this.insertSql, [entry.seq, clientId, meta, payload]);
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
    throw new Error('no such packet');
  }

  /** Removes the first entry with the packet's messageId; returns it (aedes passes it on). */
  clearMessageId(tx: Tx, clientId: string, packet: StoredPacket | number | undefined): StoredPacket | undefined {
    // aedes-persistence's abstract suite passes a bare number here and expects no error.
    const messageId = typeof packet === 'object' && packet !== null ? packet.messageId : undefined;
    const queue = this.#queues.get(clientId);
    const index = queue?.findIndex((entry) => entry.packet.messageId === messageId) ?? -1;
    if (!queue || index < 0) return undefined;
    const [entry] = queue.splice(index, 1) as [Entry];
    if (queue.length === 0) this.#queues.delete(clientId);
    tx.onRollback(() => this.#queue(clientId).splice(index, 0, entry));
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

  #queue(clientId: string): Entry[] {
    let queue = this.#queues.get(clientId);
    if (!queue) {
      queue = [];
      this.#queues.set(clientId, queue);
    }
    return queue;
  }

  #removeEntry(clientId: string, entry: Entry): void {
    const queue = this.#queues.get(clientId);
    const index = queue?.lastIndexOf(entry) ?? -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    if (queue.length === 0) this.#queues.delete(clientId);
  }
}

function subscriptionIdentifier(packet: StoredPacket): unknown {
  return (packet.properties as { subscriptionIdentifier?: unknown } | undefined)?.subscriptionIdentifier;
}
