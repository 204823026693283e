import type { Packet, TopicRef } from './codec/index.js';
import type { TopicRegistry } from './topic-registry.js';

/** A message the broker delivered for this client, waiting to be sent to it. */
export interface Delivery {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** The broker's packet id, acknowledged once the client acknowledged (QoS 1: PUBACK, QoS 2: PUBREC). */
  mqttId?: number;
}

interface Inflight {
  packet: Packet;
  tries: number;
  delivery?: Delivery;
}

export interface DeliveriesDeps {
  send(packet: Packet): void;
  registry: TopicRegistry;
  /** The account's predefined topics, name → id. */
  predefined: () => ReadonlyMap<string, number>;
  acknowledge(mqttId: number, qos: 1 | 2): void;
  /** T_retry elapsed N_retry times without an answer (§6.13): the client is gone. */
  lost(): void;
  /** Nothing queued or in flight any more (a waking sleeper gets its PINGRESP now, §6.14). */
  drained(): void;
  /** A message dropped: queue over its bound, or no topic id left for it. */
  dropped(why: string): void;
  retryMs: number;
  retries: number;
  maxQueued: number;
}

/**
 * Messages from the gateway to one client, in order, one needing an answer at a time ("a client ... has only one
 * message requiring an acknowledgement in flight", §6.13 also followed gateway-side), each retransmitted after
 * T_retry up to N_retry times. A topic the client has no id for is registered first (§6.10: the gateway REGISTERs
 * topics matched by a wildcard subscription); a two-character topic goes as a short topic name, a predefined one by
 * its id. While the client sleeps (§6.14) nothing is sent: the queue is its buffer, bounded by `maxQueued`.
 */
export class Deliveries {
  private readonly queue: Delivery[] = [];
  private inflight?: Inflight;
  private timer?: NodeJS.Timeout;
  private nextMsgId = 1;
  private paused = false;

  constructor(private readonly deps: DeliveriesDeps) {}

  get queued(): number {
    return this.queue.length + (this.inflight ? 1 : 0);
  }

  push(d: Delivery): void {
    if (this.queue.length >= this.deps.maxQueued) {
      this.queue.shift();
      this.deps.dropped('queue full (mqttsn.maxQueuedPerClient)');
    }
    this.queue.push(d);
    this.pump();
  }

  /** Asleep: hold everything (what is in flight waits for the wake too). */
  pause(): void {
    this.paused = true;
    this.clearTimer();
  }

  resume(): void {
    this.paused = false;
    if (this.inflight) this.transmit();
    else this.pump();
  }

  /** An answer from the client: REGACK, PUBACK, PUBREC or PUBCOMP. */
  answer(p: Packet): void {
    const f = this.inflight;
    if (!f) return;
    const sent = f.packet;
    if (p.type === 'regack' && sent.type === 'register' && p.msgId === sent.msgId) {
      this.done();
      if (p.returnCode !== 0) {
        // The client will not take the topic: the message that needed it cannot be sent.
        this.deps.registry.forget(sent.topicId);
        const next = this.queue[0];
        if (next && next.topic === sent.topicName) {
          this.queue.shift();
          this.deps.dropped(`client refused REGISTER of ${sent.topicName} (0x0${p.returnCode})`);
        }
      }
    } else if (p.type === 'puback' && sent.type === 'publish' && p.msgId === sent.msgId) {
      this.done();
      if (p.returnCode === 0x02 && sent.topic.type === 'normal') {
        // The client lost the id (§6.7): register again, then resend.
        this.deps.registry.forget(sent.topic.id);
        if (f.delivery) this.queue.unshift(f.delivery);
      } else if (f.delivery?.mqttId !== undefined) this.deps.acknowledge(f.delivery.mqttId, 1);
    } else if (p.type === 'pubrec' && sent.type === 'publish' && p.msgId === sent.msgId) {
      if (f.delivery?.mqttId !== undefined) this.deps.acknowledge(f.delivery.mqttId, 2);
      this.inflight = { packet: { type: 'pubrel', msgId: p.msgId }, tries: 0 };
      this.transmit();
      return;
    } else if (p.type === 'pubcomp' && sent.type === 'pubrel' && p.msgId === sent.msgId) {
      this.done();
    } else return;
    this.pump();
  }

  stop(): void {
    this.clearTimer();
    this.queue.length = 0;
    this.inflight = undefined;
  }

  private pump(): void {
    while (!this.paused && !this.inflight) {
      const d = this.queue[0];
      if (!d) return this.deps.drained();
      const ref = this.topicRef(d.topic);
      if (ref === 'full') {
        this.queue.shift();
        this.deps.dropped(`no topic id left for ${d.topic} (mqttsn.maxTopicsPerClient)`);
        continue;
      }
      if ('register' in ref) {
        this.inflight = { packet: { type: 'register', topicId: ref.register, msgId: this.msgId(), topicName: d.topic }, tries: 0 };
        this.transmit();
        return;
      }
      this.queue.shift();
      const packet: Packet = {
        type: 'publish', topic: ref, msgId: d.qos === 0 ? 0 : this.msgId(), data: d.payload,
        flags: { dup: false, qos: d.qos, retain: d.retain, will: false, cleanSession: false, topicIdType: ref.type === 'name' ? 'normal' : ref.type },
      };
      if (d.qos === 0) {
        this.deps.send(packet);
        continue;
      }
      this.inflight = { packet, tries: 0, delivery: d };
      this.transmit();
    }
  }

  private topicRef(topic: string): TopicRef | { register: number } | 'full' {
    // §5.3.11: a two-character topic name is sent as a short topic name, no REGISTER needed.
    if (Buffer.byteLength(topic) === 2 && topic.length === 2) return { type: 'short', name: topic };
    const predefined = this.deps.predefined().get(topic);
    if (predefined !== undefined) return { type: 'predefined', id: predefined };
    const known = this.deps.registry.peek(topic);
    if (known !== undefined) return { type: 'normal', id: known };
    const id = this.deps.registry.idFor(topic);
    return id === undefined ? 'full' : { register: id };
  }

  private transmit(): void {
    const f = this.inflight!;
    if (this.paused) return;
    // §5.3.4 DUP: set when a PUBLISH is sent again.
    const packet = f.tries > 0 && f.packet.type === 'publish' ? { ...f.packet, flags: { ...f.packet.flags, dup: true } } : f.packet;
    this.deps.send(packet);
    this.clearTimer();
    this.timer = setTimeout(() => {
      if (!this.inflight || this.paused) return;
      if (++this.inflight.tries > this.deps.retries) return this.deps.lost();
      this.transmit();
    }, this.deps.retryMs);
  }

  private done(): void {
    this.inflight = undefined;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private msgId(): number {
    const id = this.nextMsgId;
    this.nextMsgId = id >= 0xffff ? 1 : id + 1;
    return id;
  }
}
