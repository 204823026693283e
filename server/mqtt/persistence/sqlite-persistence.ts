// A durable aedes persistence on SQLite (the async interface of aedes-persistence 11), one file: `<data>/broker.db`.
// In-memory indexes answer every read (aedes reads on each PUBLISH and SUBSCRIBE); every change is written through,
// grouped per event-loop turn into one transaction (write-batcher.ts), and its promise resolves only after COMMIT, so
// what aedes waits for before PUBREC or SUBACK is stored first. (aedes 1.2 sends a QoS 1 PUBACK before publishing,
// hence before storing: see docs/persistence.md.) A QoS 0 message that is not retained never reaches this object.
//
//   const persistence = createSqlitePersistence({ file: join(dataDir, 'broker.db'), log });
//   const broker = await Aedes.createBroker({ persistence });   // aedes calls setup()
//   ...
//   broker.close(); await persistence.destroy();                 // aedes does not destroy it
import { Readable } from 'node:stream';
import { ErrorCodes, RumahError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { Checkpointer } from './checkpointer.js';
import { IncomingStore } from './incoming-store.js';
import { nothingQueued, nothingToEnqueue, noQueueingSubscriptions } from './nothing-queued.js';
import { databaseOpenError, openDatabase } from './open-database.js';
import { resolveOptions, type ResolvedOptions, type SqlitePersistenceOptions } from './options.js';
import { OutgoingStore, type QueueDropped, type QueueLimit } from './outgoing-store.js';
import { RetainedStore, type RetainedOwnership } from './retained-store.js';
import { SessionExpiryStore } from './session-expiry-store.js';
import { SessionOwnerStore } from './session-owner-store.js';
import type { Connection } from './sqlite-connection.js';
import { SubscriptionStore } from './subscription-store.js';
import type { AsyncPersistence, BrokerRef, ClientRef, SessionExpiryPersistence, StoredPacket } from './types.js';
import type { SubscriptionInput, SubscriptionRecord, TopicSubscription } from './types.js';
import { WillStore } from './will-store.js';
import { WriteBatcher, type BatcherStats, type Op } from './write-batcher.js';

export type { SqlitePersistenceOptions } from './options.js';

interface Opened {
  conn: Connection;
  batcher: WriteBatcher;
  checkpointer: Checkpointer;
  retained: RetainedStore;
  subscriptions: SubscriptionStore;
  outgoing: OutgoingStore;
  incoming: IncomingStore;
  wills: WillStore;
  sessionExpiry: SessionExpiryStore;
  sessionOwners: SessionOwnerStore;
}

export class SqlitePersistence implements AsyncPersistence, SessionExpiryPersistence {
  readonly #opts: ResolvedOptions;
  readonly #log: Logger;
  #broker: BrokerRef | undefined;
  #db: Opened | undefined;
  #opening: Promise<void> | undefined;
  #destroyed: Promise<void> | undefined;

  constructor(opts: SqlitePersistenceOptions) {
    this.#opts = resolveOptions(opts);
    // `component`, not `module`: the hub hands in the broker's logger, which already carries `module: 'broker'`, and
    // pino would print the key twice in one JSON line.
    this.#log = this.#opts.log.child({ component: 'persistence' });
  }

  /** The broker given to setup() (aedes-persistence's abstract suite reads it). */
  get broker(): BrokerRef | undefined {
    return this.#broker;
  }

  /** For /healthz: false from a failed write (disk full...) until the next successful commit. */
  get healthy(): boolean {
    return this.#db?.batcher.healthy ?? true;
  }

  /** The last write failure (a RUMAH_ERR_DB_WRITE RumahError), kept after recovery for diagnosis. */
  get lastError(): RumahError | undefined {
    return this.#db?.batcher.lastError;
  }

  /** Transactions, statements and failures since setup. */
  get stats(): Readonly<BatcherStats> {
    return { ...(this.#db?.batcher.stats ?? { transactions: 0, statements: 0, failures: 0 }) };
  }

  get file(): string {
    return this.#opts.file;
  }

  // aedes 1.2 checks that setup is an AsyncFunction (`setup.constructor.name`); keep it `async`.
  async setup(broker: BrokerRef): Promise<void> {
    if (this.#broker) throw new RumahError(ErrorCodes.CONFLICT, `The broker persistence on ${this.#opts.file} is already set up.`);
    this.#broker = broker;
    await this.open();
  }

  /**
   * Opens broker.db and loads what it holds; needs no broker. setup() calls it; the hub calls it earlier, so that
   * the file opens while rumah.db does (issue 19 item 6: the first CONNACK waited for one open after the other).
   * Idempotent: every caller gets the one open's outcome.
   */
  open(): Promise<void> {
    this.#opening ??= this.#load();
    return this.#opening;
  }

  async #load(): Promise<void> {
    const started = performance.now();
    const { file, busyTimeoutMs, maxPageCount } = this.#opts;
    const conn = await openDatabase({ file, busyTimeoutMs, maxPageCount, log: this.#log });
    const opened: Array<{ close(): Promise<void> }> = [];
    const load = async <S extends { close(): Promise<void> }>(open: (c: Connection) => Promise<S>): Promise<S> => {
      const store = await open(conn);
      opened.push(store);
      return store;
    };
    try {
      const retained = await load(RetainedStore.open);
      const subscriptions = await load(SubscriptionStore.open);
      const outgoing = await load(OutgoingStore.open);
      const incoming = await load(IncomingStore.open);
      const wills = await load(WillStore.open);
      const sessionExpiry = await load(SessionExpiryStore.open);
      const sessionOwners = await load(SessionOwnerStore.open);
      const batcher = new WriteBatcher(conn, this.#log);
      const checkpointer = new Checkpointer(batcher, this.#opts.checkpointIntervalMs, this.#log);
      this.#db = { conn, batcher, checkpointer, retained, subscriptions, outgoing, incoming, wills, sessionExpiry, sessionOwners };
      checkpointer.start();
    } catch (err) {
      // A row that does not decode is damage too; release the statements so the file can be closed.
      await Promise.allSettled(opened.map((store) => store.close()));
      await conn.close().catch(() => undefined);
      throw databaseOpenError(file, err);
    }
    const db = this.#db;
    const counts = { retained: db.retained.size, sessions: db.subscriptions.count().clientsCount, queued: db.outgoing.size, incoming: db.incoming.size };
    const more = { wills: db.wills.size, expiringSessions: db.sessionExpiry.size, sessionOwners: db.sessionOwners.size };
    this.#log.info({ file, ms: Math.round(performance.now() - started), ...counts, ...more }, 'broker database loaded');
  }

  // --- retained messages ---

  /** `owner`: the account that published it, counted against its quota across restarts (storage-quotas.ts). */
  storeRetained(packet: StoredPacket, owner?: string): Promise<void> {
    let committed = (): void => {};
    return this.#write((db) => {
      const prepared = db.retained.prepareStore(packet, owner);
      committed = prepared.committed;
      return prepared.op;
    }).then(committed);
  }

  /** Owner and weight of each retained message in the file at setup; given once (storage-quotas.ts). */
  retainedOwnership(): RetainedOwnership[] {
    return this.#db?.retained.takeLoadedOwnership() ?? [];
  }

  /** Whether `payload` is the topic's retained message now (retained-current.ts). */
  retainedCurrent(topic: string, payload: NonNullable<StoredPacket['payload']>): boolean {
    return this.#db?.retained.isCurrent(topic, payload) ?? true;
  }

  /** Deprecated by aedes-persistence in favour of createRetainedStreamCombi; kept for the interface. */
  createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  /** Each pattern's matches in turn: a topic matching two filters of one SUBSCRIBE comes twice [MQTT-3.8.4-4]. */
  createRetainedStreamCombi(patterns: string[]): Readable {
    // Payloads are read from the file (retained-store.ts); a failed read ends the stream with its error.
    return Readable.from(this.#db?.retained.match(patterns) ?? []);
  }

  // --- subscriptions ---

  addSubscriptions(client: ClientRef, subs: SubscriptionInput[]): Promise<void> {
    return this.#write((db) => (tx) => db.subscriptions.add(tx, client.id, subs));
  }

  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    return this.#write((db) => (tx) => db.subscriptions.remove(tx, client.id, topics));
  }

  cleanSubscriptions(client: ClientRef): Promise<void> {
    // aedes calls this at every clean-session CONNECT, and delWill below at every CONNECT: with nothing stored for the
    // client and nothing waiting to be written, there is nothing to do — no batch, no turn of the event loop before
    // the CONNACK (a reconnect storm of devices with clean sessions wrote nothing and waited for two batches each).
    if (this.#nothingFor((db) => db.subscriptions.byClient(client.id).length === 0)) return Promise.resolve();
    return this.#write((db) => (tx) => db.subscriptions.clean(tx, client.id));
  }

  async subscriptionsByClient(client: ClientRef): Promise<Array<{ topic: string } & SubscriptionRecord>> {
    return this.#read().subscriptions.byClient(client.id);
  }

  subscriptionsByTopic(topic: string): Promise<TopicSubscription[]> {
    // Asked at every QoS > 0 PUBLISH, as outgoingEnqueueCombi: with no stored subscription, settled answers shared by all.
    if (this.#db?.subscriptions.queuing === false) return noQueueingSubscriptions;
    return (async () => this.#read().subscriptions.byTopic(topic))();
  }

  /** Whether a QoS > 0 message on this topic is queued for a persistent session (synchronous: the broker's hot path). */
  queuesFor(topic: string): boolean {
    const subscriptions = this.#db?.subscriptions;
    return subscriptions === undefined || (subscriptions.queuing && subscriptions.byTopic(topic).length > 0);
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.#read().subscriptions.count();
  }

  getClientList(topic: string): Readable {
    return Readable.from(this.#db?.subscriptions.clientsWithFilter(topic) ?? []);
  }

  // --- outgoing queues ---

  outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
    return this.outgoingEnqueueCombi([sub], packet);
  }

  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: StoredPacket): Promise<void> {
    if (subs.length === 0) return nothingToEnqueue;
    return this.#write((db) => db.outgoing.prepareEnqueue(subs.map((sub) => sub.clientId), packet));
  }

  /**
   * Records a queued message's packet identifier; aedes sends the message when this resolves. A QoS 1 message does not
   * wait for the commit (docs/persistence.md "What a crash ... can lose": a crash before it means a duplicate).
   */
  outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void> {
    const written = this.#write((db) => (tx) => db.outgoing.update(tx, client.id, packet));
    if (packet.cmd !== 'publish' || packet.qos !== 1) return written;
    written.catch((err: unknown) => this.#log.debug({ err, clientId: client.id }, 'packet identifier of a queued QoS 1 message not recorded'));
    return nothingToEnqueue;
  }

  outgoingClearMessageId(client: ClientRef, packet: StoredPacket): Promise<StoredPacket | undefined> {
    // aedes calls this at every PUBACK. A clean session has no queue (aedes queues only for stored subscriptions,
    // which a clean session never has), so its PUBACKs need no trip through the write batcher: a promise and a
    // batch slot per QoS 1 message delivered, ~1 µs. A queue left by an older session is still cleared the slow way.
    if (client.clean === true && this.#db && !this.#db.outgoing.has(client.id)) return Promise.resolve(undefined);
    return this.#write((db) => (tx) => db.outgoing.clearMessageId(tx, client.id, packet));
  }

  /** Bounds each session's queue, dropping the oldest past it (storage-quotas.ts). */
  limitQueues(limit: QueueLimit, onDropped: QueueDropped): void {
    this.#read().outgoing.setLimit(limit, onDropped);
  }

  outgoingStream(client: ClientRef): Readable {
    const queued = this.#db?.outgoing.stream(client.id) ?? [];
    return queued.length === 0 ? nothingQueued() : Readable.from(queued);
  }

  // --- incoming QoS 2 ---

  incomingStorePacket(client: ClientRef, packet: StoredPacket): Promise<void> {
    return this.#write((db) => db.incoming.prepareStore(client.id, packet));
  }

  async incomingGetPacket(client: ClientRef, packet: StoredPacket): Promise<StoredPacket> {
    return this.#read().incoming.get(client.id, packet.messageId);
  }

  incomingDelPacket(client: ClientRef, packet: StoredPacket): Promise<void> {
    return this.#write((db) => (tx) => db.incoming.delete(tx, client.id, packet.messageId));
  }

  cleanIncoming(client: ClientRef): Promise<void> {
    // At every clean session's CONNACK and close (session-lifecycle.ts): as cleanSubscriptions, nothing to wipe.
    if (this.#nothingFor((db) => !db.incoming.has(client.id))) return Promise.resolve();
    return this.#write((db) => (tx) => db.incoming.clean(tx, client.id));
  }

  // --- wills ---

  putWill(client: ClientRef, packet: StoredPacket): Promise<void> {
    // Stamped on aedes's own object, as the reference implementation does (the abstract suite
    // compares the object it passed with what getWill returns).
    packet.brokerId = this.#broker?.id;
    packet.clientId = client.id;
    return this.#write((db) => db.wills.preparePut(client.id, packet));
  }

  async getWill(client: ClientRef): Promise<StoredPacket | undefined> {
    return this.#read().wills.get(client.id);
  }

  delWill(client: ClientRef): Promise<StoredPacket | undefined> {
    if (this.#nothingFor((db) => db.wills.get(client.id) === undefined)) return Promise.resolve(undefined);
    return this.#write((db) => (tx) => db.wills.delete(tx, client.id));
  }

  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from(this.#db?.wills.ofDeadBrokers(brokers) ?? []);
  }

  /**
   * Whether the client id has session state beyond subscriptions: queued or unacknowledged messages, QoS 2 messages
   * awaiting PUBREL, an MQTT 5 session being counted down. Answered from memory (server/mqtt/session-present.ts).
   */
  holdsSession(clientId: string): boolean {
    const db = this.#db;
    return db !== undefined && (db.outgoing.has(clientId) || db.incoming.has(clientId) || db.sessionExpiry.get(clientId) !== undefined);
  }

  /** Whether this client id has a session beyond its connection: stored subscriptions or any holdsSession state. */
  hasSession(clientId: string): boolean {
    const db = this.#db;
    return db !== undefined && (db.subscriptions.byClient(clientId).length > 0 || this.holdsSession(clientId));
  }

  // --- who owns each persistent session (client-id-owner.ts) ---

  sessionOwners(): Array<[clientId: string, username: string]> {
    return this.#db?.sessionOwners.all() ?? [];
  }

  putSessionOwner(clientId: string, username: string): Promise<void> {
    return this.#write((db) => (tx) => db.sessionOwners.set(tx, clientId, username));
  }

  delSessionOwner(clientId: string): Promise<void> {
    return this.#write((db) => (tx) => db.sessionOwners.delete(tx, clientId));
  }

  // --- MQTT 5 session deadlines (rumah's own, not aedes-persistence's; see session-expiry-store.ts) ---

  sessionDeadlines(): Array<{ clientId: string; interval: number; expiresAt: number | undefined }> {
    return this.#db?.sessionExpiry.all() ?? [];
  }

  putSessionDeadline(deadline: { clientId: string; interval: number; expiresAt: number | undefined }): Promise<void> {
    return this.#write((db) => db.sessionExpiry.prepareSet(deadline));
  }

  delSessionDeadline(clientId: string): Promise<void> {
    return this.#write((db) => (tx) => void db.sessionExpiry.delete(tx, clientId));
  }

  endExpiredSession(clientId: string, expiresAt: number): Promise<boolean> {
    return this.#write((db) => (tx) => {
      // Checked when the transaction runs: a reconnect submitted before it rewrote the row, and the session is its.
      if (db.sessionExpiry.get(clientId)?.expiresAt !== expiresAt) return false;
      // All of the session in one transaction [MQTT-3.1.2-23]: a crash halfway leaves it whole, to be ended again.
      db.subscriptions.clean(tx, clientId);
      // Every entry, sent or not: one with no messageId yet is matched by the first such entry, in queue order.
      for (const packet of db.outgoing.stream(clientId)) db.outgoing.clearMessageId(tx, clientId, packet);
      db.incoming.clean(tx, clientId);
      db.wills.delete(tx, clientId);
      db.sessionExpiry.delete(tx, clientId);
      db.sessionOwners.delete(tx, clientId);
      return true;
    });
  }

  // --- lifecycle ---

  /** Commits what is pending, then closes the file. Idempotent. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.#close();
    return this.#destroyed;
  }

  async #close(): Promise<void> {
    // An open still running (the hub's start failed before the broker's) is let finish, then closed.
    await this.#opening?.catch(() => undefined);
    const db = this.#db;
    if (!db) return;
    db.checkpointer.stop();
    await db.batcher.close();
    await Promise.all([db.retained.close(), db.subscriptions.close(), db.outgoing.close(), db.incoming.close(), db.wills.close(), db.sessionExpiry.close(), db.sessionOwners.close()]);
    // Closing the last connection checkpoints the WAL into broker.db and removes it.
    await db.conn.close();
    this.#log.info({ file: this.#opts.file }, 'broker database closed');
  }

  #read(): Opened {
    if (!this.#db) throw this.#notReady();
    return this.#db;
  }

  /** Memory says there is nothing of this kind for the client, and memory is the file (nothing being written). */
  #nothingFor(none: (db: Opened) => boolean): boolean {
    const db = this.#db;
    return db !== undefined && !this.#destroyed && db.batcher.idle && none(db);
  }

  /**
   * Submits a write. `prepare` runs now (copying and encoding what aedes passed, which may throw on
   * bad input and then rejects only this call); the operation it returns runs at flush time.
   */
  #write<T>(prepare: (db: Opened) => Op<T>): Promise<T> {
    try {
      const db = this.#read();
      if (this.#destroyed) throw new RumahError(ErrorCodes.DB_WRITE, `The broker database ${this.#opts.file} is closed.`);
      return db.batcher.submit(prepare(db));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #notReady(): RumahError {
    return new RumahError(ErrorCodes.DB_WRITE, `The broker persistence on ${this.#opts.file} is not set up (aedes calls setup()).`);
  }
}

/** The factory the hub uses: `Aedes.createBroker({ persistence: createSqlitePersistence({ file, log }) })`. */
export function createSqlitePersistence(opts: SqlitePersistenceOptions): SqlitePersistence {
  return new SqlitePersistence(opts);
}
