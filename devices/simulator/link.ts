import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../server/core/logger.js';
import type { Message } from './types.js';

// One MQTT connection of the simulation, kept up the way device firmware keeps it: connect, and whenever the
// connection ends or is refused, try again after a delay that doubles up to a ceiling (with jitter, so a hub
// restart is not met by every device at the same millisecond). A pairing candidate depends on this: the hub
// refuses it while the join window is closed, and drops it when the admin accepts it; each time it comes back
// with the same credentials. Each attempt is a fresh MQTT.js client (reconnectPeriod 0), so no library state
// survives from a refused attempt into the next.

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface LinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  will: Message;
  subscriptions: readonly string[];
  keepalive: number;
  /** 4 (MQTT 3.1.1, what most devices speak) or 5: only MQTT 5 tells a publisher its PUBLISH was refused (PUBACK 0x87). */
  protocolVersion?: 4 | 5;
  backoff: Backoff;
  log: Logger;
  /** Published after every CONNACK, once the subscriptions are in place. */
  announce(): Message[];
  onMessage(topic: string, payload: Buffer, retained: boolean): void;
  /** Announced and ready, or gone: for the simulation's counts. */
  onChange(ready: boolean): void;
  onPublished(n: number): void;
}

/** Unsent bytes above which reports wait: the hub's flow control is pushing back, and queueing would only hide it. */
const MAX_BUFFERED = 1 << 20;
const STOP_TIMEOUT_MS = 2000;
const ANNOUNCE_TIMEOUT_MS = 5000;
/** A connection closed by the hub after a publish within this time of its CONNACK counts toward a refusal. */
const SHORT_LIVED_MS = 30_000;

export class Link {
  connected = false;
  /** Connected and announced (every announcement acknowledged): devices on this connection exist for the hub. */
  ready = false;
  attempts = 0;
  /** CONNACKs with "bad user name or password" (4) or "not authorized" (5) [MQTT-3.2.2-3]. */
  refused = 0;
  errors = 0;
  /**
   * The hub turned down this device after it connected: a PUBACK or SUBACK with a failure reason code (MQTT 5
   * [MQTT-3.4.2-1], 0x80 and above; 3.1.1 SUBACK 0x80), or the connection closed by the hub after a publish (an
   * MQTT 3.1.1 broker has no other way to refuse a PUBLISH [MQTT-3.3.5-2]). Typically its topics belong to
   * another account. Counted, and the last reason kept for the warning the simulator prints.
   */
  rejected = 0;
  problem?: string;
  private client?: MqttClient;
  private inflight = 0;
  /** The topic of the last publish on this connection, to say what the hub closed it after. */
  private lastTopic?: string;
  private connectedAt = 0;
  /** Connections in a row that the hub closed soon after a publish. */
  private closedAfterPublish = 0;
  private timer?: NodeJS.Timeout;
  private delay: number;
  private stopped = false;

  constructor(private readonly opts: LinkOptions) {
    this.delay = opts.backoff.initialMs;
  }

  get username(): string | undefined {
    return this.opts.username;
  }

  start(): void {
    this.open();
  }

  /**
   * Whether a scheduled report may go now: announced, nothing acknowledged-delivery still in flight, and the send
   * buffer not backed up. Waiting for the PUBACKs keeps a device's messages in order at the hub: MQTT orders
   * messages only per topic and QoS [MQTT-4.6.0-6], and a broker that stores QoS 1 before acknowledging it (ours)
   * can let a later QoS 0 report overtake an earlier discovery message or confirmation.
   */
  get canReport(): boolean {
    const client = this.client;
    if (!client || !this.ready || this.inflight > 0) return false;
    return ((client.stream as unknown as { writableLength?: number } | undefined)?.writableLength ?? 0) <= MAX_BUFFERED;
  }

  /** Publishes now if connected; false when the message was not sent. */
  publish(msg: Message, done?: () => void): boolean {
    const client = this.client;
    if (!client || !this.connected) return false;
    const qos = msg.qos ?? 0;
    if (qos > 0) this.inflight++;
    this.lastTopic = msg.topic;
    client.publish(msg.topic, msg.payload, { qos, retain: msg.retain ?? false }, (err) => {
      if (qos > 0 && client === this.client) this.inflight--;
      if (err) {
        const code = (err as Error & { code?: unknown }).code;
        if (typeof code === 'number' && code >= 0x80) this.reject(`publish to ${msg.topic} refused: ${err.message} (0x${code.toString(16)})`);
        else this.errors++;
      }
      done?.();
    });
    this.opts.onPublished(1);
    return true;
  }

