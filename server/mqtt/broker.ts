import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../core/event-bus.js';
import type { Config } from '../config/schema.js';
import { FlowControl } from './flow-control.js';
import { AccountBudget, budgetOptions } from './account-budget.js';
import { dedupeWithinDispatch } from './dedupe.js';
import { sendRetainedAhead } from './retained-ahead.js';
import { RetainedCheck } from './retained-current.js';
import { Dispatch, type DispatchedPacket } from './dispatch.js';
import { DurablePublish } from './durable-publish.js';
import { EmitOrder } from './emit-order.js';
import { PublishOrder } from './publish-order.js';
import { slowReaderGuard } from './slow-reader-guard.js';
import { malformedText, sysPrefix } from './topics.js';
import type { MqttAcl, MqttAuthenticator, MqttIdentity } from './identity.js';
import { publishOrphanedWills, stripWillDelay } from './wills.js';
import { aedesInternals, checkAedesContract, clientInternals, nullPrototypeRecord } from './aedes-internals.js';
import { aedesLimits } from './aedes-limits.js';
import { limitInboundQos2 } from './inbound-qos2-limit.js';
import { manageSessions } from './session-lifecycle.js';
import { unregisterClosedOnArrival } from './late-registration.js';
import { keepSessionExpiry } from './session-expiry.js';
import { restoreOneByOne, subscribeOneByOne } from './prototype-topics.js';
import { queueWithIdentifiers } from './queued-identifiers.js';
import { queuedWithinGrantedQos } from './granted-qos.js';
import { tooLargeFor } from './outbound-size.js';
import { flagRedeliveries } from './redelivery.js';
import { isSharedTopic, shareSubscriptions } from './shared-subscriptions.js';
import { outboundWindow } from './outbound-window.js';
import { OutboundAliases } from './outbound-aliases.js';
import { SessionPresence } from './session-present.js';
import { MqttLogin, type NewConnection } from './mqtt-login.js';
import { keepaliveWithinLimit } from './keepalive-limit.js';
import { WriteCoalescer, type Corkable } from './write-coalescer.js';
import { BridgeClients, isOwnConnectionTopic } from './bridge-clients.js';
import { endAtSink } from './sink.js';
import { mqtt5Guard } from './v5-guard.js';
import { hookParsers } from './parser-hooks.js';
import { lightenParserInput } from './parser-input.js';
import { readInPieces } from './read-pieces.js';
import { hookConnacks } from './write-hooks.js';
import { AccountStorage } from './account-storage.js';
import { Authorizer, deniedCode } from './authorize.js';
import { StartGate } from './start-gate.js';

export type { ConnectContext, MqttAcl, MqttAuthenticator, MqttIdentity } from './identity.js';

/** Clients that left whose usernames are kept for their last messages. */
const departedKept = 10_000;

export interface BrokerOptions {
  config: Config['mqtt'];
  log: Logger;
  bus: EventBus;
  auth: MqttAuthenticator;
  acl?: MqttAcl;
  /** An aedes persistence; aedes's in-memory one when absent. */
  persistence?: unknown;
  /** The persistence is durable: a QoS 1 publish is acknowledged only once stored (authorize.ts). */
  durable?: boolean;
  /** Whether a QoS 1 message on this topic is queued for a stored session; unknown: assumed so. Shared groups added. */
  queues?: (topic: string) => boolean;
  /** Every client's publishes wait while this is true (the history writer far behind). */
  held?: () => boolean;
}

