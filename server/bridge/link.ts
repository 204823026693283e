import fs from 'node:fs';
import path from 'node:path';
import type { IClientOptions, MqttClient, Store } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Backoff } from './backoff.js';
import type { BridgeConfig } from './config.js';
import type { OutQueue } from './out-queue.js';
import { OutSender, type AckPacket, type ByteStream } from './out-sender.js';
import { OutSession } from './out-session.js';
import type { QueuedMessage } from './queue-store.js';
import { decodeIncoming, encodeIncoming, sessionFor, type SavedSession } from './saved-session.js';
import { TopicRules } from './topic-rules.js';

/**
 * QoS 2 messages a 3.1.1 link leaves unreleased (sent, no PUBREC yet) at once. MQTT 5 remotes say how many they take
 * (CONNACK Receive Maximum); 3.1.1 has no such field, and mosquitto takes `max_inflight_messages` (20 by default)
 * unreleased QoS 2 messages from a client and, while it holds that many, drops any further QoS 1 or 2 message after a
 * PUBACK/PUBREC that in 3.1.1 cannot carry its reason (0x97 Quota exceeded): with maxInflight 100, QoS 2 bursts and
 * the QoS 1 messages among them were lost without a trace (test/flows/bridge-out-session.test.ts). 20 is the lowest
 * common default (EMQX's max_awaiting_rel is 100); a link that sends only QoS 1 is not bounded by it.
 */
const QOS2_WINDOW_V311 = 20;

let mqtt: typeof import('mqtt') | undefined;

/**
 * MQTT.js (and the SOCKS and WebSocket code it brings) is loaded when the first bridge opens, not at every start:
 * most hubs have no outbound bridge, and its ~60 ms of loading was on the way to the first CONNACK (issue 19 item 6).
 */
export async function loadMqttClient(): Promise<void> {
  mqtt ??= await import('mqtt');
}

export type LinkState = 'connecting' | 'connected' | 'down';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface LinkDeps {
  config: BridgeConfig;
  dataDir: string;
  queue: OutQueue;
  log: Logger;
  /** Publishes a remote message into the hub; the remote is acknowledged once this resolves. */
  deliver: (msg: InboundMessage) => Promise<void>;
  /** The hub's mqtt.maxPacketSize: a larger remote message is not brought in (MQTT 5: the remote is told). */
  maxPacketSize: number;
  /** What the last run's clean stop kept of this bridge's persistent session (saved-session.ts). */
  saved?: SavedSession;
  /** Test seam: reconnect delays. */
  backoff?: Backoff;
}

/**
 * One outbound bridge's connection: connects (MQTT.js, one client per attempt so that no state of a dead
 * connection leaks into the next), subscribes for its `in` rules, sends its queue in order, and reconnects with
 * backoff. State and counters are read by /metrics, /healthz and the dashboard.
 */
export class BridgeLink {
  readonly rules: TopicRules;
  state: LinkState = 'down';
  lastError?: string;
  since = Date.now();
  readonly counters = { messagesOut: 0, messagesIn: 0, qos0Dropped: 0, refused: 0, tooLarge: 0, connects: 0 };
  private client?: MqttClient;
  private generation = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'>;
  /** QoS 1/2 messages in flight at once on this connection: maxInflight, or less if the remote said so. */
  private window = 1;
  /** The remote's Maximum Packet Size (MQTT 5 CONNACK), if it gave one. */
  private remoteMaxPacket?: number;
  /** Sends the out-queue on the current connection, once it is connected (out-sender.ts). */
  private sender?: OutSender;
  /** What is in flight, by packet identifier: kept across connections for a persistent session (out-session.ts). */
  private readonly session = new OutSession();
  /** The remote resumed this bridge's session on the current connection (CONNACK Session Present 1). */
  private resumed = false;
  /**
   * A persistent session's QoS 2 messages coming in that were answered with PUBREC and wait for their PUBREL: MQTT.js
   * brings a QoS 2 message in at the PUBREL, and keeps it until then in its incoming store, one per client; the
   * link makes a client per connection, so the store is the link's, or a PUBREL the remote sends again on a resumed
   * session [MQTT-4.4.0-1] would find nothing and the message would be lost.
   */
  private incoming?: Store;

