// Tails (issue 19 item 4): the broker path at 5,000 msg/s. Sensors publish telemetry JSON on 100 device-like topics
// (ourhome/<floor>/<room>/<thing>), paced at 5,000 msg/s in all, and one subscriber following `ourhome/#` times each
// message from publish to delivery, through three brokers each in its own process, in alternating rounds:
//   - rumah (`node dist/server/main.js`, default settings except the per-account publish budgets, raised as in every
//     bench: the 100 devices share one account here): publishers on a device account (each topic a native device:
//     registry, state, history row, ACL), the subscriber the admin;
//   - bare aedes 1.x (bench/servers/aedes.ts), the reference of the target;
//   - mosquitto (Debian's), when installed.
// QoS 0 and QoS 1 (publish and subscription). Per system: p50, p99, p99.9, max and lost (medians of the rounds), and
// the broker process's CPU per 1,000 messages (/proc/<pid>/stat). Target: rumah's p99 ≤ bare aedes's, at both QoS.
// The load generator is the rule benchmarks' (bench/lib/reaction-load.ts) in its reference mode: the follower
// subscribes to the sensors' own topics.

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, HOST, killStarted, mainThreadCpuMs, mosquittoPath, mosquittoVersion, prepareRumahData, repoRoot, RUMAH_YAML, startMosquitto, startNodeServer, startRumah, tempDir, type Server } from './lib/procs.js';
import { ReactionLoad, type Login } from './lib/reaction-load.js';
import type { BenchResult, Figure } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const TOPICS = 100;
/** Sensor connections: 10 topics each (no one connection near rumah's per-client publish rate). */
const SENSORS = 10;
const RATE = 5000;
const ROUNDS = 3;
const RUN_MS = 3000;
const WARMUP_MS = 500;
/**
 * A paced run before the rounds, not in their medians: a broker's first seconds under load are its JIT's (and rumah
 * makes its 100 devices' history series then). rumah's first round read p99 55–220 ms where its later rounds read
 * 4–9 (bare aedes 2–5 in all): with a cold first round the median of three was the worse of two warm ones. Its p99
 * is reported on its own ("the first 2 s of load").
 */
const WARM_RUN_MS = 2000;

/** ourhome/<floor>/<room>/<thing>: 2 floors, 10 rooms, 5 things per room. */
export const tailTopics = (): string[] =>
  Array.from({ length: TOPICS }, (_, i) => `ourhome/${i < 50 ? 'ground' : 'first'}/room${Math.floor(i / 5) % 10}/${['thermostat', 'sensor', 'plug', 'meter', 'climate'][i % 5]}`);

export interface TailsOptions {
  mosquitto?: string;
  /** Which systems to run (`rumah`, `bare aedes`, `mosquitto`); all when absent. */
  brokers?: string[];
  qos?: Array<0 | 1>;
  rounds?: number;
  log?: (line: string) => void;
}

interface System {
  name: string;
  server: Server;
  publisher: Login;
  subscriber: Login;
}

interface Tally {
  p50: number[];
  p99: number[];
  p999: number[];
  max: number[];
  sent: number;
  received: number;
  cpuMs: number;
  mainMs: number;
}

const round = (n: number, d = 3): number => Number(n.toFixed(d));

