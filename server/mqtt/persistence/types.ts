// The shapes aedes 1.2 hands to (and expects back from) an aedes-persistence 11 "async" persistence.
// Declared here, structurally and loosely, rather than imported: aedes-persistence's own typings
// describe its in-memory class, and aedes types the option as `any`. Only the fields this folder
// reads are named; everything else (MQTT 5 properties, aedes internals) is carried through as is.
import type { Readable } from 'node:stream';

export type QoS = 0 | 1 | 2;

/** What aedes passes as a client: only the id matters to a persistence. */
export interface ClientRef {
  readonly id: string;
  /** aedes's client: true for a clean session. */
  readonly clean?: boolean;
}

/** The broker as seen by `setup()`: its id is stamped on wills (to find the wills of dead brokers). */
export interface BrokerRef {
  readonly id: string;
}

/**
 * A packet as aedes stores it: an aedes-packet `Packet` (PUBLISH) or a bare `{ cmd: 'pubrel', messageId }`.
 * Open-ended on purpose: MQTT 5 `properties`, aedes's `messageExpiry` and fields we do not know of yet
 * must survive a round trip through SQLite.
 */
export interface StoredPacket {
  cmd?: string;
  topic?: string;
  payload?: Buffer | Uint8Array | string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
  [field: string]: unknown;
}

/** One entry of a SUBSCRIBE packet, as mqtt-packet parses it (rh, rap, nl are MQTT 5 options). */
export interface SubscriptionInput {
  topic: string;
  qos: QoS;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  /** MQTT 5 Subscription Identifier; only present when the SUBSCRIBE carried one. */
  subscriptionIdentifier?: number;
}

/** A stored subscription of one client; the keys rh/rap/nl are always present (possibly undefined). */
export interface SubscriptionRecord {
  qos: QoS;
  rh: number | undefined;
  rap: boolean | undefined;
  nl: boolean | undefined;
  subscriptionIdentifier?: number;
}

/** What `subscriptionsByTopic` returns: the QoS > 0 subscriptions whose filter matches a topic. */
export interface TopicSubscription {
  clientId: string;
  topic: string;
  qos: QoS;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  /** MQTT 5 Subscription Identifier of this subscription, if it has one. */
  subscriptionIdentifier?: number;
}

/** The async interface of aedes-persistence 11 (see node_modules/aedes-persistence/types/asyncPersistence.d.ts). */
export interface AsyncPersistence {
  setup(broker: BrokerRef): Promise<void>;
  storeRetained(packet: StoredPacket): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  createRetainedStreamCombi(patterns: string[]): Readable;
  addSubscriptions(client: ClientRef, subs: SubscriptionInput[]): Promise<void>;
  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
  subscriptionsByClient(client: ClientRef): Promise<Array<{ topic: string } & SubscriptionRecord>>;
  countOffline(): Promise<{ subsCount: number; clientsCount: number }>;
  subscriptionsByTopic(topic: string): Promise<TopicSubscription[]>;
  cleanSubscriptions(client: ClientRef): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: StoredPacket): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: StoredPacket): Promise<StoredPacket | undefined>;
  outgoingStream(client: ClientRef): Readable;
  incomingStorePacket(client: ClientRef, packet: StoredPacket): Promise<void>;
  incomingGetPacket(client: ClientRef, packet: StoredPacket): Promise<StoredPacket>;
  incomingDelPacket(client: ClientRef, packet: StoredPacket): Promise<void>;
  cleanIncoming(client: ClientRef): Promise<void>;
  putWill(client: ClientRef, packet: StoredPacket): Promise<void>;
  getWill(client: ClientRef): Promise<StoredPacket | undefined>;
  delWill(client: ClientRef): Promise<StoredPacket | undefined>;
  streamWill(brokers?: Record<string, unknown>): Readable;
  getClientList(topic: string): Readable;
  destroy(): Promise<void>;
}

/**
 * rumah's addition to the interface (not aedes-persistence's): MQTT 5 session deadlines, which aedes keeps in timers
 * only (moscajs/aedes#839). Implemented by the SQLite persistence; server/mqtt/session-expiry.ts drives it.
 */
export interface SessionExpiryPersistence {
  /** Every stored deadline; `expiresAt` undefined: the client was connected when last written. */
  sessionDeadlines(): Array<{ clientId: string; interval: number; expiresAt: number | undefined }>;
  putSessionDeadline(deadline: { clientId: string; interval: number; expiresAt: number | undefined }): Promise<void>;
  delSessionDeadline(clientId: string): Promise<void>;
  /**
   * Ends a session whose expiry passed, in one transaction: its subscriptions, queued and in-flight messages, inbound
   * QoS 2 store, will and deadline. Does nothing (resolves false) when its deadline is no longer `expiresAt`: the
   * client came back in between.
   */
  endExpiredSession(clientId: string, expiresAt: number): Promise<boolean>;
}
