import dgram from 'node:dgram';
import { decode, encode, type Packet } from '../../server/mqttsn/codec/index.js';
import { BindingsRepo } from '../../server/mqttsn/bindings-repo.js';
import { defaults, type Config } from '../../server/config/schema.js';
import { startHub, type TestHub } from './hub.js';

export const admin = { username: 'admin', password: 'test-admin-password' };

/** A hub with the MQTT-SN gateway on (port 0, no ADVERTISE, short T_retry), and its bindings table. */
export async function snHub(mqttsn: Partial<Config['mqttsn']> = {}, mqtt: Partial<Config['mqtt']> = {}, opts: { dataDir?: string } = {}): Promise<TestHub & { snPort: number; bindings: BindingsRepo }> {
  const t = await startHub({ mqtt, mqttsn: { ...defaults.mqttsn, enabled: true, port: 0, advertiseInterval: 0, retryInterval: 0.5, retries: 2, ...mqttsn } }, opts);
  return Object.assign(t, { snPort: t.hub.runtime!.mqttsnPort!, bindings: new BindingsRepo(t.hub.store.db) });
}

/**
 * An MQTT-SN client on a real UDP socket, for flow tests: sends messages (or raw octets) to the gateway and waits
 * for the ones it answers with.
 */
export class SnClient {
  readonly received: Packet[] = [];
  private readonly socket: dgram.Socket;
  private waiters: Array<{ match: (p: Packet) => boolean; resolve: (p: Packet) => void }> = [];

  private constructor(private readonly port: number, private readonly host: string, type: 'udp4' | 'udp6') {
    this.socket = dgram.createSocket(type);
    this.socket.on('message', (msg) => {
      const d = decode(msg);
      if (!d.ok || d.value.type === 'encapsulated') return;
      const p = d.value;
      const i = this.waiters.findIndex((w) => w.match(p));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(p);
      else this.received.push(p);
    });
  }

  /** A client of the gateway at host:port, sending from `local` (default: host; any 127.0.0.0/8 address works on Linux). */
  static async open(port: number, host = '127.0.0.1', local = host): Promise<SnClient> {
    const c = new SnClient(port, host, host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      c.socket.once('error', reject);
      c.socket.bind(0, local, () => resolve());
    });
    return c;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sends one datagram; the promise resolves once it left (before closing the socket, await it). */
  send(p: Packet | Buffer | number[]): Promise<void> {
    const bytes = Buffer.isBuffer(p) ? p : Array.isArray(p) ? Buffer.from(p) : encode(p);
    return new Promise((resolve) => this.socket.send(bytes, this.port, this.host, () => resolve()));
  }

  /** The next message matching (one already received first), or a rejection after `ms`. */
  next<T extends Packet['type']>(type: T, match: (p: Extract<Packet, { type: T }>) => boolean = () => true, ms = 5000): Promise<Extract<Packet, { type: T }>> {
    const m = (p: Packet): boolean => p.type === type && match(p as Extract<Packet, { type: T }>);
    const i = this.received.findIndex(m);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as Extract<Packet, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter = { match: m, resolve: (p: Packet) => (clearTimeout(timer), resolve(p as Extract<Packet, { type: T }>)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${type} within ${ms} ms; received ${JSON.stringify(this.received.map((r) => r.type))}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** The next message of any of these types. */
  nextOf(types: Packet['type'][], ms = 5000): Promise<Packet> {
    const m = (p: Packet): boolean => types.includes(p.type);
    const i = this.received.findIndex(m);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { match: m, resolve: (p: Packet) => (clearTimeout(timer), resolve(p)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`none of ${types.join(', ')} within ${ms} ms`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** CONNECT without will; resolves with the CONNACK's return code. */
  async connect(clientId: string, opts: { clean?: boolean; duration?: number } = {}): Promise<number> {
    this.send({ type: 'connect', flags: { dup: false, qos: 0, retain: false, will: false, cleanSession: opts.clean ?? true, topicIdType: 'normal' }, protocolId: 1, duration: opts.duration ?? 60, clientId });
    return (await this.next('connack')).returnCode;
  }

  async register(topicName: string, msgId = 1): Promise<number> {
    this.send({ type: 'register', topicId: 0, msgId, topicName });
    const ack = await this.next('regack', (a) => a.msgId === msgId);
    if (ack.returnCode !== 0) throw new Error(`REGACK ${ack.returnCode}`);
    return ack.topicId;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export const flags = (f: Partial<{ dup: boolean; qos: -1 | 0 | 1 | 2; retain: boolean; will: boolean; cleanSession: boolean; topicIdType: 'normal' | 'predefined' | 'short' }> = {}) =>
  ({ dup: false, qos: 0 as -1 | 0 | 1 | 2, retain: false, will: false, cleanSession: false, topicIdType: 'normal' as const, ...f });
