import net from 'node:net';
import { isUtf8 } from 'node:buffer';
import mqttPacket from 'mqtt-packet';
import { connect5, noProps, subscribe5, type Connect5 } from '../fuzz/mqtt5-packets.js';
import { checkPropertyBlock } from '../../server/mqtt/v5-guard.js';

/** What the hub sent back, packet by packet, and whether it closed the connection. */
export interface Answer {
  /** Reason code of a CONNACK received after the bad packet (a CONNECT's answer), if any. */
  connack?: number;
  /** Reason code of a DISCONNECT the hub sent, if any. */
  disconnect?: number;
  /** Commands of every packet received after the bad packet. */
  packets: string[];
  closed: boolean;
}

/**
 * A raw MQTT 5 connection: hand-made bytes out, the hub's answers parsed by mqtt-packet (v5) in. Nothing of a
 * client library between the test and the wire.
 */
export class RawV5 {
  readonly socket: net.Socket;
  readonly received: mqttPacket.Packet[] = [];
  /** Whether PUBLISH packets go into `received` too (a subscriber checking a long run's traffic as it comes keeps none). */
  keepPublishes = true;
  /** Bytes the hub sent that did not parse as MQTT 5 (should stay empty). */
  parseError: Error | undefined;
  closed = false;
  private readonly closedP: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p) => {
      if (p.cmd === 'publish' && !this.keepPublishes) return;
      this.received.push(p);
      this.wake();
    });
    parser.on('error', (err) => (this.parseError = err));
    this.socket.on('data', (b) => parser.parse(b));
    this.socket.on('error', () => {});
    this.closedP = new Promise((resolve) => this.socket.once('close', () => {
      this.closed = true;
      this.wake();
      resolve();
    }));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `check` holds or after `ms`; returns whether it held. */
  private async until(check: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Opens a connection and sends `connect` (bytes); resolves with its CONNACK, or undefined if closed without one. */
  static async open(port: number, connect: Buffer, opts: { waitForConnack?: boolean } = {}): Promise<{ raw: RawV5; connack: mqttPacket.IConnackPacket | undefined }> {
    const raw = new RawV5(port);
    raw.send(connect);
    if (opts.waitForConnack !== false) await raw.until(() => raw.closed || raw.received.some((p) => p.cmd === 'connack'), 5000);
    return { raw, connack: raw.received.find((p) => p.cmd === 'connack') as mqttPacket.IConnackPacket | undefined };
  }

  /** Logs in as `who` with MQTT 5 (and these CONNECT fields); throws unless the CONNACK says Success. */
  static async login(port: number, who: { username: string; password: string }, c: Partial<Connect5> = {}): Promise<{ raw: RawV5; connack: mqttPacket.IConnackPacket }> {
    const { raw, connack } = await RawV5.open(port, connect5({ clientId: `raw5-${Math.random().toString(36).slice(2, 10)}`, ...who, ...c }));
    if (!connack || connack.reasonCode !== 0) {
      raw.destroy();
      throw new Error(`login refused: ${connack ? `CONNACK 0x${connack.reasonCode?.toString(16)}` : 'closed without CONNACK'}`);
    }
    return { raw, connack };
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /**
   * Sends `bytes` and collects what comes back until the hub closes the connection or `ms` pass (then the connection
   * is still open: `closed` false).
   */
  async answer(bytes: Buffer, ms = 3000): Promise<Answer> {
    const from = this.received.length;
    this.send(bytes);
    await this.until(() => this.closed, ms);
    const after = this.received.slice(from);
    const connack = after.find((p) => p.cmd === 'connack') as mqttPacket.IConnackPacket | undefined;
    const disconnect = after.find((p) => p.cmd === 'disconnect') as mqttPacket.IDisconnectPacket | undefined;
    return {
      ...(connack ? { connack: connack.reasonCode ?? 0 } : {}),
      ...(disconnect ? { disconnect: disconnect.reasonCode ?? 0 } : {}),
      packets: after.map((p) => p.cmd),
      closed: this.closed,
    };
  }

  /** The next packet of this command received from now (or already received after `from`). */
  async next(cmd: string, ms = 3000, from = 0): Promise<mqttPacket.Packet | undefined> {
    await this.until(() => this.closed || this.received.slice(from).some((p) => p.cmd === cmd), ms);
    return this.received.slice(from).find((p) => p.cmd === cmd);
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closedP;
  }
}

/** A reason code as the spec writes it. */
export function hex(code: number | undefined): string {
  return code === undefined ? '—' : `0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * A raw MQTT 5 subscriber that checks every PUBLISH the hub sends it, byte by byte, as a strict client (Paho's
 * codec) would: its property block must be one a server may send (v5-guard.ts's checks, from the server's side).
 * A malformed property forwarded from a bad publisher would end such a client's connection: here it is counted.
 */
export async function strictSubscriber(port: number, who: { username: string; password: string }, filters: string[]): Promise<{ raw: RawV5; problems: string[]; publishes: () => number }> {
  const { raw } = await RawV5.login(port, who, { clientId: `strict-${Math.random().toString(36).slice(2, 8)}` });
  const problems: string[] = [];
  let publishes = 0;
  let pending: Buffer = Buffer.alloc(0);
  raw.socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (pending.length < 2) return;
      let len = 0;
      let i = 1;
      for (let mul = 1; ; mul *= 128, i++) {
        if (i >= pending.length) return;
        len += (pending[i]! & 0x7f) * mul;
        if (!(pending[i]! & 0x80)) break;
      }
      const bodyStart = i + 1;
      if (pending.length < bodyStart + len) return;
      const body = pending.subarray(bodyStart, bodyStart + len);
      if (pending[0]! >> 4 === 3) {
        publishes++;
        const qos = (pending[0]! >> 1) & 3;
        const at = 2 + body.readUInt16BE(0) + (qos ? 2 : 0);
        const topic = body.subarray(2, 2 + body.readUInt16BE(0)).toString();
        const checked = checkPropertyBlock(body, at, body.length, 'publish', true);
        if ('code' in checked) problems.push(`${topic}: ${checked.why}`);
        else {
          const name = body.subarray(2, at - (qos ? 2 : 0));
          if (!isUtf8(name) || name.includes(0)) problems.push(`${JSON.stringify(topic)}: topic not UTF-8 or with U+0000 [MQTT-1.5.4-1/2]`);
        }
      }
      pending = pending.subarray(bodyStart + len);
    }
  });
  // It sends nothing else, so it pings as any client must: the hub closes a connection silent for 1.5 × its keepalive
  // (60 s here), and a fuzz run longer than 90 s lost its strict subscriber that way.
  const ping = setInterval(() => raw.send(Buffer.from([0xc0, 0x00])), 20_000);
  ping.unref();
  raw.socket.once('close', () => clearInterval(ping));
  const from = raw.received.length;
  raw.send(subscribe5(1, noProps, filters.map((f): [string, number] => [f, 0])));
  if (!(await raw.next('suback', 5000, from))) throw new Error('no SUBACK for the strict subscriber');
  // Its own parser above checks each PUBLISH as it comes; kept, a fuzz run's every message stayed in memory (the run's
  // RSS grew ~300 MB in 10 minutes).
  raw.keepPublishes = false;
  return { raw, problems, publishes: () => publishes };
}