  /**
   * Clean stop: `retire` (every device offline) acknowledged, then DISCONNECT, which discards the will
   * [MQTT-3.14.4-3]. Abrupt stop: the socket is destroyed without DISCONNECT, so the broker publishes the will
   * [MQTT-3.1.2-8], as when a device loses power.
   */
  async stop(retire: Message[], abrupt: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    if (!client) return;
    if (abrupt || !this.connected) {
      client.end(true);
      return;
    }
    await withTimeout(Promise.all(retire.map((m) => new Promise<void>((resolve) => {
      if (!this.publish({ ...m, qos: 1 }, resolve)) resolve();
    }))), STOP_TIMEOUT_MS);
    await withTimeout(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), STOP_TIMEOUT_MS);
    client.end(true);
  }

  private open(): void {
    if (this.stopped) return;
    this.attempts++;
    const { url, clientId, username, password, will, keepalive, log } = this.opts;
    const client = mqtt.connect(url, {
      clientId, username, password, keepalive, clean: true, protocolVersion: this.opts.protocolVersion ?? 4,
      reconnectPeriod: 0, connectTimeout: 10_000, queueQoSZero: false, resubscribe: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos ?? 1, retain: will.retain ?? true },
    });
    this.client = client;
    this.lastTopic = undefined;
    client.on('connect', () => {
      this.connected = true;
      this.connectedAt = Date.now();
      this.inflight = 0;
      this.delay = this.opts.backoff.initialMs;
      this.announce(client);
    });
    client.on('message', (topic, payload, packet) => this.opts.onMessage(topic, payload, packet.retain));
    client.on('error', (err: Error & { code?: unknown }) => {
      if (err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135) this.refused++;
      else this.errors++;
      log.debug({ clientId, err: err.message }, 'connection error');
    });
    client.on('close', () => {
      // A client is used for one attempt: once closed it is let go (reconnectPeriod 0 leaves it inert), and the
      // next attempt is a new client.
      if (client !== this.client) return;
      this.client = undefined;
      // Closed by the hub (not by stop()) after this connection published: the way a 3.1.1 broker refuses a PUBLISH.
      // Once can be a hub restart or a network loss; twice in a row, each connection short-lived, is a refusal.
      if (this.connected && !this.stopped && this.lastTopic !== undefined) {
        this.closedAfterPublish = Date.now() - this.connectedAt < SHORT_LIVED_MS ? this.closedAfterPublish + 1 : 1;
        if (this.closedAfterPublish >= 2) this.reject(`the hub closed the connection after a publish to ${this.lastTopic}, ${this.closedAfterPublish} times in a row`);
      }
      this.connected = false;
      if (this.ready) {
        this.ready = false;
        this.opts.onChange(false);
      }
      this.retry();
    });
  }

  /**
   * Subscribes, then announces: a command sent in answer to the announcement must find the subscription there.
   * Announcements go one at a time, each after the previous one's PUBACK, so the hub reads them in order:
   * discovery before the state it describes (MQTT orders only per topic [MQTT-4.6.0-6], and a broker that stores
   * QoS 1 before routing it, as ours does, may route a later message first).
   */
  private announce(client: MqttClient): void {
    const current = (): boolean => client === this.client && this.connected;
    const announce = async (): Promise<void> => {
      for (const msg of this.opts.announce()) {
        if (!current()) return;
        // A PUBACK that never comes does not hold the device back for ever; a dead connection closes anyway.
        await withTimeout(new Promise<void>((resolve) => {
          if (!this.publish({ ...msg, qos: msg.qos ?? 1 }, resolve)) resolve();
        }), ANNOUNCE_TIMEOUT_MS);
      }
      if (!current() || this.ready) return;
      this.ready = true;
      this.opts.onChange(true);
    };
    const filters = [...this.opts.subscriptions];
    if (filters.length === 0) return void announce();
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const denied = (granted ?? []).filter((g) => g.qos >= 128);
      if (err || denied.length) this.opts.log.warn({ clientId: this.opts.clientId, err: err?.message, denied: denied.map((g) => g.topic) }, 'subscription refused');
      // MQTT.js reports a SUBACK failure code as `err` (MQTT 5 and 3.1.1's 0x80 alike) or as a granted 128.
      if (denied.length || err) this.reject(`subscription to ${(denied.length ? denied.map((g) => g.topic) : filters).join(', ')} refused${err ? `: ${err.message}` : ''}`);
      void announce();
    });
  }

  private reject(problem: string): void {
    this.rejected++;
    this.problem = problem;
    this.opts.log.debug({ clientId: this.opts.clientId, problem }, 'refused by the hub');
  }

  private retry(): void {
    if (this.stopped) return;
    const wait = Math.round(this.delay * (0.8 + 0.4 * Math.random()));
    this.delay = Math.min(this.delay * 2, this.opts.backoff.maxMs);
    this.opts.log.debug({ clientId: this.opts.clientId, wait }, 'reconnecting');
    this.timer = setTimeout(() => this.open(), wait);
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}