  constructor(private readonly deps: LinkDeps) {
    this.rules = new TopicRules(deps.config.topics);
    this.backoff = deps.backoff ?? new Backoff();
    const file = (name: string | undefined, key: string) => {
      if (name === undefined) return undefined;
      try {
        return fs.readFileSync(path.resolve(deps.dataDir, name));
      } catch (err) {
        throw new RumahError(ErrorCodes.CONFIG_INVALID, `bridges: ${deps.config.name}: ${key} ${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); relative paths are read from the data directory`);
      }
    };
    // Read once at start: a missing file is a configuration error, reported then rather than at every reconnect.
    this.tls = { ca: file(deps.config.ca, 'ca'), cert: file(deps.config.cert, 'cert'), key: file(deps.config.key, 'key') };
    if (deps.saved && !deps.config.cleanSession) this.takeUp(deps.saved);
  }

  /** The session as a clean stop keeps it (saved-session.ts); undefined for a clean-session bridge. */
  async save(): Promise<SavedSession | undefined> {
    if (this.deps.config.cleanSession) return undefined;
    const incoming: string[] = [];
    if (this.incoming) {
      for await (const packet of this.incoming.createStream() as AsyncIterable<IPublishPacket>) incoming.push(encodeIncoming(packet, this.deps.config.protocolVersion));
    }
    if (this.session.pending.size === 0 && incoming.length === 0) return undefined;
    return { for: sessionFor(this.deps.config), ...this.session.save(), incoming };
  }

  /** The last run's session: its messages in flight are the queue's again, and the incoming QoS 2 ones wait for PUBREL. */
  private takeUp(saved: SavedSession): void {
    const messages = this.deps.queue.resumeInFlight(saved.pending.map(([, row]) => row));
    this.session.restore(saved, messages);
    const incoming = decodeIncoming(saved.incoming, this.deps.config.protocolVersion);
    if (incoming.length > 0 && mqtt) {
      this.incoming = new mqtt.Store({ clean: false });
      for (const packet of incoming) this.incoming.put(packet, () => undefined);
    }
    this.deps.log.info({ bridge: this.name, inFlight: this.session.pending.size, awaitingPubrel: incoming.length }, 'bridge session of the last run taken up; it goes on if the remote kept its half');
  }

  get name(): string {
    return this.deps.config.name;
  }

  start(): void {
    this.connect();
  }

