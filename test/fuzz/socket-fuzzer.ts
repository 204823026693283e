import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { Prng } from './prng.js';

export interface SocketFuzzOptions {
  seed: number;
  durationMs: number;
  /** http(s)://127.0.0.1:port of the hub, and the session cookie of a logged-in user. */
  url: string;
  cookie: string;
  ca?: string;
}

export interface SocketFuzzStats {
  events: number;
  acks: number;
  rawFrames: number;
  /** Sockets the hub closed (an oversized or unparsable frame), each replaced by a new one. */
  closedByHub: number;
}

const reserved = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

function payload(r: Prng, depth = 0): unknown {
  return r.pick<() => unknown>([
    () => null, () => undefined, () => r.int(-1e9, 1e9), () => Number.NaN, () => r.text(r.int(0, 50)), () => 'x'.repeat(r.int(60_000, 120_000)),
    () => r.bytes(r.int(0, 256)), () => r.chance(0.5),
    () => ({ deviceId: r.pick(['ourhome-groundfloor-hall-light', '', '__proto__', r.text(10)]), property: r.pick(['light', 'state', '', 42]), value: depth > 3 ? 0 : payload(r, depth + 1) }),
    () => (depth > 3 ? [] : Array.from({ length: r.int(0, 5) }, () => payload(r, depth + 1))),
    () => JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'),
  ])();
}

/** Text frames of the engine.io / socket.io wire format, valid and not (engine.io v4: 4 = message, 2 = socket.io event). */
function rawFrame(r: Prng): string | Buffer {
  return r.pick<() => string | Buffer>([
    () => `42${JSON.stringify([r.pick(['command', r.text(6)]), payload(r)])}`,
    () => `42${r.pick(['', '[', '["command"', '[1,2]', '{}', 'null', '["command",{"deviceId":'])}`,
    () => `43${r.int(0, 99)}[{"ok":true}]`, // an ack for nothing
    () => `451-["command",{"_placeholder":true,"num":${r.int(0, 99)}}]`, // a binary event whose attachment never comes
    () => `4${r.pick(['0', '1', '4', '5', '6', '9'])}${r.text(r.int(0, 30))}`,
    () => r.pick(['2', '3', '5', '6', '2probe', '1', '0', '']),
    () => r.bytes(r.int(1, 64)),
    () => `42["command","${'y'.repeat(70_000)}"]`, // over maxHttpBufferSize
  ])();
}

/**
 * Random events and payloads from authenticated dashboard sockets (socket.io-client over WebSocket), and random
 * frames on a raw engine.io WebSocket with the same session. Acks are counted, errors ignored: what matters is what
 * the hub does, which the caller checks afterwards.
 */
export async function fuzzSockets(opts: SocketFuzzOptions): Promise<SocketFuzzStats> {
  const stats: SocketFuzzStats = { events: 0, acks: 0, rawFrames: 0, closedByHub: 0 };
  const deadline = Date.now() + opts.durationMs;
  const tlsOptions = opts.ca ? { ca: opts.ca } : {};
  const open = (): Promise<Socket> => new Promise((resolve) => {
    const socket = io(opts.url, { transports: ['websocket'], extraHeaders: { cookie: opts.cookie }, reconnection: false, forceNew: true, ...tlsOptions });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', () => resolve(socket));
  });

  const clientLoop = async (): Promise<void> => {
    const r = Prng.derive(opts.seed, 1);
    let socket = await open();
    while (Date.now() < deadline) {
      if (!socket.connected) {
        stats.closedByHub++;
        socket.close();
        socket = await open();
        continue;
      }
      const name = r.chance(0.4) ? 'command' : r.pick(['snapshot', 'deltas', 'pairing', '__proto__', 'constructor', 'x'.repeat(r.int(1, 5000)), r.text(8)]);
      if (reserved.has(name)) continue;
      const args = Array.from({ length: r.int(0, 3) }, () => payload(r));
      stats.events++;
      if (r.chance(0.5)) socket.timeout(1000).emit(name, ...args, () => stats.acks++);
      else socket.emit(name, ...args);
      if (r.chance(0.2)) await new Promise((res) => setTimeout(res, r.int(0, 10)));
      else await new Promise((res) => setImmediate(res));
    }
    socket.close();
  };

  const rawLoop = async (): Promise<void> => {
    const r = Prng.derive(opts.seed, 2);
    const wsUrl = `${opts.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    while (Date.now() < deadline) {
      const ws = new WebSocket(wsUrl, { headers: { cookie: opts.cookie }, ...tlsOptions });
      ws.on('error', () => {});
      const closed = new Promise<void>((res) => ws.once('close', () => res()));
      await Promise.race([new Promise((res) => ws.once('open', res)), closed]);
      if (ws.readyState === WebSocket.OPEN) ws.send('40');
      for (let i = r.int(1, 40); i > 0 && ws.readyState === WebSocket.OPEN && Date.now() < deadline; i--) {
        ws.send(rawFrame(r));
        stats.rawFrames++;
        await new Promise((res) => setTimeout(res, r.int(0, 5)));
      }
      if (ws.readyState === WebSocket.OPEN) ws.close();
      else stats.closedByHub++;
      await Promise.race([closed, new Promise((res) => setTimeout(res, 1000))]);
      ws.terminate();
    }
  };

  await Promise.all([clientLoop(), rawLoop()]);
  return stats;
}