export interface OutgoingPublish {
  topic: string;
  payload: string | Buffer;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** MQTT 5 PUBLISH properties (a will's user properties, content type, message expiry…), sent as given. */
  properties?: Record<string, unknown>;
}

export class Broker {
  readonly aedes: Aedes;
  readonly identities = new WeakMap<Client, MqttIdentity>();
  readonly bridges = new BridgeClients();
  readonly counters = { messagesIn: 0, messagesOut: 0, refusedLogins: 0, throttledLogins: 0, oversizePackets: 0, slowReadersDropped: 0, deniedPublishes: 0, deniedSubscribes: 0, retainStripped: 0, inflightInboundExceeded: 0, tooLargeForClient: 0, malformedPackets: 0, clientIdRefused: 0, sessionQuotaRefused: 0, retainedQuotaRefused: 0, queuedDropped: 0, inboundQos2QuotaExceeded: 0 };
  private readonly flow: FlowControl;
  readonly budget: AccountBudget;
  readonly login: MqttLogin; // its gate (passwords checked at once) and line (new connections, in order, in a storm)
  private readonly order = new PublishOrder();
  private readonly writes = new WriteCoalescer();
  /** Installs a client's delivery wrappers at its first subscription (dedupe.ts): an idle client has none. */
  private readonly dedupe: (client: Client) => void;
  /** Whether a retained copy made at a SUBSCRIBE still holds as it is sent (retained-current.ts). */
  private readonly retainedCheck = new RetainedCheck();
  private readonly retainedAhead = sendRetainedAhead(this.retainedCheck.stillHeld);
  private readonly shared: ReturnType<typeof shareSubscriptions>;
  private readonly v5: ReturnType<typeof mqtt5Guard>;
  /** Puts the broker's one parser `emit` on a client's parser (parser-hooks.ts). */
  private readonly parsers: (client: Client) => void;
  private readonly slowReader: (client: Client) => void;
  private unhookConnacks: (() => void) | undefined;
  private readonly dispatch: Dispatch;
  private readonly durable: DurablePublish;
  private readonly aliases = new OutboundAliases();
  /** Session Present for sessions without subscriptions (session-present.ts); the SQLite store only. */
  private readonly presence: SessionPresence | undefined;
  /** Usernames of clients that left, newest last, for their messages still being routed. */
  private readonly departed = new Map<string, string>();
  /** Who owns each client id, and the storage quotas per account (account-storage.ts). */
  readonly storage: AccountStorage;
  private readonly authorize: Authorizer;
  private started = false;
  /** Hub.start's window between the listeners and the rest of the hub (start-gate.ts). */
  readonly startGate: StartGate;
  private readonly events: Pick<EventBus, 'emit'>;

  private constructor(private readonly opts: BrokerOptions, aedes: Aedes) {
    this.startGate = new StartGate(opts.bus);
    this.events = this.startGate.events;
    this.presence = holdsSessions(opts.persistence);
    this.presence?.observe(aedes);
    this.aedes = aedes;
    this.storage = new AccountStorage({ config: opts.config, log: opts.log, counters: this.counters, identities: this.identities, clients: () => this.clients, departed: this.departed });
    this.dispatch = new Dispatch(aedes, (packet) => this.routed(packet));
    this.durable = new DurablePublish({ aedes, dispatch: this.dispatch, order: this.order, emits: new EmitOrder(aedes), durable: opts.durable === true, queues: opts.queues && ((topic) => opts.queues!(topic) || this.shared.queues(topic)) });
    endAtSink(aedes);
    // At least one packet of the largest size must fit, or such a packet would drop every subscriber it goes to.
    const maxBuffered = Math.max(opts.config.maxBufferedBytes, opts.config.maxPacketSize + 65_536);
    this.dedupe = dedupeWithinDispatch(aedes, this.dispatch, maxBuffered);
    this.shared = shareSubscriptions(aedes, opts.log);
    const window = outboundWindow(aedes, maxBuffered, (client, held) => {
      this.counters.slowReadersDropped++;
      opts.log.warn({ clientId: client.id, held, limit: maxBuffered }, 'subscriber not acknowledging: over mqtt.maxBufferedBytes waiting for a slot in its Receive Maximum; disconnected');
    }, this.retainedCheck.stillHeld);
    // MQTT 5 packets checked on the wire before aedes acts: CONNACK or DISCONNECT 0x81/0x82, for this client only.
    this.v5 = mqtt5Guard((client, why, code) => {
      this.counters.malformedPackets++;
      opts.log.info({ clientId: client.id, reasonCode: code, why }, 'MQTT 5 protocol violation; connection closed');
    });
    const v5 = this.v5;
    const shared = this.shared;
    const presence = this.presence;
    this.parsers = hookParsers({
      packet: (client, parser, packet) => {
        if (v5.packet(client, parser, packet)) return true;
        window(client, packet);
        presence?.packet(client, packet as { cmd?: string });
        shared.packet(packet);
        // …and a SUBSCRIBE naming `__proto__` among other filters never reaches aedes's plain-object dedupe.
        return subscribeOneByOne(client, packet);
      },
      error: (client, parser, err) => v5.error(client, parser, err),
    });
    this.slowReader = slowReaderGuard(maxBuffered, (client, buffered) => {
      this.counters.slowReadersDropped++;
      opts.log.warn({ clientId: client.id, buffered, limit: maxBuffered }, 'subscriber not reading: over mqtt.maxBufferedBytes waiting to be sent; disconnected');
    });
    const internals = aedesInternals(aedes);
    // GHSA-52qw-whmv-87c5 (fixed in aedes 1.2.0, not in the 2.0 beta): client ids and topics are keys of these maps;
    // with Object.prototype behind them a client id `__proto__` or `constructor` found a "client" that was not one.
    internals.clients = Object.create(null) as typeof internals.clients;
    internals.brokers = Object.create(null) as typeof internals.brokers;
    stripWillDelay(aedes);
    manageSessions(aedes, opts.log);
    unregisterClosedOnArrival(aedes);
    const mq = internals.mq;
    // Publishes pass the account's budget (account-budget.ts), then the client's (flow-control.ts). maxQueued: well
    // below the depth at which mqemitter's recursive drain overflows the stack.
    this.budget = new AccountBudget(budgetOptions(opts.config, opts.bus, () => mq.length >= 500));
    this.flow = new FlowControl({ rate: opts.config.publishRate, burst: opts.config.publishBurst, maxQueued: 1000, queued: () => mq.length, held: () => this.startGate.held || (opts.held?.() ?? false) });
    this.authorize = new Authorizer({
      config: opts.config, log: opts.log, bus: this.events, acl: opts.acl, identities: this.identities, counters: this.counters,
      storage: this.storage, durable: this.durable, flow: this.flow, budget: this.budget,
    });
    this.login = new MqttLogin({
      config: opts.config, log: opts.log, auth: opts.auth, counters: this.counters, identities: this.identities,
      willRefused: (identity, topic, clientId) =>
        malformedText(topic) ?? this.authorize.topicRefused(topic, clientId) ?? (isOwnConnectionTopic(topic, clientId) ? undefined : opts.acl?.publish(identity, topic, clientId)),
      admit: (client, identity) => this.storage.admit(client, identity),
      hand: (conn, req) => this.handleNow(conn as Parameters<Aedes['handle']>[0], req as Parameters<Aedes['handle']>[1]),
    });
    this.wireEvents();
  }

