import net from 'node:net';
import { FrameSplitter, PacketType } from './frames.js';
import { connectPacket, DISCONNECT, subscribePacket } from './packets.js';

export interface RawClientOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  /** Clean session (default true); false keeps a persistent session. */
  clean?: boolean;
  /** MQTT 3.1.1 (4, the default) or 5. */
  protocolVersion?: 4 | 5;
}

/**
 * An MQTT 3.1.1 or 5 client on a raw socket: CONNECT/SUBSCRIBE from pre-encoded bytes, incoming frames split but not
 * decoded. Enough for a load generator; nothing else should use it.
 */
export class RawClient {
  /** PUBLISH frames received. */
  received = 0;
  /** PUBACKs received (for our QoS 1 publishes). */
  acked = 0;
  closed = false;
  onPuback?: () => void;
  /** Called on each PUBLISH received (after `received` is counted). */
  onPublish?: () => void;
  private pendingAcks: number[] = [];
  private waiters = new Map<number, (first: number, data: Buffer, start: number, end: number) => void>();

  private constructor(readonly socket: net.Socket, readonly version: 4 | 5 = 4) {
    const splitter = new FrameSplitter((first, data, start, end) => this.frame(first, data, start, end));
    socket.on('data', (chunk) => {
      splitter.push(chunk);
      this.flushAcks();
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static connect(opts: RawClientOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
      const client = new RawClient(socket, opts.protocolVersion);
      const timer = setTimeout(() => fail(new Error(`no CONNACK from ${opts.host}:${opts.port} within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once('close', () => fail(new Error(`connection to ${opts.host}:${opts.port} closed before CONNACK`)));
      client.waiters.set(PacketType.CONNACK, (_first, data, start, end) => {
        const rc = data[start + 1];
        if (rc !== 0) return fail(new Error(`CONNACK return code ${rc} for ${opts.clientId}`));
        // An MQTT 5 CONNACK has a property length after the reason code: 2 bytes means the broker answered in 3.1.1.
        if (opts.protocolVersion === 5 && end - start < 3) return fail(new Error(`${opts.host}:${opts.port} answered an MQTT 5 CONNECT with a 3.1.1 CONNACK`));
        clearTimeout(timer);
        socket.removeAllListeners('close');
        socket.removeListener('error', fail);
        socket.on('close', () => (client.closed = true));
        resolve(client);
      });
      socket.write(connectPacket(opts.clientId, opts.username, opts.password, 120, opts.clean ?? true, opts.protocolVersion));
    });
  }

  subscribe(filter: string, qos: 0 | 1, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SUBACK for ${filter}`)), timeoutMs);
      this.waiters.set(PacketType.SUBACK, (_first, data, start) => {
        clearTimeout(timer);
        // After the packet identifier: in MQTT 5, the properties (length, then the properties) before the reason code.
        let at = start + 2;
        if (this.version === 5) {
          let len = 0;
          for (let mult = 1; ; mult *= 128) {
            const b = data[at++]!;
            len += (b & 0x7f) * mult;
            if (!(b & 0x80)) break;
          }
          at += len;
        }
        const granted = data[at];
        if (granted === undefined || granted >= 0x80) reject(new Error(`subscription to ${filter} refused (0x${(granted ?? 0).toString(16)})`));
        else resolve();
      });
      this.socket.write(subscribePacket(filter, qos, 1, this.version));
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(DISCONNECT);
    });
  }

  private frame(first: number, data: Buffer, start: number, end: number): void {
    const type = first >> 4;
    if (type === PacketType.PUBLISH) {
      this.received++;
      if ((first & 0x06) === 0x02) {
        // QoS 1: PUBACK with the packet identifier that follows the topic [MQTT-3.3.4-1].
        const topicLength = data.readUInt16BE(start);
        this.pendingAcks.push(data.readUInt16BE(start + 2 + topicLength));
      }
      this.onPublish?.();
      return;
    }
    if (type === PacketType.PUBACK) {
      this.acked++;
      this.onPuback?.();
      return;
    }
    const waiter = this.waiters.get(type);
    if (waiter && end - start >= 2) {
      this.waiters.delete(type);
      waiter(first, data, start, end);
    }
  }

  /** One write for all the PUBACKs owed from one chunk of input. */
  private flushAcks(): void {
    const n = this.pendingAcks.length;
    if (n === 0) return;
    const out = Buffer.allocUnsafe(4 * n);
    for (let i = 0; i < n; i++) {
      out[4 * i] = 0x40;
      out[4 * i + 1] = 0x02;
      out.writeUInt16BE(this.pendingAcks[i]!, 4 * i + 2);
    }
    this.pendingAcks.length = 0;
    if (!this.closed) this.socket.write(out);
  }

  /** Waits until nothing more arrives for 200 ms (at most 5 s): what was in flight has landed. */
  async quiesce(): Promise<void> {
    const deadline = performance.now() + 5000;
    let last = this.received;
    let stableSince = performance.now();
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      if (this.received !== last) {
        last = this.received;
        stableSince = performance.now();
      } else if (performance.now() - stableSince >= 200) return;
    }
  }
}
