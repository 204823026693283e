import type { IPublishPacket } from 'mqtt-packet';
import type { Logger } from '../core/logger.js';
import { ReturnCode, type Packet, type PacketOf, type ReturnCodeValue, type TopicRef } from './codec/index.js';
import { BrokerLink, type LinkTarget } from './broker-link.js';
import { Deliveries } from './deliveries.js';
import { TopicRegistry } from './topic-registry.js';
import type { AddressStats } from './address-stats.js';

export interface SessionLimits {
  retryMs: number;
  retries: number;
  maxTopics: number;
  maxQueued: number;
  /** Seconds between PINGREQs to the broker on the client's behalf (half the broker's keepalive); 0: none. */
  brokerKeepalive: number;
}

export interface SessionDeps {
  clientId: string;
  account: string;
  /** The source (IP, or IP + forwarder node id): where answers go, and what is counted. */
  address: string;
  send(packet: Packet): void;
  target: LinkTarget;
  password: string;
  predefined: ReadonlyMap<number, string>;
  limits: SessionLimits;
  stats: AddressStats;
  log: Logger;
  /** The session ended (disconnected, lost, replaced): the gateway forgets it. */
  ended(session: Session): void;
  /** WILLTOPICUPD / WILLMSGUPD: the broker-side will of this client changed (will-update.ts). */
  updateWill(update: { topic?: string; qos?: 0 | 1 | 2; retain?: boolean; payload?: Buffer; remove?: boolean }): string | undefined;
}

/** UDP over IPv4 carries 65,507 octets; less a 3-octet-length PUBLISH header (9) and room for a forwarder's (≤ 255). */
const maxDeliveredPayload = 65_507 - 9 - 255;

type State = 'will-topic' | 'will-msg' | 'connecting' | 'active' | 'asleep' | 'awake' | 'ended';

/**
 * One MQTT-SN client: the CONNECT exchange with its will (§6.3), then its messages translated to and from its own
 * MQTT connection to the broker (BrokerLink), its topic ids (§6.5, §6.10), keepalive and sleep supervision (§6.14),
 * and the deliveries to it (deliveries.ts). Nothing it sends can reach another client's session.
 */
export class Session {
  state: State = 'connecting';
  readonly registry: TopicRegistry;
  private link?: BrokerLink;
  private readonly deliveries: Deliveries;
  private readonly predefinedByName: Map<string, number>;
  private will?: { topic: string; qos: 0 | 1 | 2; retain: boolean; payload?: Buffer };
  private connectPacket?: PacketOf<'connect'>;
  private supervision?: NodeJS.Timeout;
  private brokerPing?: NodeJS.Timeout;
  private sleepSeconds = 0;
  /** Inbound QoS 1/2 message ids being handled, and QoS 2 ones the broker has (PUBREC sent). */
  private readonly inbound = new Map<number, 'routing' | 'received'>();

  constructor(private readonly deps: SessionDeps) {
    this.registry = new TopicRegistry(deps.limits.maxTopics);
    this.predefinedByName = new Map([...deps.predefined].map(([id, name]) => [name, id]));
    this.deliveries = new Deliveries({
      send: (p) => this.deps.send(p), registry: this.registry, predefined: () => this.predefinedByName,
      acknowledge: (id, qos) => this.link?.acknowledge(id, qos),
      lost: () => this.lose('no answer after N_retry retransmissions'),
      drained: () => this.drained(),
      dropped: (why) => this.deps.log.info({ clientId: deps.clientId, why }, 'MQTT-SN delivery dropped'),
      retryMs: deps.limits.retryMs, retries: deps.limits.retries, maxQueued: deps.limits.maxQueued,
    });
    // Nothing goes to the client before its CONNACK: a CleanSession-0 session's queued messages come right behind the
    // broker's CONNACK, in the same read.
    this.deliveries.pause();
  }

  get clientId(): string {
    return this.deps.clientId;
  }