function commit(): string {
  const r = spawnSync('git', ['-C', repoRoot, 'log', '-1', '--format=%h %cd', '--date=iso'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

async function startSystems(want: (name: string) => boolean, mosquitto: string | undefined, notes: string[]): Promise<System[]> {
  const systems: System[] = [];
  try {
    if (want('rumah')) {
      const dataDir = tempDir('tails');
      const publisher = await prepareRumahData(dataDir, RUMAH_YAML, 'bench-sensors');
      const rumah = await startRumah({ dataDir, removeData: true });
      systems.push({ name: 'rumah', server: rumah, publisher, subscriber: rumah.subscriber! });
    }
    if (want('bare aedes')) systems.push({ name: 'bare aedes', server: await startNodeServer('bare aedes', 'aedes.js'), publisher: {}, subscriber: {} });
    if (want('mosquitto')) {
      if (mosquitto) systems.push({ name: 'mosquitto', server: await startMosquitto(mosquitto), publisher: {}, subscriber: {} });
      else notes.push('mosquitto not found: measured without it');
    }
  } catch (err) {
    for (const s of systems) await s.server.stop().catch(() => undefined);
    throw err;
  }
  return systems;
}

export async function benchTails(opts: TailsOptions = {}): Promise<BenchResult> {
  const log = opts.log ?? console.log;
  const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const rounds = opts.rounds ?? ROUNDS;
  const qosList = opts.qos ?? [0, 1];
  const want = (name: string): boolean => !opts.brokers || opts.brokers.includes(name);
  const mosquitto = want('mosquitto') ? (opts.mosquitto ?? mosquittoPath()) : undefined;
  const notes: string[] = [];
  const details: string[] = [`rumah at ${commit()}; ${TOPICS} topics, ${SENSORS} publisher connections, ${RATE} msg/s; load average at start ${load()}`];
  const topics = tailTopics();
  const tallies = new Map<string, Tally>();
  /** p99 of each broker's warm-up run (WARM_RUN_MS), by `<name> QoS <qos>`. */
  const cold = new Map<string, number>();
  const systems = await startSystems(want, mosquitto, notes);
  if (mosquitto && want('mosquitto')) details.push(`mosquitto ${mosquittoVersion(mosquitto)}, Node ${process.version}`);
  try {
    for (const qos of qosList) {
      const loads = new Map<string, ReactionLoad>();
      try {
        for (const s of systems) {
          const l = await ReactionLoad.start({
            url: `mqtt://${HOST}:${s.server.port}`, filter: 'ourhome/#', sensor: s.publisher, actuator: s.subscriber, sensors: SENSORS,
            clientPrefix: `tails-q${qos}-${s.name.replace(' ', '-')}`, qos, topics,
          });
          loads.set(s.name, l);
          await l.warm(TOPICS);
          tallies.set(`${s.name} QoS ${qos}`, { p50: [], p99: [], p999: [], max: [], sent: 0, received: 0, cpuMs: 0, mainMs: 0 });
        }
        for (const s of systems) {
          const first = await loads.get(s.name)!.run(TOPICS, RATE, WARM_RUN_MS, 0);
          cold.set(`${s.name} QoS ${qos}`, percentile(first.latencies, 99));
          log(`  QoS ${qos} ${s.name.padEnd(10)} first ${WARM_RUN_MS} ms of load (not in the rounds): p99 ${cold.get(`${s.name} QoS ${qos}`)!.toFixed(3)} ms (${first.received}/${first.sent})`);
        }
        for (let r = 0; r < rounds; r++) {
          for (const s of systems) {
            const t = tallies.get(`${s.name} QoS ${qos}`)!;
            const cpu0 = cpuMs(s.server.pid);
            const main0 = mainThreadCpuMs(s.server.pid);
            const p = await loads.get(s.name)!.run(TOPICS, RATE, RUN_MS, WARMUP_MS);
            t.cpuMs += cpuMs(s.server.pid) - cpu0;
            t.mainMs += mainThreadCpuMs(s.server.pid) - main0;
            t.p50.push(percentile(p.latencies, 50));
            t.p99.push(percentile(p.latencies, 99));
            t.p999.push(percentile(p.latencies, 99.9));
            t.max.push(p.latencies.reduce((m, v) => (v > m ? v : m), 0));
            t.sent += p.sent;
            t.received += p.received;
            log(`  QoS ${qos} ${s.name.padEnd(10)} round ${r + 1}: p50 ${t.p50.at(-1)!.toFixed(3)} ms, p99 ${t.p99.at(-1)!.toFixed(3)} ms, p99.9 ${t.p999.at(-1)!.toFixed(3)} ms, max ${t.max.at(-1)!.toFixed(1)} ms (${p.received}/${p.sent})`);
          }
        }
      } finally {
        for (const l of loads.values()) await l.close();
      }
    }
  } finally {
    for (const s of systems.reverse()) await s.server.stop().catch((err: unknown) => log(`  stopping ${s.name}: ${String(err)}`));
  }

  const figures: Figure[] = [];
  for (const qos of qosList) {
    const mine = tallies.get(`rumah QoS ${qos}`);
    const others = [...tallies.entries()].filter(([k]) => k.endsWith(`QoS ${qos}`) && !k.startsWith('rumah'));
    const refs = (v: (t: Tally) => number): Record<string, number> => Object.fromEntries(others.map(([k, t]) => [k.replace(` QoS ${qos}`, ''), v(t)]));
    const aedes = tallies.get(`bare aedes QoS ${qos}`);
    const row = (label: string, unit: string, v: (t: Tally) => number, target?: Figure['target']): Figure => ({
      label: `QoS ${qos}, ${RATE.toLocaleString('en-US')} msg/s: ${label}`, unit, value: mine ? v(mine) : NaN, refs: refs(v), lowerIsBetter: true, ...(target ? { target } : {}),
    });
    const p99 = (t: Tally): number => median(t.p99);
    figures.push(
      row('p50', 'ms', (t) => median(t.p50)),
      row('p99', 'ms', p99, mine && aedes ? { text: '≤ bare aedes', met: p99(mine) <= p99(aedes) } : undefined),
      row('p99.9', 'ms', (t) => median(t.p999)),
      row('max', 'ms', (t) => median(t.max)),
      row('lost (sent − delivered, all rounds)', '', (t) => t.sent - t.received),
      { ...row('broker CPU per 1,000 messages', 'ms', (t) => (t.cpuMs / t.received) * 1000), context: mine ? { 'rumah main thread': (mine.mainMs / mine.received) * 1000 } : undefined },
      {
        label: `QoS ${qos}, ${RATE.toLocaleString('en-US')} msg/s: p99 of the first ${WARM_RUN_MS / 1000} s of load after the start (before the rounds; information)`,
        unit: 'ms', value: cold.get(`rumah QoS ${qos}`) ?? NaN, lowerIsBetter: true,
        refs: Object.fromEntries(others.map(([k]) => [k.replace(` QoS ${qos}`, ''), cold.get(k) ?? NaN])),
      },
    );
  }
  for (const [name, t] of tallies) {
    details.push(
      `${name}: p50 ${t.p50.map((v) => round(v)).join(', ')} ms; p99 ${t.p99.map((v) => round(v)).join(', ')} ms; p99.9 ${t.p999.map((v) => round(v)).join(', ')} ms; ` +
        `max ${t.max.map((v) => round(v, 1)).join(', ')} ms; ${t.received}/${t.sent} delivered; CPU ${Math.round(t.cpuMs)} ms (main thread ${Math.round(t.mainMs)})`,
    );
  }
  details.push(`load average at the end ${load()}`);
  for (const d of details) log(`  ${d}`);
  notes.push(
    `Medians of ${rounds} alternating rounds of ${RUN_MS - WARMUP_MS} ms measured after ${WARMUP_MS} ms, after one unmeasured run of ${WARM_RUN_MS} ms per broker (its p99 is the "first ${WARM_RUN_MS / 1000} s" figure), ${RATE} msg/s over ${TOPICS} topics ourhome/<floor>/<room>/<thing> ` +
      `from ${SENSORS} MQTT.js connections, telemetry JSON (~75 bytes) with the send time in it; one subscriber on ourhome/# (rumah: the admin), same QoS.`,
    'rumah: its own process, default settings except the per-account publish budgets (the 100 devices share one account here); each topic a native device.',
    'CPU: /proc/<pid>/stat of the broker process (all threads) over the rounds, per message delivered.',
  );
  return { id: 'tails', title: 'Tails: broker path at 5,000 msg/s, QoS 0 and 1 (bench/tails.ts)', figures, notes, details };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.on('exit', killStarted);
  const brokers = process.env.TAILS_BROKERS?.split(',');
  benchTails({ ...(brokers ? { brokers } : {}) }).then(
    (r) => {
      console.log(JSON.stringify(r.figures.map((f) => [f.label, f.value, f.refs])));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
