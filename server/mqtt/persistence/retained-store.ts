// Retained messages: a topic trie in memory (every SUBSCRIBE walks it) of topics and sizes only, written through to
// the `retained` table, whose rows are read when a subscription matches them. [MQTT-3.3.1-5]: a retained PUBLISH
// replaces the topic's retained message; [MQTT-3.3.1-10/11]: one with an empty payload removes it, and is not itself
// retained.
//
// Payloads stay on disk (issue 15, item 7): with every payload in memory, one account parked 600 MiB of retained
// messages and the hub took 1.3 GiB of RSS, again right after a restart; a full quota of every account must start on
// a 1 GB machine. A message is kept in memory from its store until its commit (a SUBSCRIBE in between must see it,
// and the row is not there yet), and for good when its payload is small (`inlineBytes`): a house's states are mostly
// a few hundred bytes of JSON, and a SUBSCRIBE to 10,000 of them read from the file cost a SELECT per 500 rows where
// memory answers at once; bounded by the count quota (5,000 per account × 1 KiB). bench/retained-memory.ts measures.
import { samePayload } from '../retained-current.js';
import { decodePacket, encodePacket } from './packet-codec.js';
import { RetainedTrie } from './retained-trie.js';
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { StoredPacket } from './types.js';
import type { Tx } from './write-batcher.js';

interface Row {
  topic: string;
  meta: string;
  payload: Buffer | null;
}

/** What the trie holds per topic: the topic (for the read), its weight, and the packet while it is in memory. */
interface Entry {
  readonly topic: string;
  readonly bytes: number;
  /** Until its row is committed; for good when its payload is at most `inlineBytes`. */
  packet: StoredPacket | undefined;
}

/** Payloads up to this size stay in memory as well; larger ones are read from the file when matched. */
export const inlineBytes = 1024;

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

/** Topics read per SELECT (SQLite's default bound on host parameters is 32,766; this keeps each read short). */
const readChunk = 500;
/** Payload bytes read per SELECT, past its first row. */
const readBytes = 8 * 1024 * 1024;

export class RetainedStore {
  readonly #trie = new RetainedTrie<Entry>();
  /** The entry each payload read from the file by match() was read for: isCurrent() for a large message. */
  readonly #readFor = new WeakMap<object, Entry>();
  /** Read at open, handed once to the quotas (retained rows are not read again). */
  #loaded: RetainedOwnership[] | undefined = [];

