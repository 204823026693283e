import { Duplex } from 'node:stream';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type IPublishPacket, type ISubackPacket, type Packet as MqttPacket } from 'mqtt-packet';

/** What the gateway gives the broker for one MQTT-SN client: `Broker.handle(conn)`. */
export interface LinkTarget {
  handle(conn: Duplex): void;
}

export interface LinkEvents {
  /** A message the broker delivers to this client (MQTT 3.1.1 PUBLISH). */
  publish(packet: IPublishPacket): void;
  /** The broker closed the connection (takeover, revoked account, keepalive, stop). */
  closed(): void;
}

/**
 * One MQTT-SN client's connection to rumah's broker: an in-memory stream that speaks MQTT 3.1.1 from the gateway's
 * side, handed to the broker like a TCP socket. The broker sees an ordinary client, so login, ACL, sessions, retained
 * messages and wills apply unchanged: the gateway is transparent (MQTT-SN v1.2 §4.2). The stream carries
 * `remoteAddress` (the UDP source), which the broker's login throttle and logs use.
 */
export class BrokerLink {
  private readonly stream: Duplex;
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private nextId = 1;
  /** MQTT packet ids of this connection waiting for their answer (PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK). */
  private readonly waiting = new Map<number, (packet: MqttPacket | undefined) => void>();
  private connack?: (packet: IConnackPacket) => void;
  private pings: Array<() => void> = [];
  private ended = false;

  constructor(target: LinkTarget, remoteAddress: string, private readonly events: LinkEvents) {
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.parser.parse(chunk);
        cb();
      },
      final: (cb) => {
        this.finish();
        cb();
      },
      destroy: (err, cb) => {
        this.finish();
        cb(err);
      },
    });
    this.stream.on('error', () => {});
    (this.stream as unknown as { remoteAddress: string }).remoteAddress = remoteAddress;
    this.parser.on('packet', (p: MqttPacket) => this.onPacket(p));
    this.parser.on('error', () => this.destroy());
    target.handle(this.stream);
  }

  get open(): boolean {
    return !this.ended;
  }

  /** CONNECT; resolves with the CONNACK's return code (0 accepted). */
  connect(packet: Omit<IConnectPacket, 'cmd' | 'protocolId' | 'protocolVersion'>): Promise<number> {
    return new Promise((resolve) => {
      if (this.ended) return resolve(3);
      this.connack = (p) => resolve(p.returnCode ?? 0);
      const onClose = (): void => resolve(3);
      this.stream.once('close', onClose);
      this.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, ...packet } as IConnectPacket);
    });
  }

  /** PUBLISH; resolves when the broker has it (QoS 0: at once; 1: PUBACK; 2: PUBCOMP after PUBREC/PUBREL). */
  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean, onPubrec?: () => void): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    if (qos === 0) {
      this.send({ cmd: 'publish', topic, payload, qos, retain, dup: false });
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const messageId = this.allocate();
      this.waiting.set(messageId, (p) => {
        if (!p) return resolve(false);
        if (p.cmd === 'pubrec') {
          onPubrec?.();
          this.waiting.set(messageId, (done) => resolve(done !== undefined));
          this.send({ cmd: 'pubrel', messageId });
          return;
        }
        resolve(true);
      });
      this.send({ cmd: 'publish', topic, payload, qos, retain, dup: false, messageId });
    });
  }

  /** SUBSCRIBE one filter; resolves with the granted QoS, or 0x80 refused. */
  subscribe(topic: string, qos: 0 | 1 | 2): Promise<number> {
    if (this.ended) return Promise.resolve(0x80);
    return new Promise((resolve) => {
      const messageId = this.allocate();
      this.waiting.set(messageId, (p) => resolve(p ? ((p as ISubackPacket).granted[0] as number) : 0x80));
      this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    });
  }

  unsubscribe(topic: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const messageId = this.allocate();
      this.waiting.set(messageId, () => resolve());
      this.send({ cmd: 'unsubscribe', messageId, unsubscriptions: [topic] });
    });
  }

  /** PINGREQ: keeps the broker's keepalive satisfied for a client the gateway supervises (sleeping ones too). */
  ping(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.pings.push(resolve);
      this.send({ cmd: 'pingreq' });
    });
  }

  /** Acknowledges a delivery once the MQTT-SN client did: PUBACK (QoS 1) or PUBREC (QoS 2). */
  acknowledge(messageId: number, qos: 1 | 2): void {
    this.send({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId });
  }

  /** A clean end: DISCONNECT, so the broker discards the will ([MQTT-3.14.4-3]). */
  disconnect(): void {
    if (this.ended) return;
    this.send({ cmd: 'disconnect' });
    this.stream.push(null);
    this.finish();
  }

  /** An unclean end (a lost MQTT-SN client): the broker publishes the will, as for a dropped TCP connection. */
  destroy(): void {
    if (this.ended) return;
    this.stream.destroy(new Error('MQTT-SN client lost'));
  }

  private send(packet: MqttPacket): void {
    if (this.ended) return;
    this.stream.push(mqttPacket.generate(packet, { protocolVersion: 4 }));
  }

  private allocate(): number {
    for (let i = 0; i < 65_535; i++) {
      const id = this.nextId;
      this.nextId = this.nextId === 65_535 ? 1 : this.nextId + 1;
      if (!this.waiting.has(id)) return id;
    }
    throw new Error('no free MQTT packet id');
  }

  private onPacket(p: MqttPacket): void {
    switch (p.cmd) {
      case 'connack':
        this.connack?.(p);
        this.connack = undefined;
        return;
      case 'publish':
        // QoS 1/2 are answered (PUBACK/PUBREC) once the MQTT-SN client has the message: acknowledge().
        return this.events.publish(p);
      case 'pubrel':
        // The client already has it (PUBREC was sent after its own): the broker's QoS 2 ends here.
        return this.send({ cmd: 'pubcomp', messageId: p.messageId });
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
      case 'suback':
      case 'unsuback': {
        const id = (p as { messageId?: number }).messageId;
        const cb = id === undefined ? undefined : this.waiting.get(id);
        if (id !== undefined && cb) {
          this.waiting.delete(id);
          cb(p);
        }
        return;
      }
      case 'pingresp':
        return this.pings.shift()?.();
      default:
        return;
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const cb of this.waiting.values()) cb(undefined);
    this.waiting.clear();
    for (const p of this.pings.splice(0)) p();
    this.events.closed();
  }
}