  /** Publishes flow control held back (per-client rate, too many being routed, or `held`). */
  get heldPublishes(): number {
    return this.flow.throttled;
  }

  static async create(opts: BrokerOptions): Promise<Broker> {
    // eslint-disable-next-line prefer-const
    let broker: Broker | undefined;
    const c = opts.config;
    const aedesOptions: AedesOptions = {
      persistence: opts.persistence,
      ...aedesLimits(c),
      // aedes 1.2 handled a CONNECT in two steps a setImmediate apart, pausing only in the second: a packet completed
      // by a later read in that turn (a PUBLISH over 64 KiB right behind the CONNECT) was handled before the login,
      // past the ACL (found by the MQTT fuzz; test/flows/fuzz-preauth.test.ts). Paused at once; authenticate resumes.
      preConnect: (client, packet, done) => {
        clientInternals(client).pause();
        broker!.startGate.connectStarted(client);
        keepaliveWithinLimit(packet, c.keepaliveLimit);
        broker!.aliases.connecting(client, packet);
        broker!.presence?.connecting(client, packet);
        broker!.bridges.connecting(client, packet);
        done(null, true);
      },
      // Hooks are bound late: aedes copies them at construction, the Broker exists only after.
      authenticate: (client, username, password, done) => broker!.login.authenticate(client, username, password, done),
      authorizePublish: (client, packet, cb) => broker!.authorize.publish(client, packet, cb),
      // aedes calls it for each subscription (live, or restored with a session) before it reads the client's delivery
      // functions for it: the dedupe's wrappers (dedupe.ts), then retained-ahead.ts's, are put there at the first one.
      authorizeSubscribe: (client, sub, cb) => {
        broker!.dedupe(client);
        broker!.retainedAhead(client);
        broker!.authorize.subscribe(client, sub, cb);
      },
      authorizeForward: (client, packet) => broker!.forward(client, packet),
    };
    const aedes = new Aedes(aedesOptions);
    broker = new Broker(opts, aedes);
    return broker;
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.aedes.listen();
    checkAedesContract(this.aedes);
    const persistence = aedesInternals(this.aedes).persistence;
    restoreOneByOne(this.aedes);
    this.storage.attach(this.aedes, persistence);
    this.retainedCheck.attach(persistence);
    queueWithIdentifiers(persistence);
    queuedWithinGrantedQos(persistence);
    flagRedeliveries(this.aedes);
    limitInboundQos2(persistence, this.opts.config.maxInflightInbound, (client) => {
      this.counters.inflightInboundExceeded++;
      this.opts.log.warn({ clientId: client.id, limit: this.opts.config.maxInflightInbound }, 'client left more QoS 2 messages awaiting PUBREL than mqtt.maxInflightInbound; disconnected');
    });
    this.started = true;
    const aedes = this.aedes;
    // One hook for the CONNACKs of all this broker's clients (write-hooks.ts).
    this.unhookConnacks = hookConnacks((packet, stream) => {
      const client = (stream as { client?: Client & { broker?: unknown } }).client;
      if (client?.broker !== aedes) return;
      this.shared.connack(packet);
      this.presence?.connack(client, packet);
    });
    // First: a session that expired while the hub was down publishes its will as it ends, and only once (session-expiry.ts).
    if (this.opts.durable) await keepSessionExpiry(this.aedes, { maxSessionExpiry: this.opts.config.maxSessionExpiry, log: this.opts.log });
    if (this.opts.durable) await publishOrphanedWills(this.aedes, (will) => this.publish(will), this.opts.log);
    if (this.opts.config.allowAnonymous) {
      this.opts.log.warn('anonymous MQTT clients are allowed (mqtt.allowAnonymous: true): any device on the network can publish and subscribe');
    }
  }