  get address(): string {
    return this.deps.address;
  }

  /** Who it publishes as: a QoS −1 message from a connected client's source goes as this account (§6.8). */
  get identity(): { account: string; clientId: string; predefined: ReadonlyMap<number, string> } {
    return { account: this.deps.account, clientId: this.deps.clientId, predefined: this.deps.predefined };
  }

  /** A sleeping client woke from another port: answers go there from now on. */
  reroute(send: (packet: Packet) => void): void {
    this.deps.send = send;
  }

  get queued(): number {
    return this.deliveries.queued;
  }

  /** §6.3: CONNECT, then WILLTOPICREQ/WILLMSGREQ when the Will flag is set, then CONNACK once the broker answered. */
  start(connect: PacketOf<'connect'>): void {
    this.connectPacket = connect;
    this.supervise();
    if (connect.flags.will) {
      this.state = 'will-topic';
      this.deps.send({ type: 'willtopicreq' });
    } else this.guard(this.connectBroker());
  }

  /** A CONNECT again from a sleeping client with CleanSession 0: it becomes active on the session it has (§6.14). */
  resume(connect: PacketOf<'connect'>): void {
    this.connectPacket = connect;
    this.state = 'active';
    this.deps.send({ type: 'connack', returnCode: ReturnCode.ACCEPTED });
    this.supervise();
    this.deliveries.resume();
  }

  handle(p: Packet): void {
    this.supervise();
    switch (p.type) {
      case 'willtopic':
        if (this.state !== 'will-topic') return this.unsupported(p.type);
        // §5.4.7: an empty WILLTOPIC means no will.
        if (p.topic === '') return this.guard(this.connectBroker());
        this.will = { topic: p.topic, qos: (p.flags?.qos ?? 0) as 0 | 1 | 2, retain: p.flags?.retain ?? false };
        this.state = 'will-msg';
        return this.deps.send({ type: 'willmsgreq' });
      case 'willmsg':
        if (this.state !== 'will-msg' || !this.will) return this.unsupported(p.type);
        this.will.payload = p.message;
        return this.guard(this.connectBroker());
      case 'register':
        return this.register(p);
      case 'publish':
        return this.guard(this.publish(p));
      case 'pubrel':
        // §6.7 QoS 2: the broker has the message since PUBREC; PUBCOMP ends it here.
        this.inbound.delete(p.msgId);
        return this.deps.send({ type: 'pubcomp', msgId: p.msgId });
      case 'regack':
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        return this.deliveries.answer(p);
      case 'subscribe':
        return this.guard(this.subscribe(p));
      case 'unsubscribe':
        return this.guard(this.unsubscribe(p));
      case 'pingreq':
        return this.ping(p);
      case 'disconnect':
        return this.disconnect(p.duration);
      case 'willtopicupd':
        return this.willUpdate('topic', p.topic === '' ? { remove: true } : { topic: p.topic, qos: (p.flags?.qos ?? 0) as 0 | 1 | 2, retain: p.flags?.retain ?? false });
      case 'willmsgupd':
        return this.willUpdate('msg', { payload: p.message });
      default:
        return this.unsupported(p.type);
    }
  }

  /** Replaced by a new CONNECT of the same client id: a clean end (its will is not published, the client is back). */
  replace(): void {
    this.end(() => this.link?.disconnect());
  }

  /** The gateway stops: the broker keeps clean=false sessions; wills are not published (the hub's stop, not the client's loss). */
  stop(): void {
    this.end(() => this.link?.disconnect());
  }

