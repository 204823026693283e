// What a broker allocates and spends per message on the broker path (issue 19 item 4), by hand, not part of
// `npm run bench`: bench/tails.ts's load (5,000 msg/s over 100 device topics, telemetry JSON, one subscriber) on one
// broker in its own process started with --inspect on loopback, and the inspector's profilers over the run:
//   --mode alloc  the sampling heap profiler with objects collected by minor and major GCs included (short-lived
//                 garbage, which `node --heap-prof` does not report): bytes allocated per message, by area and function;
//   --mode cpu    the CPU profiler at 200 µs: self time per message (µs), by area and function.
// node dist/bench/tails-profile.js [--broker rumah|aedes] [--qos 0|1] [--seconds 5] [--mode alloc|cpu] [--top 30]

import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cpuMs, HOST, killStarted, prepareRumahData, RUMAH_YAML, sleep, startNodeServer, startRumah, tempDir, type Server } from './lib/procs.js';
import { ReactionLoad, type Login } from './lib/reaction-load.js';
import { percentile } from './lib/stats.js';
import { tailTopics } from './tails.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
}

/** A package, node:internal module or rumah source folder. */
function area(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length).split('/')[0]!;
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 6).split('/').slice(0, 2).join('/') : url;
}
/** A function and where it is: a package and line, or rumah's file (dist/…) and line. */
function where(f: CallFrame): string {
  const dist = f.url.indexOf('/dist/');
  const file = dist >= 0 && !f.url.includes('node_modules/') ? f.url.slice(dist + 6) : area(f.url);
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

type Call = (method: string, params?: object) => Promise<{ result: Record<string, unknown> }>;

/** A session on the broker's inspector: `call` sends a method, `close` ends the session (before the broker stops). */
function inspector(url: string): Promise<{ call: Call; close: () => void }> {
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map<number, (m: { result: Record<string, unknown> }) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result: Record<string, unknown> };
    if (m.id !== undefined) pending.get(m.id)?.(m);
    if (m.id !== undefined) pending.delete(m.id);
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        call: (method, params = {}) => new Promise((done) => {
          pending.set(++id, done);
          ws.send(JSON.stringify({ id, method, params }));
        }),
        close: () => ws.close(),
      }),
    );
  });
}

function top(entries: Map<string, number>, n: number, per: (v: number) => string): string[] {
  return [...entries].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${per(v)}  ${k}`);
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({ options: { broker: { type: 'string', default: 'rumah' }, qos: { type: 'string', default: '0' }, seconds: { type: 'string', default: '5' }, mode: { type: 'string', default: 'alloc' }, top: { type: 'string', default: '30' } } });
  const qos = Number(a.qos) === 1 ? 1 : 0;
  const ms = Number(a.seconds) * 1000;
  const n = Number(a.top);
  const nodeArgs = [`--inspect=${HOST}:0`];
  let server: Server;
  let publisher: Login = {};
  let subscriber: Login = {};
  if (a.broker === 'rumah') {
    const dataDir = tempDir('tails-profile');
    publisher = await prepareRumahData(dataDir, RUMAH_YAML, 'bench-sensors');
    const rumah = await startRumah({ dataDir, removeData: true, nodeArgs });
    server = rumah;
    subscriber = rumah.subscriber!;
  } else server = await startNodeServer('bare aedes', 'aedes.js', nodeArgs);
  try {
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) (url = /ws:\/\/\S+/.exec(server.output())?.[0]) ?? (await sleep(50));
    if (!url) throw new Error(`no inspector URL in the broker's output:\n${server.output()}`);
    const session = await inspector(url);
    const call = session.call;
    const load = await ReactionLoad.start({ url: `mqtt://${HOST}:${server.port}`, filter: 'ourhome/#', sensor: publisher, actuator: subscriber, sensors: 10, clientPrefix: 'profile', qos, topics: tailTopics() });
    try {
      await load.warm(100);
      await load.run(100, 5000, 2000, 500); // the JIT warm, the devices made
      if (a.mode === 'cpu') {
        await call('Profiler.enable');
        await call('Profiler.setSamplingInterval', { interval: 200 });
        await call('Profiler.start');
      } else {
        await call('HeapProfiler.enable');
        await call('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
      }
      const cpu0 = cpuMs(server.pid);
      const run = await load.run(100, 5000, ms, 0);
      const cpu = cpuMs(server.pid) - cpu0;
      const got = run.received;
      console.log(`${server.name} QoS ${qos}: ${got}/${run.sent} delivered, CPU ${((cpu / got) * 1000).toFixed(1)} ms per 1,000 (profiler on), p50 ${percentile(run.latencies, 50).toFixed(3)} ms, p99 ${percentile(run.latencies, 99).toFixed(3)} ms`);
      const byArea = new Map<string, number>();
      const byFn = new Map<string, number>();
      const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
      if (a.mode === 'cpu') {
        const profile = (await call('Profiler.stop')).result.profile as CpuProfile;
        const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
        for (const s of profile.samples) {
          const f = frames.get(s)!;
          if (f.functionName === '(idle)') continue;
          add(byArea, f.functionName.startsWith('(') ? f.functionName : area(f.url), 1);
          add(byFn, where(f), 1);
        }
        const per = (hits: number): string => `${((hits * 200) / got).toFixed(2).padStart(6)} µs`;
        console.log('self time per message, by area:', '\n' + top(byArea, n, per).join('\n'), '\nby function:\n' + top(byFn, n, per).join('\n'));
      } else {
        const profile = (await call('HeapProfiler.stopSampling')).result.profile as { head: HeapNode };
        let total = 0;
        const walk = (node: HeapNode): void => {
          if (node.selfSize) {
            total += node.selfSize;
            add(byArea, area(node.callFrame.url), node.selfSize);
            add(byFn, where(node.callFrame), node.selfSize);
          }
          for (const c of node.children) walk(c);
        };
        walk(profile.head);
        const per = (bytes: number): string => `${Math.round(bytes / got).toString().padStart(6)} B`;
        console.log(`allocated per message (sampled): ${per(total).trim()}`, '\nby area:\n' + top(byArea, n, per).join('\n'), '\nby function:\n' + top(byFn, n, per).join('\n'));
      }
    } finally {
      session.close();
      await load.close();
    }
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.on('exit', killStarted);
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
