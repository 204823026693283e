import type net from 'node:net';
import { anyPacket, connect, mutate, type Credentials } from './mqtt-packets.js';
import { Prng } from './prng.js';

export interface MqttFuzzOptions {
  seed: number;
  durationMs: number;
  /** Connections open at the same time. */
  concurrency: number;
  /** Opens connection number n (plain TCP or TLS); writes before it is connected are buffered by Node. */
  dial: (n: number) => net.Socket;
  /** Logins the fuzz connections use (a device account, the admin); some CONNECTs use wrong ones. */
  credentials: Credentials[];
  /** The packets of one connection, its CONNECT first if any (MQTT 5: mqtt5-fuzzer.ts); the 3.1.1 mix when absent. */
  session?: (r: Prng, creds: Credentials) => Buffer[];
  /**
   * The chance that a connection waits (up to 1 s) for the hub's first answer, its CONNACK, before sending what
   * follows its CONNECT: more of the packets then reach a logged-in client. 0 when absent (everything at once).
   */
  waitForConnack?: number;
}

export interface MqttFuzzStats {
  sessions: number;
  packets: number;
  bytes: number;
  /** Connections the hub closed (it found something wrong, or the connect timeout passed). */
  closedByHub: number;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A bound raced against a connection's end: it must not keep the process alive after the connection ended. */
const atMost = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Opens connection after connection for `durationMs`, each sending a seeded mix of valid and broken packets of
 * every type, in random fragments, and closing in different ways (FIN, reset, or waiting to be closed). The hub's
 * answers are read and dropped. Resolves once every connection it opened is closed.
 */
export async function fuzzMqtt(opts: MqttFuzzOptions): Promise<MqttFuzzStats> {
  const stats: MqttFuzzStats = { sessions: 0, packets: 0, bytes: 0, closedByHub: 0 };
  const deadline = Date.now() + opts.durationMs;
  const open = new Set<net.Socket>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) await session(next++);
  };

  async function session(n: number): Promise<void> {
    const r = Prng.derive(opts.seed, n);
    stats.sessions++;
    const socket = opts.dial(n);
    open.add(socket);
    let closed = false;
    let weClosed = false;
    const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.on('data', () => {});
    socket.on('error', () => {});
    const done = new Promise<void>((resolve) => socket.once('close', () => {
      closed = true;
      if (!weClosed) stats.closedByHub++;
      open.delete(socket);
      resolve();
    }));
    const creds = r.chance(0.9) ? r.pick(opts.credentials) : { username: `fz-${r.text(6)}`, password: r.text(12) };
    const mode = r.int(0, 9);
    const packets: Buffer[] = opts.session ? opts.session(r, creds) : [];
    if (!opts.session) {
      if (mode <= 3 || mode >= 8) packets.push(connect(r, creds, false));
      else if (mode <= 5) packets.push(connect(r, creds, true));
      for (let i = r.int(1, 30); i > 0; i--) {
        const p = anyPacket(r, creds);
        packets.push(mode !== 8 && r.chance(0.35) ? mutate(r, p) : p);
      }
    }
    let sessionEnd = Date.now() + r.int(50, 1000);
    const wait = opts.waitForConnack !== undefined && r.chance(opts.waitForConnack);
    for (const p of packets) {
      if (closed || Date.now() > deadline || Date.now() > sessionEnd) break;
      // Fragments: the parser must put a packet together from any split (mode 9: one byte at a time, for a while).
      const cuts = mode === 9 && p.length < 64 ? p.length : r.int(1, 3);
      const size = Math.ceil(p.length / cuts) || 1;
      for (let at = 0; at < p.length && !closed; at += size) {
        socket.write(p.subarray(at, at + size));
        stats.bytes += Math.min(size, p.length - at);
        if (r.chance(0.3)) await pause(r.int(0, 5));
      }
      stats.packets++;
      if (wait && p === packets[0]) {
        await Promise.race([answered, done, atMost(1000)]);
        sessionEnd = Math.max(sessionEnd, Date.now() + 200);
      }
    }
    if (!closed) {
      const how = r.int(0, 2);
      if (how === 1) await Promise.race([done, atMost(r.int(0, 200))]);
      weClosed = !closed;
      if (how === 0) socket.end();
      else socket.destroy();
      await Promise.race([done, atMost(2000)]);
      if (!closed) socket.destroy();
    }
    await done;
  }

  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  for (const socket of open) socket.destroy();
  return stats;
}
