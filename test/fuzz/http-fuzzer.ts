import net from 'node:net';
import tls from 'node:tls';
import { Prng } from './prng.js';
import { request, type Secrets } from './http-requests.js';

export interface HttpFuzzOptions {
  seed: number;
  durationMs: number;
  concurrency: number;
  port: number;
  /** Trust this CA and speak TLS (a hub with TLS on); plain HTTP otherwise. */
  ca?: string;
  secrets: Secrets;
}

export interface HttpFuzzStats {
  requests: number;
  /** How many answers of each status class (2xx, 3xx, 4xx, 5xx) or none at all (the hub closed without one). */
  byClass: Record<string, number>;
  /** Every request answered with a 5xx, for the failure report. */
  serverErrors: string[];
  /** The first 1,000 requests answered with a 2xx, and the first 100 left without an answer. */
  successes: string[];
  unanswered: string[];
}

/** One request per connection; resolves with the status code, or 0 when the connection ended without an answer. */
function send(port: number, bytes: Buffer, ca?: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = ca ? tls.connect({ host: '127.0.0.1', port, ca }) : net.connect(port, '127.0.0.1');
    let head = '';
    const finish = (status: number): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    // A request whose declared length is longer than what was sent gets no answer until Node's timeout: give up.
    const timer = setTimeout(() => finish(0), 3000);
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) finish(Number(m[1]));
    });
    socket.on('error', () => finish(0));
    socket.on('close', () => finish(0));
    socket.write(bytes);
  });
}

/** Sends seeded random requests for `durationMs` from `concurrency` connections at a time. */
export async function fuzzHttp(opts: HttpFuzzOptions): Promise<HttpFuzzStats> {
  const stats: HttpFuzzStats = { requests: 0, byClass: {}, serverErrors: [], successes: [], unanswered: [] };
  const deadline = Date.now() + opts.durationMs;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const r = Prng.derive(opts.seed, n++);
      const req = request(r, `127.0.0.1:${opts.port}`, opts.secrets);
      const status = await send(opts.port, req.bytes, opts.ca);
      stats.requests++;
      const cls = status === 0 ? 'none' : `${Math.floor(status / 100)}xx`;
      stats.byClass[cls] = (stats.byClass[cls] ?? 0) + 1;
      if (status >= 500) stats.serverErrors.push(`${status} ${req.summary}`);
      if (status >= 200 && status < 300 && stats.successes.length < 1000) stats.successes.push(req.summary);
      if (status === 0 && stats.unanswered.length < 100) stats.unanswered.push(req.summary);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return stats;
}
