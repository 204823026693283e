import dgram from 'node:dgram';
import net from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Broker } from '../mqtt/broker.js';
import type { MqttAcl } from '../mqtt/identity.js';
import { decode, decodeMessage, encapsulate, encode, ReturnCode, type Packet, type PacketOf } from './codec/index.js';
import { AddressStats } from './address-stats.js';
import type { BindingsRepo } from './bindings-repo.js';
import type { GatewayLogins } from './gateway-logins.js';
import { QosMinusOne } from './qos-minus-one.js';
import { Session } from './session.js';
import { updateWill } from './will-update.js';

export interface GatewayOptions {
  config: Config['mqttsn'];
  /** The hub's bind address (config.bind). */
  bind: string;
  log: Logger;
  broker: Broker;
  acl?: MqttAcl;
  logins: GatewayLogins;
  bindings: BindingsRepo;
  /** A CONNECT of a client id bound to no account (a pairing candidate while the join window is open). */
  unbound?: (clientId: string, address: string) => Promise<void>;
  /** mqtt.keepaliveLimit: the gateway pings the broker for its clients at half of it. */
  keepaliveLimit: number;
}

/** Where a datagram came from and how to answer it (through a forwarder: encapsulated again, §5.5). */
interface Source {
  /** IP:port, plus the forwarder's Wireless Node Id: one client. */
  key: string;
  /** IP alone: what is counted and what bindings name. */
  ip: string;
  reply(packet: Packet): void;
}

/**
 * The MQTT-SN v1.2 gateway (a transparent gateway, §4.2): UDP on IPv4 and IPv6, each client one session with its own
 * connection to rumah's broker. Every datagram is decoded here, refused with a reason and counted per source address
 * when it is not MQTT-SN, and handed to its client's session otherwise; nothing one source sends reaches another's
 * session, and nothing is thrown past this class.
 */