  /** A new connection (TCP or TLS socket, WebSocket stream): to aedes in its turn (connection-line.ts). */
  handle(conn: Parameters<Aedes['handle']>[0], req?: Parameters<Aedes['handle']>[1]): void {
    this.login.line.arrive(conn as unknown as NewConnection, req);
  }

  /**
   * Hands a new connection to aedes, with rumah's guards: functions of the broker's shared by every client (`this` the
   * client, its parser or its socket), so an idle connection costs a few properties beyond aedes's own; per-client
   * state is made when first needed (the dedupe's at the first subscription, the outbound window's at a CONNECT with
   * a Receive Maximum). Its bytes are parsed a piece at a time (read-pieces.ts).
   */
  private handleNow(conn: Parameters<Aedes['handle']>[0], req?: Parameters<Aedes['handle']>[1]): void {
    this.writes.attach(conn as unknown as Corkable);
    const client = this.aedes.handle(conn, req);
    // GHSA-52qw-whmv-87c5, as for the broker's maps: a subscription to `__proto__` is a subscription, not a prototype.
    clientInternals(client).subscriptions = nullPrototypeRecord();
    lightenParserInput(client);
    readInPieces(client);
    this.parsers(client);
    this.v5.attach(client);
    this.slowReader(client);
  }

  publish(msg: OutgoingPublish): Promise<void> {
    if (isSharedTopic(msg.topic)) return Promise.reject(new Error(`${msg.topic}: $share/ names shared subscriptions, not a topic`));
    return new Promise((resolve, reject) => {
      this.aedes.publish(
        { cmd: 'publish', topic: msg.topic, payload: typeof msg.payload === 'string' ? Buffer.from(msg.payload) : msg.payload, qos: msg.qos ?? 0, retain: msg.retain ?? false, dup: false, ...(msg.properties ? { properties: msg.properties } : {}) },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  get connectedClients(): number {
    return this.aedes.connectedClients ?? 0;
  }

  /** Disconnects every client logged in as `username` (a revoked credential). */
  disconnectUser(username: string): number {
    let n = 0;
    for (const client of Object.values(this.clients)) {
      if (this.identities.get(client)?.username === username) {
        client.close();
        n++;
      }
    }
    return n;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unhookConnacks?.();
    this.unhookConnacks = undefined;
    this.flow.stop();
    this.budget.stop();
    this.login.stop();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  /** Every message the broker routes, from a client or from the hub itself, in routing order (dispatch.ts). */
  private routed(packet: DispatchedPacket): void {
    // A `$share/` name is no topic (shared-subscriptions.ts): whatever published to it, no device is made of it.
    if (packet.topic.startsWith(sysPrefix) || isSharedTopic(packet.topic)) return;
    const clientId = packet.clientId;
    let username: string | undefined;
    let admin = false;
    if (clientId !== undefined) {
      this.counters.messagesIn++;
      const client = this.clients[clientId];
      const identity = client && this.identities.get(client);
      username = client ? identity?.username : this.departed.get(clientId);
      admin = identity?.kind === 'admin';
    }
    this.events.emit('message', { topic: packet.topic, payload: packet.payload as Buffer, qos: packet.qos as 0 | 1 | 2, retain: packet.retain, clientId, username, admin });
  }

  private get clients(): Record<string, Client> {
    return aedesInternals(this.aedes).clients;
  }

  /**
   * aedes's authorizeForward: every copy about to be written to a subscriber. [MQTT-3.1.2-25] A message larger than
   * the Maximum Packet Size an MQTT 5 client asked for is not sent to it (aedes 2.0.0-beta.1 only stores the limit);
   * it is discarded for that client alone, as if sent, and counted. What goes is given its topic alias, where the
   * client takes them (outbound-aliases.ts).
   */
  forward<P extends { topic: string; payload: Buffer | string; qos?: number; properties?: Record<string, unknown> }>(client: Client, packet: P): P | null {
    const max = clientInternals(client).maximumPacketSize;
    if (max !== undefined && tooLargeFor(packet, max)) {
      this.counters.tooLargeForClient++;
      this.opts.log.info({ clientId: client.id, topic: packet.topic, limit: max }, 'message larger than the client\'s Maximum Packet Size; not sent to it');
      return null;
    }
    // Another account's topics stay its own, whatever a subscription granted earlier matched (devices/pairing/acl.ts).
    if (this.opts.acl?.forward && !this.opts.acl.forward(this.identities.get(client), packet.topic)) return null;
    this.counters.messagesOut++;
    return this.aliases.apply(client, packet);
  }

  private wireEvents(): void {
    const { log } = this.opts;
    const bus = this.events;
    this.aedes.on('clientReady', (client) => {
      this.startGate.connectAnswered(client);
      bus.emit('clientConnected', { clientId: client.id, username: this.identities.get(client)?.username, protocolVersion: clientInternals(client).version ?? undefined, bridge: this.bridges.has(client) });
      log.debug({ clientId: client.id }, 'client connected');
    });
    const disconnected = (client: Client, reason: 'closed' | 'keepalive' | 'error'): void => {
      // A message it sent just before leaving may be routed after (mosquitto_pub: PUBLISH, then DISCONNECT at once).
      const username = this.identities.get(client)?.username;
      if (username !== undefined) {
        this.departed.delete(client.id);
        this.departed.set(client.id, username);
        if (this.departed.size > departedKept) this.departed.delete(this.departed.keys().next().value!);
      }
      this.flow.forget(client.id);
      this.budget.forget(client);
      this.order.forget(client.id);
      bus.emit('clientDisconnected', { clientId: client.id, username: this.identities.get(client)?.username, reason });
    };
    this.aedes.on('clientDisconnect', (client) => disconnected(client, 'closed'));
    this.aedes.on('keepaliveTimeout', (client) => {
      log.info({ clientId: client.id }, 'client keepalive expired');
      disconnected(client, 'keepalive');
    });
    const tooLarge = (client: Client | undefined, err: Error & { size?: number }): boolean => {
      if (err.message !== 'packet too large') return false;
      this.counters.oversizePackets++;
      log.warn({ clientId: client?.id, length: err.size, limit: this.opts.config.maxPacketSize }, 'packet over mqtt.maxPacketSize refused; client disconnected');
      return true;
    };
    this.aedes.on('clientError', (client, err) => {
      // An MQTT 5 publish that was refused: answered with reason code 0x87 and already logged (authorize.ts).
      if ((err as { code?: string }).code === deniedCode) return;
      if (tooLarge(client, err)) return;
      // A protocol violation or a broken socket ends this client only; the hub goes on.
      log.info({ clientId: client.id, err: err.message }, 'client error');
    });
    this.aedes.on('connectionError', (client, err) => {
      if (tooLarge(client, err)) return;
      log.info({ clientId: client?.id, err: err.message }, 'connection error before CONNECT completed');
    });
    // The persistence failing under aedes (a session wipe or a will delete that could not be written, the store
    // closed under a late callback at stop): logged, never an unhandled 'error' that ends the process.
    (this.aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) => {
      if (!this.started) return log.debug({ err: err.message }, 'broker error while stopping');
      log.warn({ err: err.message }, 'broker error');
    });
  }
}

function holdsSessions(persistence: unknown): SessionPresence | undefined {
  const p = persistence as { holdsSession?: (clientId: string) => boolean } | undefined;
  return typeof p?.holdsSession === 'function' ? new SessionPresence((clientId) => p.holdsSession!(clientId)) : undefined;
}
