// Incoming QoS 2 PUBLISHes, stored from PUBREC until PUBREL, keyed by (client, messageId): the
// receiver must not deliver a retransmission of a message it already accepted [MQTT-4.3.3-2].
// aedes looks here on every QoS 2 PUBLISH, so reads come from memory; writes go through to `incoming`.
import { copyAsAedesPacket } from './cjs-deps.js';
import { decodePacket, encodePacket } from './packet-codec.js';
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { StoredPacket } from './types.js';
import type { Tx } from './write-batcher.js';

interface Row {
  client_id: string;
  message_id: number;
  meta: string;
  payload: Buffer | null;
}

export class IncomingStore {
  readonly #byClient = new Map<string, Map<number, StoredPacket>>();

  private constructor(
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
    private readonly removeClientSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<IncomingStore> {
    const store = new IncomingStore(
      await conn.prepare(
        'INSERT INTO incoming (client_id, message_id, meta, payload) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (client_id, message_id) DO UPDATE SET meta = excluded.meta, payload = excluded.payload',
      ),
      await conn.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
      // Equality on the id, not a prefix: cleaning "abc" must not touch "abcd" (the abstract suite checks).
      await conn.prepare('DELETE FROM incoming WHERE client_id = ?'),
    );
    for (const row of await conn.all<Row>('SELECT client_id, message_id, meta, payload FROM incoming ORDER BY rowid')) {
      store.#packets(row.client_id).set(row.message_id, decodePacket(row.meta, row.payload));
    }
    return store;
  }

  /** Whether any QoS 2 message of this client awaits its PUBREL. */
  has(clientId: string): boolean {
    return (this.#byClient.get(clientId)?.size ?? 0) > 0;
  }

  get size(): number {
    let n = 0;
    for (const packets of this.#byClient.values()) n += packets.size;
    return n;
  }

  prepareStore(clientId: string, original: StoredPacket): (tx: Tx) => void {
    const packet = copyAsAedesPacket(original);
    // aedes-packet drops the messageId of the copy; here it is the key.
    packet.messageId = original.messageId;
    const messageId = Number(original.messageId);
    const { meta, payload } = encodePacket(packet);
    return (tx) => {
      const packets = this.#packets(clientId);
      const previous = packets.get(messageId);
      packets.set(messageId, packet);
      tx.onRollback(() => this.#restore(clientId, messageId, previous));
      tx.run(this.upsertSql, [clientId, messageId, meta, payload]);
    };
  }

  /** A copy of the stored packet; throws when there is none (aedes treats that as "new message"). */
  get(clientId: string, messageId: number | undefined): StoredPacket {
    const packet = messageId === undefined ? undefined : this.#byClient.get(clientId)?.get(messageId);
    if (!packet) throw new Error('no such packet');
    return { ...packet };
  }

  delete(tx: Tx, clientId: string, messageId: number | undefined): void {
    const previous = messageId === undefined ? undefined : this.#byClient.get(clientId)?.get(messageId);
    if (messageId === undefined || previous === undefined) throw new Error('no such packet');
    this.#restore(clientId, messageId, undefined);
    tx.onRollback(() => this.#restore(clientId, messageId, previous));
    tx.run(this.removeSql, [clientId, messageId]);
  }

  /** [MQTT-3.1.2-6]: a clean session discards the QoS 2 state of the previous one. */
  clean(tx: Tx, clientId: string): void {
    const packets = this.#byClient.get(clientId);
    if (!packets) return;
    this.#byClient.delete(clientId);
    tx.onRollback(() => void this.#byClient.set(clientId, packets));
    tx.run(this.removeClientSql, [clientId]);
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize(), this.removeClientSql.finalize()]);
  }

  #packets(clientId: string): Map<number, StoredPacket> {
    let packets = this.#byClient.get(clientId);
    if (!packets) {
      packets = new Map();
      this.#byClient.set(clientId, packets);
    }
    return packets;
  }

  #restore(clientId: string, messageId: number, packet: StoredPacket | undefined): void {
    if (packet !== undefined) {
      this.#packets(clientId).set(messageId, packet);
      return;
    }
    const packets = this.#byClient.get(clientId);
    packets?.delete(messageId);
    if (packets?.size === 0) this.#byClient.delete(clientId);
  }
}
