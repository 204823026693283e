// Retained messages: a topic trie in memory (every SUBSCRIBE reads it), written through to the
// `retained` table. [MQTT-3.3.1-5]: a retained PUBLISH replaces the topic's retained message;
// [MQTT-3.3.1-10/11]: one with an empty payload removes it, and is not itself retained.
import { decodePacket, encodePacket } from './packet-codec.js';
import { RetainedTrie } from './retained-trie.js';
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { StoredPacket } from './types.js';
import type { Tx } from './write-batcher.js';

interface Row {
  topic: string;
  meta: string;
  payload: Buffer | null;
  owner: string | null;
}

/** Who stored a retained message and what it weighs (topic + payload bytes): the quota's count (storage-quotas.ts). */
export interface RetainedOwnership {
  topic: string;
  owner: string | undefined;
  bytes: number;
}

/** What a retained message weighs against its account's quota: its topic and payload, in bytes. */
export function retainedBytes(topic: string, payload: Buffer | Uint8Array | string | undefined | null): number {
  return Buffer.byteLength(topic) + (payload === undefined || payload === null ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
}

export class RetainedStore {
  readonly #trie = new RetainedTrie<StoredPacket>();
  /** Read at open, handed once to the quotas (retained rows are not read again). */
  #loaded: RetainedOwnership[] | undefined = [];

  private constructor(
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<RetainedStore> {
    const store = new RetainedStore(
      await conn.prepare(
        'INSERT INTO retained (topic, meta, payload, owner) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (topic) DO UPDATE SET meta = excluded.meta, payload = excluded.payload, owner = excluded.owner',
      ),
      await conn.prepare('DELETE FROM retained WHERE topic = ?'),
    );
    for (const row of await conn.all<Row>('SELECT topic, meta, payload, owner FROM retained ORDER BY rowid')) {
      store.#trie.set(row.topic, decodePacket(row.meta, row.payload));
      store.#loaded!.push({ topic: row.topic, owner: row.owner ?? undefined, bytes: retainedBytes(row.topic, row.payload) });
    }
    return store;
  }

  get size(): number {
    return this.#trie.size;
  }

  /** The owner and weight of every retained message read at open; once (the quotas keep count from then on). */
  takeLoadedOwnership(): RetainedOwnership[] {
    const loaded = this.#loaded ?? [];
    this.#loaded = undefined;
    return loaded;
  }

  /**
   * Prepares a store: the packet is copied and encoded now, when aedes hands it over, so a later
   * change to aedes's object cannot leak into what is stored. Returns the operation to submit.
   */
  prepareStore(original: StoredPacket, owner?: string): (tx: Tx) => void {
    const packet: StoredPacket = { ...original };
    const topic = String(packet.topic);
    if (!packet.payload || packet.payload.length === 0) {
      return (tx) => {
        const previous = this.#trie.delete(topic);
        if (previous === undefined) return; // nothing stored, nothing to write
        tx.onRollback(() => void this.#trie.set(topic, previous));
        tx.run(this.removeSql, [topic]);
      };
    }
    const { meta, payload } = encodePacket(packet);
    return (tx) => {
      const previous = this.#trie.set(topic, packet);
      tx.onRollback(() => (previous === undefined ? this.#trie.delete(topic) : this.#trie.set(topic, previous)));
      tx.run(this.upsertSql, [topic, meta, payload, owner ?? null]);
    };
  }

  match(patterns: readonly string[]): StoredPacket[] {
    return patterns.flatMap((pattern) => this.#trie.match(pattern));
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize()]);
  }
}
