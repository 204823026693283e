// The subscriptions of persistent (clean=false) sessions [MQTT-3.1.2-4]: per client, for
// SUBSCRIBE/UNSUBSCRIBE and the restore on reconnect, and in a QlobberSub trie, for finding the
// QoS > 0 subscribers a message must be queued for. QoS 0 subscriptions are kept (they are
// restored) but not put in the trie: a QoS 0 message is never queued for an absent client [MQTT-3.1.2-5].
// Written through to the `subscriptions` table.
import { createSubscriptionTrie } from './cjs-deps.js';
import type { Connection, PreparedStatement, SqlValue } from './sqlite-connection.js';
import type { QoS, SubscriptionInput, SubscriptionRecord, TopicSubscription } from './types.js';
import type { Tx } from './write-batcher.js';

interface Row {
  client_id: string;
  topic: string;
  qos: number;
  rh: number | null;
  rap: number | null;
  nl: number | null;
  subscription_id: number | null;
}

const flag = (value: boolean | undefined): SqlValue => (value === undefined ? null : value ? 1 : 0);

export class SubscriptionStore {
  readonly #byClient = new Map<string, Map<string, SubscriptionRecord>>();
  readonly #trie = createSubscriptionTrie();

  private constructor(
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<SubscriptionStore> {
    const store = new SubscriptionStore(
      await conn.prepare(
        'INSERT INTO subscriptions (client_id, topic, qos, rh, rap, nl, subscription_id) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (client_id, topic) DO UPDATE SET qos = excluded.qos, rh = excluded.rh, rap = excluded.rap, ' +
          'nl = excluded.nl, subscription_id = excluded.subscription_id',
      ),
      await conn.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
    );
    const rows = await conn.all<Row>('SELECT client_id, topic, qos, rh, rap, nl, subscription_id FROM subscriptions ORDER BY rowid');
    for (const row of rows) {
      const record: SubscriptionRecord = {
        qos: row.qos as QoS,
        rh: row.rh ?? undefined,
        rap: row.rap === null ? undefined : row.rap !== 0,
        nl: row.nl === null ? undefined : row.nl !== 0,
      };
      if (row.subscription_id !== null) record.subscriptionIdentifier = row.subscription_id;
      store.#put(row.client_id, row.topic, record);
    }
    return store;
  }

  add(tx: Tx, clientId: string, subs: readonly SubscriptionInput[]): void {
    for (const sub of subs) {
      const record: SubscriptionRecord = { qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl };
      // MQTT 5 Subscription Identifier: kept only when present, so MQTT 3 subscriptions keep their shape.
      if (sub.subscriptionIdentifier !== undefined) record.subscriptionIdentifier = sub.subscriptionIdentifier;
      this.#change(tx, clientId, sub.topic, record);
      tx.run(this.upsertSql, [clientId, sub.topic, sub.qos, sub.rh ?? null, flag(sub.rap), flag(sub.nl), sub.subscriptionIdentifier ?? null]);
    }
  }

  remove(tx: Tx, clientId: string, topics: readonly string[]): void {
    for (const topic of topics) {
      if (!this.#byClient.get(clientId)?.has(topic)) continue;
      this.#change(tx, clientId, topic, undefined);
      tx.run(this.removeSql, [clientId, topic]);
    }
  }

  clean(tx: Tx, clientId: string): void {
    this.remove(tx, clientId, [...(this.#byClient.get(clientId)?.keys() ?? [])]);
  }

  byClient(clientId: string): Array<{ topic: string } & SubscriptionRecord> {
    return [...(this.#byClient.get(clientId) ?? [])].map(([topic, record]) => ({ topic, ...record }));
  }

  byTopic(topic: string): TopicSubscription[] {
    const subs = this.#trie.match(topic);
    // The trie (qlobber's QlobberSub) keeps qos/rh/rap/nl only. The Subscription Identifier comes from the client's
    // record, so that the copy queued for that subscription carries it [MQTT-3.3.4-3] (server/mqtt/queued-identifiers.ts).
    for (const sub of subs) {
      const si = this.#byClient.get(sub.clientId)?.get(sub.topic)?.subscriptionIdentifier;
      if (si !== undefined) sub.subscriptionIdentifier = si;
    }
    return subs;
  }

  /** Whether any stored subscription queues messages (QoS > 0): the broker asks per QoS 1 publish. */
  get queuing(): boolean {
    return this.#trie.subscriptionsCount > 0;
  }

  /** Subscriptions that queue messages (QoS > 0), and clients with any stored subscription. */
  count(): { subsCount: number; clientsCount: number } {
    return { subsCount: this.#trie.subscriptionsCount, clientsCount: this.#byClient.size };
  }

  /** Clients holding a subscription with exactly this filter. */
  clientsWithFilter(topic: string): string[] {
    return [...this.#byClient].filter(([, records]) => records.has(topic)).map(([clientId]) => clientId);
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize()]);
  }

  #change(tx: Tx, clientId: string, topic: string, record: SubscriptionRecord | undefined): void {
    const previous = this.#put(clientId, topic, record);
    tx.onRollback(() => void this.#put(clientId, topic, previous));
  }

  /** The one place that keeps the per-client map and the trie in step; returns the replaced record. */
  #put(clientId: string, topic: string, record: SubscriptionRecord | undefined): SubscriptionRecord | undefined {
    const previous = this.#byClient.get(clientId)?.get(topic);
    if (record === undefined && previous === undefined) return undefined;
    // The trie first: it is the part that can throw (qlobber's word limits), and then nothing changed.
    if (record !== undefined && record.qos > 0) {
      // QlobberSub replaces the entry of the same (client, filter): a QoS change is one add.
      this.#trie.add(topic, { clientId, topic, qos: record.qos, rh: record.rh, rap: record.rap, nl: record.nl });
    } else if (previous !== undefined && previous.qos > 0) {
      this.#trie.remove(topic, { clientId, topic });
    }
    let records = this.#byClient.get(clientId);
    if (record === undefined) {
      records!.delete(topic);
      if (records!.size === 0) this.#byClient.delete(clientId);
    } else {
      if (!records) {
        records = new Map();
        this.#byClient.set(clientId, records);
      }
      records.set(topic, record);
    }
    return previous;
  }
}