  private constructor(
    private readonly conn: Connection,
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<RetainedStore> {
    const store = new RetainedStore(
      conn,
      await conn.prepare(
        'INSERT INTO retained (topic, meta, payload, owner) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (topic) DO UPDATE SET meta = excluded.meta, payload = excluded.payload, owner = excluded.owner',
      ),
      await conn.prepare('DELETE FROM retained WHERE topic = ?'),
    );
    // No large payload is read; every `meta` is decoded, so a damaged row fails the start now (open-database.ts), not
    // the first SUBSCRIBE that matches it.
    const rows = await conn.all<{ topic: string; meta: string; small: Buffer | null; size: number; owner: string | null }>(
      `SELECT topic, meta, CASE WHEN length(payload) <= ${inlineBytes} THEN payload END AS small, ifnull(length(payload), 0) AS size, owner FROM retained ORDER BY rowid`,
    );
    for (const row of rows) {
      const small = row.size <= inlineBytes;
      const packet = decodePacket(row.meta, small ? row.small : null);
      const bytes = Buffer.byteLength(row.topic) + row.size;
      store.#trie.set(row.topic, { topic: row.topic, bytes, packet: small ? packet : undefined });
      store.#loaded!.push({ topic: row.topic, owner: row.owner ?? undefined, bytes });
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
   * Prepares a store: the packet is copied and encoded now, when aedes hands it over, so a later change to aedes's
   * object cannot leak into what is stored. `op` is the operation to submit; `committed` is called once it is.
   */
  prepareStore(original: StoredPacket, owner?: string): { op: (tx: Tx) => void; committed: () => void } {
    const packet: StoredPacket = { ...original };
    const topic = String(packet.topic);
    if (!packet.payload || packet.payload.length === 0) {
      return {
        op: (tx) => {
          const previous = this.#trie.delete(topic);
          if (previous === undefined) return; // nothing stored, nothing to write
          tx.onRollback(() => void this.#trie.set(topic, previous));
          tx.run(this.removeSql, [topic]);
        },
        committed: () => {},
      };
    }
    const { meta, payload } = encodePacket(packet);
    const entry: Entry = { topic, bytes: retainedBytes(topic, payload), packet };
    return {
      op: (tx) => {
        const previous = this.#trie.set(topic, entry);
        tx.onRollback(() => (previous === undefined ? this.#trie.delete(topic) : this.#trie.set(topic, previous)));
        tx.run(this.upsertSql, [topic, meta, payload, owner ?? null]);
      },
      // From now on the row answers; a large packet can go.
      committed: () => {
        if ((payload?.length ?? 0) > inlineBytes) entry.packet = undefined;
      },
    };
  }

  /**
   * The retained messages matching each pattern in turn, in the trie's order: those committed read from the file,
   * those not yet committed from memory. Read and handed out a chunk at a time (at most `readChunk` rows or
   * `readBytes`), as the consumer pulls: a SUBSCRIBE to `#` (or the hub's replay at start) never holds every payload
   * at once. Each topic gives what it holds when its turn comes (a message replaced after the walk, the new one).
   */
  async *match(patterns: readonly string[]): AsyncGenerator<StoredPacket> {
    const entries = patterns.flatMap((pattern) => this.#trie.match(pattern));
    for (let from = 0; from < entries.length; ) {
      let to = from;
      let bytes = 0;
      while (to < entries.length && to - from < readChunk && (to === from || bytes + entries[to]!.bytes <= readBytes)) bytes += entries[to++]!.bytes;
      const chunk = entries.slice(from, to);
      from = to;
      const wanted = [...new Set(chunk.filter((e) => e.packet === undefined).map((e) => e.topic))];
      const rows = new Map<string, StoredPacket>();
      if (wanted.length > 0) {
        const found = await this.conn.all<Row>(`SELECT topic, meta, payload FROM retained WHERE topic IN (${wanted.map(() => '?').join(',')})`, wanted);
        for (const row of found) rows.set(row.topic, decodePacket(row.meta, row.payload));
      }
      for (const entry of chunk) {
        // What the topic holds now, not at the walk: a message replaced since goes to this subscriber live as well
        // (aedes subscribes before it asks for the retained ones, and routes a retained publish after storing it), so
        // a copy of the old one now would come after it and leave the subscriber on a stale state
        // (test/flows/retained-ahead.test.ts). The new one while it is in memory (not yet committed, or small); a
        // committed large one is left to its live copy (the row read above may be either); a removed one is left out.
        const current = this.#trie.get(entry.topic);
        if (current === undefined) continue;
        const packet = current.packet ?? (current === entry ? rows.get(entry.topic) : undefined);
        if (packet && packet !== current.packet && typeof packet.payload === 'object') this.#readFor.set(packet.payload, current);
        // A copy each time: a topic matched by two filters comes twice [MQTT-3.8.4-4], and aedes may change it.
        if (packet) yield { ...packet };
      }
    }
  }

  /**
   * Whether `payload`, handed out by match(), is the topic's retained message now: the same bytes as the one in
   * memory, or, for a large one read from the file, read for the entry the topic still holds.
   */
  isCurrent(topic: string, payload: NonNullable<StoredPacket['payload']>): boolean {
    const entry = this.#trie.get(topic);
    if (entry === undefined) return false;
    if (entry.packet?.payload !== undefined) return samePayload(entry.packet.payload, payload);
    const readFor = typeof payload === 'object' ? this.#readFor.get(payload) : undefined;
    return readFor === undefined || readFor === entry;
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize()]);
  }
}