  private async connectBroker(): Promise<void> {
    const c = this.connectPacket!;
    this.state = 'connecting';
    this.link = new BrokerLink(this.deps.target, this.deps.address.split('|')[0]!, {
      publish: (p) => this.delivered(p),
      closed: () => {
        if (this.state === 'ended') return;
        // The broker dropped it (account revoked, takeover by a TCP client, keepalive): tell the client (§6.11).
        this.deps.send({ type: 'disconnect' });
        this.end(() => undefined);
      },
    });
    const rc = await this.link.connect({
      clientId: this.deps.clientId, username: this.deps.account, password: Buffer.from(this.deps.password),
      clean: c.flags.cleanSession, keepalive: this.deps.limits.brokerKeepalive * 2,
      ...(this.will ? { will: { topic: this.will.topic, payload: this.will.payload ?? Buffer.alloc(0), qos: this.will.qos, retain: this.will.retain } } : {}),
    });
    if ((this.state as State) === 'ended') return;
    if (rc !== 0) {
      // CONNACK 3 (server unavailable) is a busy broker: "rejected: congestion" tells the client to retry later.
      const code: ReturnCodeValue = rc === 3 ? ReturnCode.CONGESTION : ReturnCode.NOT_SUPPORTED;
      this.deps.log.info({ clientId: this.deps.clientId, account: this.deps.account, brokerReturnCode: rc }, 'MQTT-SN client refused by the broker');
      this.deps.send({ type: 'connack', returnCode: code });
      return this.end(() => this.link?.destroy());
    }
    this.state = 'active';
    // From now on the CONNECT's Duration supervises it, not the CONNECT exchange's T_retry × (N_retry + 1): an idle
    // client was taken as lost 1.5 s after its CONNACK (found by the broker-page test in Chromium).
    this.supervise();
    this.deps.send({ type: 'connack', returnCode: ReturnCode.ACCEPTED });
    this.deliveries.resume();
    if (this.deps.limits.brokerKeepalive > 0) {
      this.brokerPing = setInterval(() => void this.link?.ping(), this.deps.limits.brokerKeepalive * 1000);
      this.brokerPing.unref();
    }
  }