export class MqttSnGateway {
  readonly stats: AddressStats;
  private readonly sessions = new Map<string, Session>();
  private readonly byClientId = new Map<string, Session>();
  private readonly keyOf = new WeakMap<Session, string>();
  /** Source keys whose CONNECT is being checked: a retransmitted CONNECT is not checked twice. */
  private readonly connecting = new Set<string>();
  private readonly sockets: dgram.Socket[] = [];
  private readonly qosMinusOne: QosMinusOne;
  private advertiser?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: GatewayOptions) {
    const c = opts.config;
    this.stats = new AddressStats({ rate: c.datagramRate, burst: c.datagramBurst, maxAddresses: c.maxAddresses });
    this.qosMinusOne = new QosMinusOne({ bindings: opts.bindings, logins: opts.logins, target: opts.broker, stats: this.stats, log: opts.log, maxLinks: c.maxClients });
  }

  get clients(): number {
    return this.sessions.size;
  }

  /** The sessions, for the broker page and tests: client id, source, state, messages held. */
  list(): Array<{ clientId: string; address: string; state: string; queued: number }> {
    return [...this.sessions.values()].map((s) => ({ clientId: s.clientId, address: s.address, state: s.state, queued: s.queued }));
  }

  /** 'MQTT-SN' for the broker client of one of the gateway's clients (the broker page shows it). */
  protocolOf(clientId: string): string | undefined {
    return this.byClientId.has(clientId) || this.qosMinusOne.has(clientId) ? 'MQTT-SN' : undefined;
  }

  /** Binds the UDP sockets; resolves with the port (the same on IPv4 and IPv6). */
  async start(): Promise<{ port: number; ipv6: boolean }> {
    const { config, bind } = this.opts;
    const v6Only = net.isIPv6(bind);
    const first = await this.open(v6Only ? 'udp6' : 'udp4', bind, config.port, false);
    const port = first.address().port;
    let ipv6 = v6Only;
    let v6Socket = v6Only ? first : undefined;
    const v6Beside = bind === '0.0.0.0' ? '::' : bind === '127.0.0.1' ? '::1' : undefined;
    if (!v6Only && config.ipv6 && v6Beside) {
      ipv6 = await this.open('udp6', v6Beside, port, true).then(
        (socket) => ((v6Socket = socket), true),
        (err: Error) => {
          this.opts.log.warn({ err: err.message, address: v6Beside, port }, 'MQTT-SN: no IPv6 socket (IPv4 only)');
          return false;
        },
      );
    }
    if (config.advertiseInterval > 0) {
      if (!v6Only) first.setBroadcast(true);
      const advertise = (): void => {
        if (!v6Only) this.advertise(first, port, config.advertiseAddress);
        if (v6Socket && config.advertiseAddress6) this.advertise(v6Socket, port, config.advertiseAddress6);
      };
      advertise();
      this.advertiser = setInterval(advertise, config.advertiseInterval * 1000);
      this.advertiser.unref();
    }
    this.opts.log.info({ port, ipv6 }, 'MQTT-SN gateway listening');
    return { port, ipv6 };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.advertiser) clearInterval(this.advertiser);
    for (const s of [...this.sessions.values()]) s.stop();
    this.qosMinusOne.stop();
    for (const socket of this.sockets) socket.close();
  }

  private open(type: 'udp4' | 'udp6', address: string, port: number, ipv6Only: boolean): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      // 1 MiB of receive buffer (the kernel caps it at net.core.rmem_max): a forwarder relaying many nodes at once
      // overflowed the default ~200 KiB in the benchmark's wake of 1,000 sleepers, and what overflows is lost.
      const socket = dgram.createSocket({ type, ipv6Only, reuseAddr: false, recvBufferSize: 1 << 20 });
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.opts.log.warn({ err: err.message }, 'MQTT-SN socket error'));
        socket.on('message', (msg, rinfo) => this.datagram(socket, msg, rinfo));
        this.sockets.push(socket);
        resolve(socket);
      });
    });
  }

  /**
   * §5.4.1 ADVERTISE, broadcast every T_ADV with the time to the next one: IPv4 broadcast, and IPv6 multicast (IPv6
   * has no broadcast; all-nodes ff02::1, RFC 4291 §2.7.1). Sent from the gateway's own socket: clients answer its port.
   */
  private advertise(socket: dgram.Socket, port: number, address: string): void {
    const { config } = this.opts;
    const bytes = encode({ type: 'advertise', gwId: config.gatewayId, duration: config.advertiseInterval });
    socket.send(bytes, config.advertisePort || port, address, (err) => {
      if (err) this.opts.log.debug({ err: err.message, address }, 'MQTT-SN ADVERTISE not sent');
    });
  }

  private datagram(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopped) return;
    const ip = rinfo.address;
    if (!this.stats.admit(ip)) return;
    try {
      this.receive(socket, msg, rinfo);
    } catch (err) {
      // A bug of ours must not become a crash a device can trigger: counted and logged with what arrived.
      this.stats.count(ip, 'malformed');
      this.opts.log.error({ err, address: ip, bytes: msg.subarray(0, 64).toString('hex') }, 'MQTT-SN datagram failed');
    }
  }

  private receive(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const ip = rinfo.address;
    const send = (bytes: () => Buffer): void => {
      let datagram: Buffer;
      try {
        datagram = bytes();
      } catch (err) {
        // Nothing the broker delivers may throw here (session.ts drops what cannot fit a datagram): logged, not sent.
        return void this.opts.log.warn({ err: (err as Error).message, address: ip }, 'MQTT-SN message not encodable; not sent');
      }
      socket.send(datagram, rinfo.port, ip, (err) => err && this.opts.log.debug({ err: err.message, address: ip }, 'MQTT-SN reply not sent'));
    };
    const outer = decode(msg);
    if (!outer.ok) return this.malformed(ip, outer.reason);
    let packet: Packet;
    let source: Source;
    if (outer.value.type === 'encapsulated') {
      const { nodeId, inner } = outer.value;
      const decoded = decodeMessage(inner);
      if (!decoded.ok) return this.malformed(ip, `encapsulated: ${decoded.reason}`);
      packet = decoded.value;
      source = { key: `${ip}|${rinfo.port}|${nodeId.toString('hex')}`, ip, reply: (p) => send(() => encapsulate(nodeId, encode(p))) };
    } else {
      packet = outer.value;
      source = { key: `${ip}|${rinfo.port}`, ip, reply: (p) => send(() => encode(p)) };
    }
    this.dispatch(source, packet);
  }

  private dispatch(source: Source, packet: Packet): void {
    const session = this.sessions.get(source.key);
    switch (packet.type) {
      case 'searchgw':
        // §6.1: answered with GWINFO (to the searcher; the spec's broadcast reaches the same client).
        return source.reply({ type: 'gwinfo', gwId: this.opts.config.gatewayId });
      case 'advertise':
      case 'gwinfo':
        return; // other gateways, or clients answering SEARCHGW for one: nothing for us
      case 'connect':
        return void this.connect(source, packet).catch((err: Error) => {
          this.connecting.delete(source.key);
          this.opts.log.error({ err, clientId: packet.clientId }, 'MQTT-SN CONNECT failed');
          source.reply({ type: 'connack', returnCode: ReturnCode.CONGESTION });
        });
      case 'publish':
        if (packet.flags.qos === -1) {
          return void this.qosMinusOne.publish(source.ip, packet, session?.identity).catch((err: Error) => this.opts.log.error({ err }, 'MQTT-SN QoS -1 publish failed'));
        }
        break;
      case 'pingreq':
        if (!session && packet.clientId !== undefined && this.wake(source, packet)) return;
        break;
      default:
        break;
    }
    if (session) return session.handle(packet);
    this.stats.count(source.ip, 'noSession');
    // §6.11-style: a client the gateway does not know is told to CONNECT again (2 octets: no amplification).
    if (['publish', 'subscribe', 'unsubscribe', 'register', 'pingreq', 'willtopicupd', 'willmsgupd'].includes(packet.type)) source.reply({ type: 'disconnect' });
  }

  /** §6.3 CONNECT: admitted only when the client id is bound to an account (and the source is one the binding allows). */
  private async connect(source: Source, packet: PacketOf<'connect'>): Promise<void> {
    const { config, bindings, log } = this.opts;
    if (packet.protocolId !== 0x01) {
      this.stats.count(source.ip, 'unsupported');
      return source.reply({ type: 'connack', returnCode: ReturnCode.NOT_SUPPORTED });
    }
    const here = this.sessions.get(source.key);
    const same = this.byClientId.get(packet.clientId);
    // §6.14: a sleeping client that CONNECTs again without CleanSession goes on with its session.
    if (same && same.state === 'asleep' && !packet.flags.cleanSession && !packet.flags.will && same === here) return same.resume(packet);
    if (this.connecting.has(source.key)) return; // a retransmission of a CONNECT being checked
    if (this.sessions.size + this.connecting.size >= config.maxClients && !here && !same) {
      return source.reply({ type: 'connack', returnCode: ReturnCode.CONGESTION });
    }
    this.connecting.add(source.key);
    try {
      const binding = await bindings.get(packet.clientId);
      if (!binding || (binding.addresses && !binding.addresses.includes(source.ip))) {
        this.stats.count(source.ip, 'refused');
        log.info({ clientId: packet.clientId, address: source.ip, why: binding ? 'source address not allowed by its binding' : 'client id not bound to an account' }, 'MQTT-SN CONNECT refused');
        if (!binding) await this.opts.unbound?.(packet.clientId, source.ip).catch((err: Error) => log.warn({ err, clientId: packet.clientId }, 'MQTT-SN pairing candidate not recorded'));
        // MQTT-SN 1.2 has no "not authorised": "rejected: not supported" (§5.3.10).
        return source.reply({ type: 'connack', returnCode: ReturnCode.NOT_SUPPORTED });
      }
      const predefined = await bindings.topics(binding.account);
      if (this.stopped) return;
      // A new CONNECT of a client id replaces its session, wherever it was (the client is back: no will).
      this.sessions.get(source.key)?.replace();
      this.byClientId.get(packet.clientId)?.replace();
      const session = new Session({
        clientId: packet.clientId, account: binding.account, address: source.ip, send: source.reply, target: this.opts.broker,
        password: this.opts.logins.issue(packet.clientId, binding.account), predefined, stats: this.stats, log,
        limits: { retryMs: config.retryInterval * 1000, retries: config.retries, maxTopics: config.maxTopicsPerClient, maxQueued: config.maxQueuedPerClient, brokerKeepalive: Math.floor(this.opts.keepaliveLimit / 2) },
        ended: (s) => this.forget(s),
        updateWill: (update) => updateWill(this.opts.broker, this.opts.acl, packet.clientId, update),
      });
      this.sessions.set(source.key, session);
      this.byClientId.set(packet.clientId, session);
      this.keyOf.set(session, source.key);
      session.start(packet);
    } finally {
      this.connecting.delete(source.key);
    }
  }

  /** A sleeping client waking from a new source (a new port after sleep): its binding must allow the address. */
  private wake(source: Source, packet: PacketOf<'pingreq'>): boolean {
    const session = this.byClientId.get(packet.clientId!);
    if (!session || session.state !== 'asleep' || session.address !== source.ip) return false;
    const old = this.keyOf.get(session);
    if (old) this.sessions.delete(old);
    this.sessions.set(source.key, session);
    this.keyOf.set(session, source.key);
    session.reroute(source.reply);
    session.handle(packet);
    return true;
  }

  private forget(session: Session): void {
    const key = this.keyOf.get(session);
    if (key && this.sessions.get(key) === session) this.sessions.delete(key);
    if (this.byClientId.get(session.clientId) === session) this.byClientId.delete(session.clientId);
  }

  private malformed(ip: string, reason: string): void {
    this.stats.count(ip, 'malformed');
    this.opts.log.debug({ address: ip, reason }, 'MQTT-SN datagram refused');
  }
}
