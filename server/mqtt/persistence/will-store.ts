// Will messages of connected clients [MQTT-3.1.2-8], stamped with the id of the broker holding the
// connection. Stored so a crash does not lose them: after a restart aedes (with a new broker id)
// streams the wills of brokers that stopped sending heartbeats and publishes them, as the clients'
// connections did end without DISCONNECT. Written through to the `wills` table.
import { decodePacket, encodePacket } from './packet-codec.js';
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { StoredPacket } from './types.js';
import type { Tx } from './write-batcher.js';

interface Row {
  client_id: string;
  meta: string;
  payload: Buffer | null;
}

export class WillStore {
  readonly #wills = new Map<string, StoredPacket>();

  private constructor(
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<WillStore> {
    const store = new WillStore(
      await conn.prepare(
        'INSERT INTO wills (client_id, meta, payload) VALUES (?, ?, ?) ' +
          'ON CONFLICT (client_id) DO UPDATE SET meta = excluded.meta, payload = excluded.payload',
      ),
      await conn.prepare('DELETE FROM wills WHERE client_id = ?'),
    );
    for (const row of await conn.all<Row>('SELECT client_id, meta, payload FROM wills ORDER BY rowid')) {
      store.#wills.set(row.client_id, decodePacket(row.meta, row.payload));
    }
    return store;
  }

  get size(): number {
    return this.#wills.size;
  }

  /** `will` is already stamped with brokerId and clientId; it is copied and encoded now. */
  preparePut(clientId: string, will: StoredPacket): (tx: Tx) => void {
    const packet: StoredPacket = { ...will };
    const { meta, payload } = encodePacket(packet);
    return (tx) => {
      const previous = this.#set(clientId, packet);
      tx.onRollback(() => void this.#set(clientId, previous));
      tx.run(this.upsertSql, [clientId, meta, payload]);
    };
  }

  get(clientId: string): StoredPacket | undefined {
    const will = this.#wills.get(clientId);
    return will && { ...will };
  }

  /** Removes the client's will, whichever broker stamped it; returns it. */
  delete(tx: Tx, clientId: string): StoredPacket | undefined {
    const previous = this.#set(clientId, undefined);
    if (previous === undefined) return undefined;
    tx.onRollback(() => void this.#set(clientId, previous));
    tx.run(this.removeSql, [clientId]);
    return previous;
  }

  /** Wills stamped by a broker not in `brokers` (the live ones, by id). */
  ofDeadBrokers(brokers: Record<string, unknown>): StoredPacket[] {
    return [...this.#wills.values()].filter((will) => !brokers[String(will.brokerId)]).map((will) => ({ ...will }));
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize()]);
  }

  #set(clientId: string, will: StoredPacket | undefined): StoredPacket | undefined {
    const previous = this.#wills.get(clientId);
    if (will === undefined) this.#wills.delete(clientId);
    else this.#wills.set(clientId, will);
    return previous;
  }
}
