import { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { Aedes, Client } from 'aedes';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { plainListOf } from './parser-input.js';

/**
 * Every part of aedes that rumah reaches into beyond its public API, typed in one place, and the contract that says
 * so: `checkAedesContract` runs at start and stops the hub with a coded error naming the versions when one of these
 * internals is missing, instead of a guard switching itself off silently (two did, on aedes 1.2).
 *
 * Written against aedes 2.0.0-beta.1 (its `mqttv5` line), pinned exactly in package.json. Moving to another version
 * means reading each use below against its lib/ again.
 */
export const pinnedAedesVersion = '2.0.0-beta.1';

const require = createRequire(import.meta.url);

/** What a PUBLISH packet carries inside aedes (aedes-packet 4 keeps MQTT 5 properties and the expiry time). */
export interface AedesPacket {
  cmd: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string | null;
  brokerCounter?: number;
  clientId?: string;
  properties?: Record<string, unknown>;
  messageExpiry?: number;
}

export type Deliver = (packet: AedesPacket, cb: () => void) => void;

/** The prototype of nullPrototypeRecord's objects: itself without one, so nothing is inherited (no `__proto__` setter). */
const NullPrototype = function NullPrototype() {} as unknown as new () => Record<string, never>;
NullPrototype.prototype = Object.create(null) as Record<string, never>;

/**
 * An empty object with nothing inherited, like Object.create(null), but in V8's fast mode: Object.create(null) makes a
 * dictionary-mode object, ~185 bytes empty against ~20 (one per connection for `client.subscriptions`).
 */
export function nullPrototypeRecord<T>(): Record<string, T> {
  return new NullPrototype() as Record<string, T>;
}

/** aedes's Client beyond its typings: fields of lib/client.js and lib/handlers/connect.js. */
export interface ClientInternals {
  id: string;
  conn: Duplex & { destroyed?: boolean; writableLength: number };
  /** 3, 4 or 5 after CONNECT. */
  version: number | null;
  clean: boolean;
  connecting: boolean;
  connected: boolean;
  /** The CONNACK is written: packets are handled at once instead of queued (client.js enqueue). */
  connackSent: boolean;
  closed: boolean;
  /** MQTT 5: Clean Start as the CONNECT said it (connect.js); `clean` is the session-expiry axis. */
  _cleanStart?: boolean;
  sessionExpiryInterval: number;
  /** MQTT 5: the Session Expiry Interval the CONNECT asked for (connect.js); a DISCONNECT may not raise 0. */
  _connectSessionExpiryInterval?: number;
  /** MQTT 5: the client's own Maximum Packet Size and Receive Maximum (CONNECT properties). */
  maximumPacketSize?: number;
  receiveMaximum?: number;
  /** MQTT 5 Request Problem Information (connect.js): false, no Reason String on acknowledgements [MQTT-3.1.2-29]. */
  _requestProblemInformation?: boolean;
  /** Retain As Published (`rap`) is read by shared-subscriptions.ts. */
  subscriptions: Record<string, { qos: number; si?: number; rap?: boolean; func: Deliver }>;
  duplicates: Record<string, number>;
  _will: { topic: string; retain: boolean; properties?: Record<string, unknown> } | null;
  _parser: NodeJS.EventEmitter & { packet?: { length: number } };
  deliver0: Deliver;
  deliverQoS: Deliver;
  waitForDrain(done: (err: Error | null, client: Client) => void): void;
  pause(): void;
  /** Packets of the last read not yet handled, the read loop, and its pause (lib/client.js nextBatch; read-pieces.ts). */
  _parsingBatch: number;
  _nextBatch(): void;
  _paused?: boolean;
  disconnect(opts: { reasonCode: number; properties?: Record<string, unknown> }, done?: () => void): void;
  close(done?: () => void): void;
}

export interface PersistenceInternals {
  /** aedes.js storeRetained; the SQLite store also takes the owning account (storage-quotas.ts). */
  storeRetained(packet: AedesPacket, owner?: string): Promise<void>;
  createRetainedStream(pattern: string): AsyncIterable<AedesPacket>;
  streamWill(brokers: object): AsyncIterable<AedesPacket & { clientId: string; brokerId: string }>;
  delWill(client: { id: string; brokerId?: string }): Promise<unknown>;
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
  cleanIncoming?(client: { id: string }): Promise<unknown>;
  incomingStorePacket(client: { id: string }, packet: AedesPacket): Promise<void>;
  incomingDelPacket(client: { id: string }, packet: { messageId?: number }): Promise<void>;
  outgoingStream(client: { id: string }): AsyncIterable<AedesPacket> | NodeJS.ReadableStream;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
  /** Queues one message in one session (shared-subscriptions.ts, for the member a message was given to). */
  outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<unknown>;
  /** Queues one message for every stored subscription that matches it (aedes.js enqueueOffline; queued-identifiers.ts). */
  outgoingEnqueueCombi(subs: Array<{ clientId: string; subscriptionIdentifier?: number }>, packet: AedesPacket): Promise<unknown>;
}

export interface Mq {
  length: number;
  /** What aedes's publish calls to route a message (emit-order.ts wraps it); `_do` once a router slot is free. */
  emit(message: AedesPacket, cb: (err?: Error | null) => void): unknown;
  _do(message: AedesPacket, cb: unknown): unknown;
}

/** aedes's broker object beyond its typings: fields of aedes.js. */
export interface AedesInternals {
  id: string;
  counter: number;
  closed: boolean;
  mq: Mq;
  clients: Record<string, Client>;
  brokers: Record<string, number>;
  persistence: PersistenceInternals;
  /** publish(packet, client, done): the three-argument form aedes's own handlers use. */
  publish(packet: object, client: Client | null, done: (err?: Error | null) => void): void;
  publishWill(client: Client, will: object): void;
  /** The last step of registerClient (aedes.js): the client is put in `clients`; after a takeover, asynchronously. */
  _finishRegisterClient(client: Client): void;
  unregisterClient(client: Client): void;
  /** MQTT 5: what aedes does with a session when its client leaves (keep, expire later, or wipe). */
  scheduleSessionExpiry(client: Client): void;
}

export function aedesInternals(aedes: Aedes): AedesInternals {
  return aedes as unknown as AedesInternals;
}

export function clientInternals(client: Client): ClientInternals {
  return client as unknown as ClientInternals;
}

/** The installed aedes's version, from its package.json. */
export function installedAedesVersion(): string {
  try {
    const entry = require.resolve('aedes');
    const pkgPath = entry.slice(0, entry.lastIndexOf('node_modules/aedes/') + 'node_modules/aedes/'.length) + 'package.json';
    return (require(pkgPath) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Whether aedes resolves `name` to the same file as rumah does (one module instance, one set of hooks). */
function sameModule(name: string): boolean {
  try {
    return createRequire(require.resolve('aedes')).resolve(name) === require.resolve(name);
  } catch {
    return false;
  }
}

/** A stream that goes nowhere, to build one client for the contract check. */
function idleStream(): Duplex {
  return new Duplex({ read() {}, write(_chunk, _enc, cb) { cb(); } });
}

/**
 * Checks, before the hub listens, that every aedes internal rumah relies on is where it was when rumah was written.
 * Throws RUMAH_ERR_AEDES_CONTRACT naming the installed and the expected version, and what moved.
 */
export function checkAedesContract(aedes: Aedes): void {
  const a = aedesInternals(aedes);
  const missing: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) missing.push(what);
  };
  need(typeof a.id === 'string', 'aedes.id');
  need(typeof a.counter === 'number', 'aedes.counter');
  need(typeof a.mq?._do === 'function' && typeof a.mq.emit === 'function' && typeof a.mq.length === 'number', 'aedes.mq._do / mq.emit / mq.length (mqemitter)');
  need(a.clients !== undefined && typeof a.clients === 'object', 'aedes.clients');
  need(a.brokers !== undefined && typeof a.brokers === 'object', 'aedes.brokers');
  need(typeof a.publish === 'function' && a.publish.length >= 2, 'aedes.publish(packet, client, done)');
  need(typeof a.publishWill === 'function', 'aedes.publishWill(client, will)');
  need(typeof a._finishRegisterClient === 'function' && typeof a.unregisterClient === 'function' && typeof a.scheduleSessionExpiry === 'function', 'aedes._finishRegisterClient / unregisterClient / scheduleSessionExpiry (late-registration.ts)');
  // shared-subscriptions.ts wraps these (aedes's subscribe handler calls them through the broker object).
  need(typeof aedes.subscribe === 'function' && typeof aedes.unsubscribe === 'function', 'aedes.subscribe / aedes.unsubscribe(topic, func, done)');
  need(typeof aedes.authorizeSubscribe === 'function', 'aedes.authorizeSubscribe (the hook, read at each SUBSCRIBE)');
  need(typeof a.persistence?.outgoingEnqueue === 'function' && typeof a.persistence.outgoingStream === 'function', 'persistence.outgoingEnqueue / outgoingStream');
  // write-hooks.ts: aedes's lib/write.js must write through the mqtt-packet rumah hooks, not a copy of its own.
  need(sameModule('mqtt-packet'), 'aedes resolves the same mqtt-packet as rumah (write-hooks.ts)');
  const conn = idleStream();
  const client = clientInternals(aedes.handle(conn as never));
  try {
    need(client.duplicates !== undefined && typeof client.duplicates === 'object', 'client.duplicates');
    need(client.subscriptions !== undefined && typeof client.subscriptions === 'object', 'client.subscriptions');
    need(typeof client.deliver0 === 'function' && typeof client.deliverQoS === 'function', 'client.deliver0 / deliverQoS');
    need(typeof client.waitForDrain === 'function', 'client.waitForDrain');
    need(typeof client.pause === 'function', 'client.pause');
    need(typeof client._nextBatch === 'function' && typeof client._parsingBatch === 'number', 'client._nextBatch / _parsingBatch (aedes lib/client.js; read-pieces.ts)');
    need(typeof (client._parser as unknown as { parse?: unknown }).parse === 'function' && !Object.hasOwn(client._parser, 'parse'), 'client._parser.parse on its prototype (mqtt-packet; read-pieces.ts)');
    need(typeof client.disconnect === 'function', 'client.disconnect({reasonCode})');
    need(client._parser !== undefined && typeof client._parser.on === 'function', 'client._parser (mqtt-packet parser)');
    need(typeof (client._parser as unknown as { _parseProperties?: unknown })?._parseProperties === 'function', 'client._parser._parseProperties (mqtt-packet; v5-guard.ts)');
    // parser-hooks.ts sees each packet before aedes's own 'packet' listener, finding the client as the parser's `client`.
    need(client._parser !== undefined && client._parser.listenerCount('packet') > 0, 'client._parser \'packet\' listener (aedes lib/client.js enqueue)');
    need((client._parser as { client?: unknown } | undefined)?.client === client, 'client._parser.client (aedes lib/client.js; parser-hooks.ts)');
    need(plainListOf(client._parser as never) !== undefined, 'client._parser._list, a bl BufferListStream with BufferList behind it (mqtt-packet; parser-input.ts)');
    need('_will' in client, 'client._will');
  } finally {
    client.close();
    conn.destroy();
  }
  if (missing.length) {
    throw new RumahError(
      ErrorCodes.AEDES_CONTRACT,
      `aedes ${installedAedesVersion()} is installed, but rumah was written against aedes ${pinnedAedesVersion}, and these internals moved: ${missing.join(', ')}. Run 'npm ci' to install the pinned version.`,
    );
  }
}