  /** A local message an `out` rule took. QoS 0 goes now or never; QoS 1/2 waits in the durable queue. */
  send(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): void {
    if (qos === 0) {
      if (this.state !== 'connected' || !this.sender?.publish0(topic, payload, retain)) this.counters.qos0Dropped++;
      else this.counters.messagesOut++;
      return;
    }
    this.deps.queue.add(topic, payload, qos, retain);
    this.sender?.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.generation++;
    this.sender?.close();
    this.sender = undefined;
    const client = this.client;
    this.client = undefined;
    this.setState('down');
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  private connect(): void {
    if (this.stopped) return;
    const { config, log } = this.deps;
    const generation = ++this.generation;
    this.setState('connecting');
    if (!mqtt) throw new Error('bridge: loadMqttClient() must run before a link connects');
    // `clean: false`: MQTT.js empties a clean store when its client ends.
    if (!config.cleanSession) this.incoming ??= new mqtt.Store({ clean: false });
    const client = mqtt.connect(config.url, {
      protocolVersion: config.protocolVersion,
      manualConnect: true,
      clientId: config.clientId ?? `rumah-${config.name}`,
      clean: config.cleanSession,
      keepalive: config.keepalive,
      ...(config.username !== undefined ? { username: config.username } : {}),
      ...(config.password !== undefined ? { password: config.password } : {}),
      ...(config.protocolVersion === 5 ? { properties: { maximumPacketSize: this.deps.maxPacketSize, ...(config.cleanSession ? {} : { sessionExpiryInterval: 0xffffffff }) } } : {}),
      ...this.tls,
      rejectUnauthorized: config.rejectUnauthorized,
      reconnectPeriod: 0,
      // A PINGREQ every keepalive whatever the traffic, instead of a timer cleared and set again for every packet in
      // and out (each PUBACK: ~1.5 % of a bridging hub's CPU, bench/bridge.ts). The remote still hears from us within
      // the keepalive [MQTT-3.1.2-23], and a PINGRESP not coming still ends the connection.
      reschedulePings: false,
      connectTimeout: 30_000,
      queueQoSZero: false,
      resubscribe: false,
      // The SUBSCRIBE's packet identifier must not be one of the session's in flight [MQTT-2.3.1-2].
      messageIdProvider: this.session.idProvider(),
      ...(this.incoming ? { incomingStore: this.incoming } : {}),
    });
    this.client = client;
    if (config.protocolVersion === 4) withBridgeBit(client);
    // MQTT.js acknowledges a QoS 1/2 message when this calls back: only once the hub has it.
    client.handleMessage = (packet, done) => {
      if (generation !== this.generation) return done();
      const mapped = this.rules.toLocal(packet.topic, packet.qos);
      if (!mapped) return done();
      if (packet.payload.length > this.deps.maxPacketSize) {
        this.counters.tooLarge++;
        log.warn({ bridge: this.name, topic: packet.topic, bytes: packet.payload.length, limit: this.deps.maxPacketSize }, 'remote message larger than mqtt.maxPacketSize; not brought in');
        return done();
      }
      // A zero-length payload may be a shared Buffer in the parser; the loop marker needs one object per message.
      const payload = packet.payload.length === 0 ? Buffer.alloc(0) : Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.counters.messagesIn++;
      this.deps
        .deliver({ topic: mapped.topic, payload, qos: mapped.qos, retain: packet.retain })
        .then(() => done(), (err: Error) => {
          log.warn({ topic: mapped.topic, err: err.message }, 'bridged message not published into the hub');
          done();
        });
    };
    client.on('connect', (connack) => {
      if (generation !== this.generation) return;
      // [MQTT-3.3.4-7] an MQTT 5 server's Receive Maximum bounds the QoS 1/2 publishes we leave unacknowledged;
      // MQTT.js does not apply it to what it sends, so the window here does.
      const receiveMaximum = connack.properties?.receiveMaximum;
      this.window = Math.min(config.maxInflight, receiveMaximum ?? 65_535);
      this.remoteMaxPacket = connack.properties?.maximumPacketSize;
      this.resume(connack.sessionPresent === true);
      this.counters.connects++;
      this.backoff.reset();
      this.lastError = undefined;
      const subs = this.rules.subscriptions;
      if (subs.length === 0) return this.connected();
      const nl = config.protocolVersion === 5 ? { nl: true, rap: true } : {};
      client.subscribe(
        Object.fromEntries(subs.map((s) => [s.filter, { qos: s.qos, ...nl }])),
        (err, granted) => {
          if (generation !== this.generation) return;
          const refused = granted?.filter((g) => g.qos === 128 || g.qos >= 0x80) ?? [];
          if (err || refused.length > 0) log.warn({ bridge: this.name, err: err?.message, refused: refused.map((g) => g.topic) }, 'remote refused a bridge subscription');
          this.connected();
        },
      );
    });
    client.on('error', (err) => {
      if (generation !== this.generation) return;
      this.lastError = err.message;
    });
    client.on('close', () => {
      if (generation !== this.generation) return;
      this.lost();
    });
    // The first packet from the remote is the CONNACK [MQTT-3.2.0-1], seen here before MQTT.js handles it or any packet
    // after it: a remote that kept no session will send no PUBREL for what the incoming store holds.
    if (this.incoming) {
      client.once('packetreceive', (packet) => {
        if (generation !== this.generation || packet.cmd !== 'connack' || packet.sessionPresent === true || !mqtt) return;
        this.incoming = new mqtt.Store({ clean: false });
        client.incomingStore = this.incoming;
      });
    }
    // Acknowledgements of what the sender wrote; MQTT.js's own handler then finds no publish of its own and ignores them.
    client.on('packetreceive', (packet) => {
      if (generation === this.generation) this.sender?.ack(packet as AckPacket);
    });
    client.connect();
  }

  private connected(): void {
    this.setState('connected');
    this.deps.log.info({ bridge: this.name, url: this.deps.config.url }, 'bridge connected');
    const client = this.client!;
    this.sender = new OutSender({
      stream: client.stream as unknown as ByteStream, protocolVersion: this.deps.config.protocolVersion, queue: this.deps.queue, window: this.window,
      session: this.session, resume: this.resumed,
      ...(this.deps.config.protocolVersion === 4 ? { qos2Window: Math.min(this.window, QOS2_WINDOW_V311) } : {}),
      ...(this.remoteMaxPacket !== undefined ? { maxPacketSize: this.remoteMaxPacket } : {}),
      done: (msg, refused) => this.sent(msg, refused),
    });
    this.sender.schedule();
  }

  private lost(): void {
    const client = this.client;
    this.client = undefined;
    this.generation++;
    this.sender?.close();
    this.sender = undefined;
    client?.end(true);
    const delay = this.backoff.next();
    if (this.state === 'connected') this.deps.log.warn({ bridge: this.name, err: this.lastError, retryMs: delay }, 'bridge connection lost');
    else this.deps.log.info({ bridge: this.name, err: this.lastError, retryMs: delay }, 'bridge could not connect');
    this.lastError ??= 'connection closed';
    this.setState('down');
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /**
   * What the remote kept decides what goes again [MQTT-4.4.0-1]. Session Present 1 (a persistent session, MQTT 5:
   * Clean Start 0 with a session expiry): the remote holds the QoS 2 messages it had under their packet identifiers,
   * so what was in flight goes again under those, first (out-sender.ts), and the queue continues after it. Otherwise
   * (a clean session, or a remote that kept nothing): the identifiers are forgotten and everything unacknowledged goes
   * again from the oldest as new messages (at least once; a QoS 2 message the remote had may arrive twice).
   */
  private resume(sessionPresent: boolean): void {
    this.resumed = !this.deps.config.cleanSession && sessionPresent;
    if (this.resumed) {
      if (this.session.pending.size > 0) this.deps.log.info({ bridge: this.name, inFlight: this.session.pending.size }, 'bridge session resumed; sending what was in flight again under its packet identifiers');
      return;
    }
    this.session.clear();
    this.deps.queue.rewind();
  }

  /** The remote acknowledged a queued message (or refused it: it is dropped all the same). */
  private sent(msg: QueuedMessage, refused: number | undefined): void {
    // A refusal is the remote's PUBACK/PUBREC reason code >= 0x80 (MQTT 5: not authorised, quota exceeded…), or the
    // sender's own for a message the remote could not take (out-sender.ts: over its Maximum Packet Size, a topic over
    // 65,535 bytes): sending it again would be refused again, forever.
    if (refused !== undefined) {
      this.counters.refused++;
      this.deps.log.warn({ bridge: this.name, topic: msg.topic, reasonCode: refused }, 'bridged message refused (by the remote, or too large for it); dropped');
    } else this.counters.messagesOut++;
    this.deps.queue.acked(msg);
  }

  private setState(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = Date.now();
  }
}

/**
 * MQTT 3.1.1 with the bridge bit: protocol level 0x84 in CONNECT (mosquitto's try_private). A broker that knows it
 * (mosquitto) then does not send this bridge its own messages back, as MQTT 5's No Local does per subscription
 * [MQTT-3.8.3-3]. mqtt-packet writes the bit when the CONNECT packet has `bridgeMode`, but MQTT.js 5.16 builds that
 * packet from a fixed list of options, so the one CONNECT is amended on its way to the writer (a client made with
 * manualConnect, before it connects). Without it the hub's marker still stops a loop after one echo.
 */
function withBridgeBit(client: MqttClient): void {
  const internals = client as unknown as { _writePacket?: (packet: { cmd: string }, cb?: unknown) => void };
  const write = internals._writePacket;
  if (typeof write !== 'function') return;
  internals._writePacket = function (this: unknown, packet, cb) {
    return write.call(this, packet.cmd === 'connect' ? { ...packet, bridgeMode: true } : packet, cb);
  };
}