  /** §6.5: a client registers a topic name it will publish to; wildcards are not topic names. */
  private register(p: PacketOf<'register'>): void {
    if (!this.connected) return this.unsupported(p.type);
    if (/[+#]/.test(p.topicName)) {
      this.deps.stats.count(this.deps.address, 'unsupported');
      return this.deps.send({ type: 'regack', topicId: 0, msgId: p.msgId, returnCode: ReturnCode.NOT_SUPPORTED });
    }
    const id = this.registry.idFor(p.topicName);
    this.deps.send({ type: 'regack', topicId: id ?? 0, msgId: p.msgId, returnCode: id === undefined ? ReturnCode.CONGESTION : ReturnCode.ACCEPTED });
  }

  private topicName(ref: TopicRef): string | undefined {
    if (ref.type === 'short' || ref.type === 'name') return ref.name;
    return ref.type === 'normal' ? this.registry.name(ref.id) : this.deps.predefined.get(ref.id);
  }

  /** §6.6/§6.7 PUBLISH at QoS 0, 1, 2 (QoS −1 never has a session: qos-minus-one.ts). */
  private async publish(p: PacketOf<'publish'>): Promise<void> {
    const topicId = p.topic.type === 'short' ? 0 : (p.topic as { id: number }).id;
    if (!this.connected || p.flags.qos === -1) return this.unsupported(p.type);
    const name = this.topicName(p.topic);
    if (name === undefined) {
      // §6.6: "rejected: invalid topic ID", at every QoS, so the client registers again.
      this.deps.stats.count(this.deps.address, 'invalidTopicId');
      return this.deps.send({ type: 'puback', topicId, msgId: p.msgId, returnCode: ReturnCode.INVALID_TOPIC_ID });
    }
    const qos = p.flags.qos;
    if (qos === 0) return void this.link!.publish(name, p.data, 0, p.flags.retain);
    const seen = this.inbound.get(p.msgId);
    if (seen === 'received') return this.deps.send({ type: 'pubrec', msgId: p.msgId });
    if (seen === 'routing') return; // a retransmission of one being routed: its answer is coming
    this.inbound.set(p.msgId, 'routing');
    const ok = await this.link!.publish(name, p.data, qos, p.flags.retain, () => {
      this.inbound.set(p.msgId, 'received');
      this.deps.send({ type: 'pubrec', msgId: p.msgId });
    });
    if (qos === 1) {
      this.inbound.delete(p.msgId);
      if (ok) this.deps.send({ type: 'puback', topicId, msgId: p.msgId, returnCode: ReturnCode.ACCEPTED });
    }
  }

  /** §6.9: a topic name (wildcards allowed), a predefined id or a short name; SUBACK carries the topic id when there is one. */
  private async subscribe(p: PacketOf<'subscribe'>): Promise<void> {
    if (!this.connected) return this.unsupported(p.type);
    const suback = (topicId: number, returnCode: ReturnCodeValue, qos: 0 | 1 | 2 = 0): void =>
      this.deps.send({ type: 'suback', flags: { dup: false, qos, retain: false, will: false, cleanSession: false, topicIdType: 'normal' }, topicId, msgId: p.msgId, returnCode });
    if (p.flags.qos === -1) {
      this.deps.stats.count(this.deps.address, 'unsupported');
      return suback(0, ReturnCode.NOT_SUPPORTED);
    }
    const name = p.topic.type === 'name' ? p.topic.name : this.topicName(p.topic);
    if (name === undefined) {
      this.deps.stats.count(this.deps.address, 'invalidTopicId');
      return suback(0, ReturnCode.INVALID_TOPIC_ID);
    }
    let topicId = 0;
    if (p.topic.type === 'predefined') topicId = p.topic.id;
    else if (p.topic.type === 'name' && !/[+#]/.test(name) && Buffer.byteLength(name) !== 2) {
      const id = this.registry.idFor(name);
      if (id === undefined) return suback(0, ReturnCode.CONGESTION);
      topicId = id;
    }
    const granted = await this.link!.subscribe(name, p.flags.qos);
    // 3.1.1 SUBACK 0x80 (the ACL refused the filter): MQTT-SN has no "not authorised"; "not supported" is the nearest.
    if (granted === 0x80) return suback(0, ReturnCode.NOT_SUPPORTED);
    suback(topicId, ReturnCode.ACCEPTED, granted as 0 | 1 | 2);
  }

  private async unsubscribe(p: PacketOf<'unsubscribe'>): Promise<void> {
    if (!this.connected) return this.unsupported(p.type);
    const name = p.topic.type === 'name' ? p.topic.name : this.topicName(p.topic);
    if (name !== undefined) await this.link!.unsubscribe(name);
    this.deps.send({ type: 'unsuback', msgId: p.msgId });
  }

  /** §6.14: PINGREQ with the client id wakes a sleeping client: buffered messages, then PINGRESP, then asleep again. */
  private ping(p: PacketOf<'pingreq'>): void {
    if (this.state === 'asleep' && p.clientId !== undefined) {
      this.state = 'awake';
      void this.link?.ping();
      return this.deliveries.resume();
    }
    if (this.state === 'asleep' || this.state === 'awake') return; // a wake in progress: PINGRESP comes when drained
    void this.link?.ping();
    this.deps.send({ type: 'pingresp' });
  }

  /** Everything queued was delivered: a waking client gets its PINGRESP and sleeps again (§6.14). */
  private drained(): void {
    if (this.state !== 'awake') return;
    this.deps.send({ type: 'pingresp' });
    this.asleep();
  }

  /** §6.14: DISCONNECT with a duration: asleep (answered DISCONNECT); without: gone for good, will discarded. */
  private disconnect(duration: number | undefined): void {
    this.deps.send({ type: 'disconnect' });
    if (duration === undefined || duration === 0 || !this.connected) return this.end(() => this.link?.disconnect());
    this.sleepSeconds = duration;
    this.asleep();
  }

  private asleep(): void {
    this.state = 'asleep';
    this.deliveries.pause();
    this.supervise();
  }

  private willUpdate(which: 'topic' | 'msg', update: Parameters<SessionDeps['updateWill']>[0]): void {
    if (!this.connected) return this.unsupported(which === 'topic' ? 'willtopicupd' : 'willmsgupd');
    const refused = this.deps.updateWill(update);
    const returnCode = refused ? ReturnCode.NOT_SUPPORTED : ReturnCode.ACCEPTED;
    if (refused) this.deps.log.info({ clientId: this.deps.clientId, refused }, 'MQTT-SN will update refused');
    this.deps.send(which === 'topic' ? { type: 'willtopicresp', returnCode } : { type: 'willmsgresp', returnCode });
  }

  /**
   * A message the broker routes to this client. One larger than a UDP datagram can carry (65,507 octets of IPv4
   * payload, less the PUBLISH header and a forwarder's) cannot be sent: dropped, logged and acknowledged to the broker
   * (it would otherwise wait forever). MQTT-SN is for small messages; the broker takes up to mqtt.maxPacketSize.
   */
  private delivered(p: IPublishPacket): void {
    const payload = Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload);
    if (payload.length > maxDeliveredPayload) {
      this.deps.log.info({ clientId: this.deps.clientId, topic: p.topic, bytes: payload.length, limit: maxDeliveredPayload }, 'message too large for an MQTT-SN datagram; not delivered');
      if (p.qos > 0 && p.messageId !== undefined) this.link?.acknowledge(p.messageId, p.qos as 1 | 2);
      return;
    }
    this.deliveries.push({ topic: p.topic, payload, qos: p.qos, retain: p.retain, ...(p.qos > 0 ? { mqttId: p.messageId } : {}) });
  }

  private get connected(): boolean {
    return this.state === 'active' || this.state === 'awake' || this.state === 'asleep';
  }

  private unsupported(type: string): void {
    this.deps.stats.count(this.deps.address, 'unsupported');
    this.deps.log.debug({ clientId: this.deps.clientId, type, state: this.state }, 'MQTT-SN message not expected now; dropped');
  }

  /**
   * Keepalive (§6.11): lost after 1.5 × the CONNECT's Duration without a message, as MQTT's rule; asleep, after
   * 1.5 × the sleep duration (§6.14: past it the client is lost and its will published). Before the CONNECT exchange
   * ends, T_retry × (N_retry + 1).
   */
  private supervise(): void {
    if (this.supervision) clearTimeout(this.supervision);
    this.supervision = undefined;
    const { limits } = this.deps;
    const seconds = this.state === 'asleep' ? this.sleepSeconds : this.connected ? this.connectPacket?.duration ?? 0 : (limits.retryMs * (limits.retries + 1)) / 1500;
    if (seconds <= 0) return;
    this.supervision = setTimeout(() => this.lose(this.state === 'asleep' ? 'asleep past its sleep duration' : 'keepalive expired'), seconds * 1500);
    this.supervision.unref();
  }

  /** What a client's message starts asynchronously never rejects past here: a bug of ours loses this client, not the hub. */
  private guard(work: Promise<void>): void {
    work.catch((err: Error) => {
      this.deps.log.error({ err, clientId: this.deps.clientId }, 'MQTT-SN session failed; client dropped');
      this.lose('gateway error');
    });
  }

  private lose(why: string): void {
    if (this.state === 'ended') return;
    this.deps.log.info({ clientId: this.deps.clientId, address: this.deps.address, why }, 'MQTT-SN client lost; its will is published');
    this.end(() => this.link?.destroy());
  }

  private end(closeLink: () => void): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.supervision) clearTimeout(this.supervision);
    if (this.brokerPing) clearInterval(this.brokerPing);
    this.deliveries.stop();
    closeLink();
    this.deps.ended(this);
  }
}
