#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { resolveCredentials, startSimulation } from '../devices/simulator/index.js';
import { HOST, killStarted, repoRoot, sleep, startRumah, tempDir } from './lib/procs.js';

// The soak test (not part of `npm test`): `npm run soak -- --minutes N`. A rumah process with the shipped rules,
// the simulator at 1,000 msg/s and three dashboard sockets; every minute it prints the hub's RSS, event-loop lag
// p99, history queue depth and messages lost so far, and at the end the drift and the verdict against the goals
// (RSS drift < 10%, lag p99 < 20 ms, 0 lost).

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    rate: { type: 'string', default: '1000' },
    devices: { type: 'string', default: '200' },
    sockets: { type: 'string', default: '3' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const deviceCount = Number(values.devices);
if (!(minutes > 0 && rate > 0 && deviceCount > 0)) {
  process.stderr.write('usage: npm run soak -- --minutes N [--rate MSG_PER_S] [--devices N] [--sockets N]\n');
  process.exit(2);
}

interface Row {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  lagP99Ms: number;
  queue: number;
  published: number;
  received: number;
  lost: number;
  deltas: number;
}

async function main(): Promise<void> {
  const dataDir = tempDir('soak');
  // The shipped example rules run in the soak: they react to every light and the kitchen temperature.
  const rulesDir = path.join(dataDir, 'rules');
  fs.mkdirSync(rulesDir, { recursive: true });
  const examples = path.join(repoRoot, 'rules/examples');
  for (const f of fs.existsSync(examples) ? fs.readdirSync(examples) : []) if (f.endsWith('.yaml')) fs.copyFileSync(path.join(examples, f), path.join(rulesDir, f));
  fs.writeFileSync(path.join(dataDir, 'rumah.yaml'), `devices:\n  maxPerAccount: 5000\n`);

  // Accounts first, through the CLI on the data directory, so the measured hub does not share the machine with 200
  // CLI processes in its first minute (the soak is about the steady state).
  process.stdout.write(`soak: creating ${deviceCount} device accounts…\n`);
  const credentials = (await resolveCredentials(deviceCount, { dataDir })).filter((c) => c !== undefined);
  const hub = await startRumah({ dataDir, removeData: true });
  const stops: Array<() => Promise<unknown> | unknown> = [() => hub.stop()];
  process.on('SIGINT', () => void Promise.all(stops.reverse().map((s) => s())).finally(() => process.exit(130)));
  try {
    const base = `http://${HOST}:${hub.httpPort}`;
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hub.subscriber) });
    const cookie = login.headers.get('set-cookie')?.split(';')[0];
    if (!cookie) throw new Error(`login failed: ${login.status}`);
    let deltas = 0;
    const sockets: Socket[] = [];
    for (let i = 0; i < Number(values.sockets); i++) {
      const socket = io(base, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: true });
      socket.onAny(() => deltas++);
      sockets.push(socket);
    }
    stops.push(() => sockets.forEach((s) => s.close()));

    const sim = await startSimulation({ url: `mqtt://${HOST}:${hub.port}`, devices: deviceCount, rate, credentials, seed: 42 });
    stops.push(() => sim.stop());
    process.stdout.write(`soak: ${deviceCount} devices at ${rate} msg/s, ${sockets.length} dashboard sockets, ${minutes} min; rumah pid ${hub.pid}\n`);
    process.stdout.write('minute  rss MiB  heap MiB  lag p99 ms  history queue  published  received  lost*  socket events   (*published − received, incl. in flight)\n');

    const rows: Row[] = [];
    for (let minute = 1; minute <= minutes; minute++) {
      await sleep(60_000);
      const m = await hub.metrics();
      const published = sim.stats.published;
      const received = m.rumah_mqtt_messages_in_total ?? 0;
      // Published but not (yet) received: messages on the wire at this instant count too, so a minute's figure is
      // an upper bound; the final one, taken after the devices stopped, is exact.
      const row: Row = {
        minute, rssMiB: (m.rumah_process_resident_memory_bytes ?? 0) / 2 ** 20, heapMiB: (m.rumah_process_heap_used_bytes ?? 0) / 2 ** 20, lagP99Ms: (m.rumah_event_loop_lag_p99_seconds ?? 0) * 1000,
        queue: m.rumah_history_queue_depth ?? 0, published, received, lost: Math.max(0, published - received), deltas,
      };
      rows.push(row);
      process.stdout.write(`${String(minute).padStart(6)}  ${row.rssMiB.toFixed(1).padStart(7)}  ${row.heapMiB.toFixed(1).padStart(8)}  ${row.lagP99Ms.toFixed(2).padStart(10)}  ${String(row.queue).padStart(13)}  ${String(published).padStart(9)}  ${String(received).padStart(8)}  ${String(Math.round(row.lost)).padStart(4)}  ${String(deltas).padStart(13)}\n`);
    }
    await sim.stop();
    await sleep(2000);
    const m = await hub.metrics();
    const received = m.rumah_mqtt_messages_in_total ?? 0;
    // A QoS 1 message resent after a reconnect reaches the hub twice, so received can exceed published.
    const lost = Math.max(0, sim.stats.published - received);
    // Drift: median RSS of the first five minutes after the warm-up minute (JIT, caches, SQLite page cache) against
    // the median of the last five. Medians, because the garbage collector moves single readings by ~10 MiB.
    const first = median(rows.slice(1, 6).map((r) => r.rssMiB));
    const last = median(rows.slice(-5).map((r) => r.rssMiB));
    const drift = (last - first) / first;
    const lagP99 = Math.max(...rows.map((r) => r.lagP99Ms));
    const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
    process.stdout.write(
      `\nRSS ${first.toFixed(1)} → ${last.toFixed(1)} MiB: drift ${(drift * 100).toFixed(1)}% (goal < 10%: ${verdict(drift < 0.1)})\n` +
        `event-loop lag p99, worst minute: ${lagP99.toFixed(2)} ms (goal < 20 ms: ${verdict(lagP99 < 20)})\n` +
        `messages lost: ${lost} (published ${sim.stats.published}, received ${received}; goal 0: ${verdict(lost === 0)})\n` +
        `history rows written: ${m.rumah_history_written_total}, dropped: ${m.rumah_history_dropped_total}\n`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
    killStarted();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${(err as Error).stack}\n`);
  killStarted();
  process.exit(1);
});
