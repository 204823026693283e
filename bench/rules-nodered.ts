// Rules against Node-RED (issue 19 item 2): the same reactions — a sensor's message on rb/f/r<i>/t republished to
// rb/out/<i> — made by rumah with 100 rules loaded (its own process, `node dist/server/main.js`, default settings and
// default rule guards) and by Node-RED 4.1.8 with 100 `mqtt in` → `mqtt out` pairs on Debian's mosquitto (each its own
// process). One load generator for both (bench/lib/reaction-load.ts: 10 sensor connections sharing the 100 topics, one
// actuator, send time in the payload), in alternating rounds:
//   1. closed-loop reactions/s: 20,000 messages as fast as the system answers, at most 1,000 outstanding (median of
//      3 rounds; target rumah ≥ 1.5× Node-RED);
//   2. latency at 5,000 msg/s paced over the 100 topics, 3 s measured after 0.5 s of warm-up: p50, p99, p99.9 and
//      lost (median of 3 rounds; target rumah p99 ≤ 1 ms);
//   3. CPU time of each system's processes per 1,000 reactions (/proc/<pid>/stat utime + stime, before and after).
// Node-RED is not a dependency: it is installed on first use into a cache folder (bench/lib/node-red.ts); without
// network or mosquitto the reference is skipped with a line and rumah is measured alone.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProfile, summarizeProfile } from './lib/cpuprofile.js';
import { HubApi } from './lib/hub-api.js';
import { ensureNodeRed, NODE_RED_VERSION, reactionFlow, startNodeRed } from './lib/node-red.js';
import { cpuMs, HOST, mainThreadCpuMs, killStarted, mosquittoPath, mosquittoVersion, prepareRumahData, repoRoot, RUMAH_YAML, startMosquitto, startRumah, tempDir, type Rumah, type Server } from './lib/procs.js';
import { ReactionLoad, ruleText } from './lib/reaction-load.js';
import type { BenchResult, Figure } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const TOPICS = 100;
/** Sensor connections: 10 topics each, so no one connection nears the hub's per-client publish rate (5,000/s by default). */
const SENSORS = 10;
const ROUNDS = 3;
const BLAST = 20_000;
const BLAST_WINDOW = 1000;
const RATE = 5000;
const RUN_MS = 3500;
const WARMUP_MS = 500;
const REACTIONS_TARGET = 1.5;
const P99_TARGET_MS = 1;

interface System {
  name: string;
  load: ReactionLoad;
  /** The processes whose CPU time counts (Node-RED and its broker). */
  pids: Array<{ name: string; pid: number }>;
  /** Parts of those processes shown apart, not added to the sum (rumah's main thread: its event loop). */
  parts?: Array<{ name: string; read: () => number }>;
  stop(): Promise<void>;
}

interface Tally {
  rates: number[];
  blastLost: number;
  blastReceived: number;
  blastCpu: Record<string, number>;
  blastParts: Record<string, number>;
  p50: number[];
  p99: number[];
  p999: number[];
  paced: { sent: number; received: number };
  /** Per paced round: the slowest answer in each 100 ms of send time, ms. */
  slots: number[][];
  pacedCpu: Record<string, number>;
  pacedParts: Record<string, number>;
}

const newTally = (): Tally => ({ rates: [], blastLost: 0, blastReceived: 0, blastCpu: {}, blastParts: {}, p50: [], p99: [], p999: [], paced: { sent: 0, received: 0 }, pacedCpu: {}, pacedParts: {}, slots: [] });

async function startRumahSystem(profileDir?: string): Promise<System & { rumah: Rumah }> {
  const dataDir = tempDir('rules-nodered');
  fs.mkdirSync(path.join(dataDir, 'rules'));
  for (let i = 0; i < TOPICS; i++) fs.writeFileSync(path.join(dataDir, 'rules', `bench-${i}.yaml`), ruleText(i));
  const sensor = await prepareRumahData(dataDir, RUMAH_YAML, 'bench-sensors');
  const rumah = await startRumah({ dataDir, removeData: true, ...(profileDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}) });
  let load: ReactionLoad;
  try {
    load = await ReactionLoad.start({ url: `mqtt://${HOST}:${rumah.port}`, filter: 'rb/out/#', sensor, actuator: rumah.subscriber!, sensors: SENSORS, clientPrefix: 'rumah' });
  } catch (err) {
    await rumah.stop();
    throw err;
  }
  return {
    name: 'rumah', rumah, load, pids: [{ name: 'rumah', pid: rumah.pid }], parts: [{ name: 'rumah main thread', read: () => mainThreadCpuMs(rumah.pid) }],
    async stop() {
      await load.close();
      await rumah.stop();
    },
  };
}

async function startNodeRedSystem(mosquitto: string, redJs: string): Promise<System> {
  const broker = await startMosquitto(mosquitto);
  let nodeRed: Server | undefined;
  let load: ReactionLoad | undefined;
  const stop = async (): Promise<void> => {
    await load?.close();
    await nodeRed?.stop();
    await broker.stop();
  };
  try {
    nodeRed = await startNodeRed(redJs, reactionFlow(TOPICS, broker.port));
    load = await ReactionLoad.start({ url: `mqtt://${HOST}:${broker.port}`, filter: 'rb/out/#', sensor: {}, actuator: {}, sensors: SENSORS, clientPrefix: 'nodered' });
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'Node-RED', load, pids: [{ name: 'Node-RED', pid: nodeRed.pid }, { name: 'mosquitto', pid: broker.pid }], stop };
}

/** CPU time each process of `s` (and each part) spends while `fn` runs, added into `into` and `parts` (ms by name). */
async function measured<T>(s: System, into: Record<string, number>, parts: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const before = s.pids.map(({ pid }) => cpuMs(pid));
  const partsBefore = (s.parts ?? []).map((p) => p.read());
  const out = await fn();
  s.pids.forEach(({ name, pid }, k) => (into[name] = (into[name] ?? 0) + cpuMs(pid) - before[k]!));
  (s.parts ?? []).forEach(({ name, read }, k) => (parts[name] = (parts[name] ?? 0) + read() - partsBefore[k]!));
  return out;
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const round = (n: number, d = 3): number => Number(n.toFixed(d));
const cpuText = (cpu: Record<string, number>): string => Object.entries(cpu).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');

/** The rules' own counts (GET /api/rules): runs, and runs the guards dropped or the mode skipped. */
async function ruleCounters(rumah: Rumah): Promise<Record<string, number>> {
  const api = await HubApi.login(rumah.httpPort, rumah.subscriber!);
  const { rules } = await api.get<{ rules: Array<{ counters?: Record<string, number>; floodDropped?: Record<string, number> }> }>('/api/rules');
  const total: Record<string, number> = { rules: rules.length };
  for (const r of rules) for (const [k, v] of Object.entries(r.counters ?? {})) if (typeof v === 'number') total[k] = (total[k] ?? 0) + v;
  // The engine's backlog (fires waiting for a busy run instead of being skipped), where the hub has one.
  const metrics = await rumah.metrics();
  for (const [name, key] of [['rumah_rules_backlog_waited_total', 'backlogWaited'], ['rumah_rules_backlog_full_total', 'backlogFull']] as const) {
    if (metrics[name] !== undefined) total[key] = metrics[name];
  }
  return total;
}

function commit(): string {
  const r = spawnSync('git', ['-C', repoRoot, 'log', '-1', '--format=%h %cd', '--date=iso'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

export async function benchRulesNodeRed(opts: { mosquitto?: string; profile?: boolean; log?: (line: string) => void } = {}): Promise<BenchResult> {
  const log = opts.log ?? console.log;
  const notes: string[] = [];
  const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const details: string[] = [`rumah at ${commit()}; ${TOPICS} rules / flow pairs, ${SENSORS} sensor connections, QoS 0; load average at start ${load()}`];

  let reference: { skipped: string } | { redJs: string; mosquitto: string };
  const mosquitto = opts.mosquitto ?? mosquittoPath();
  if (!mosquitto) reference = { skipped: 'mosquitto not found: the Node-RED reference is skipped' };
  else {
    const nr = await ensureNodeRed(log);
    reference = 'redJs' in nr ? { redJs: nr.redJs, mosquitto } : nr;
  }

  // --profile: a V8 CPU profile of the rumah process over the whole run (start and warm-up included), summarised below.
  const profileDir = opts.profile ? tempDir('cpuprof') : undefined;
  const systems: System[] = [];
  const tallies = new Map<string, Tally>();
  let counters: Record<string, number> = {};
  try {
    const rumah = await startRumahSystem(profileDir);
    systems.push(rumah);
    if ('redJs' in reference) {
      try {
        systems.push(await startNodeRedSystem(reference.mosquitto, reference.redJs));
        details.push(`reference: Node-RED ${NODE_RED_VERSION} (headless, one mqtt-broker node, mqtt in as UTF-8 strings) on mosquitto ${mosquittoVersion(reference.mosquitto)}, Node ${process.version}`);
      } catch (err) {
        reference = { skipped: `Node-RED did not start: ${(err as Error).message.split('\n')[0]}` };
      }
    }
    await rumah.load.warm(TOPICS);
    tallies.set(rumah.name, newTally());
    const nodeRed = systems[1];
    if (nodeRed) {
      try {
        await nodeRed.load.warm(TOPICS);
        tallies.set(nodeRed.name, newTally());
      } catch (err) {
        systems.pop();
        await nodeRed.stop().catch(() => undefined);
        reference = { skipped: `Node-RED never answered: ${(err as Error).message}` };
      }
    }
    if ('skipped' in reference) {
      log(`  ${reference.skipped}`);
      notes.push(reference.skipped);
    }

    for (let r = 0; r < ROUNDS; r++) {
      for (const s of systems) {
        const t = tallies.get(s.name)!;
        const b = await measured(s, t.blastCpu, t.blastParts, () => s.load.blast(TOPICS, BLAST, BLAST_WINDOW));
        const rate = b.ms > 0 ? (b.received / b.ms) * 1000 : NaN;
        t.rates.push(rate);
        t.blastLost += b.sent - b.received;
        t.blastReceived += b.received;
        log(`  closed loop ${s.name.padEnd(8)} round ${r + 1}: ${Math.round(rate)} reactions/s (${b.received}/${b.sent} answered in ${Math.round(b.ms)} ms)`);
      }
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of systems) {
        const t = tallies.get(s.name)!;
        const p = await measured(s, t.pacedCpu, t.pacedParts, () => s.load.run(TOPICS, RATE, RUN_MS, WARMUP_MS));
        t.p50.push(percentile(p.latencies, 50));
        t.p99.push(percentile(p.latencies, 99));
        t.p999.push(percentile(p.latencies, 99.9));
        t.paced.sent += p.sent;
        t.paced.received += p.received;
        t.slots.push(p.slowestPerSlot);
        log(`  ${RATE} msg/s ${s.name.padEnd(8)} round ${r + 1}: p50 ${t.p50.at(-1)!.toFixed(3)} ms, p99 ${t.p99.at(-1)!.toFixed(3)} ms, p99.9 ${t.p999.at(-1)!.toFixed(3)} ms (${p.received}/${p.sent} answered)`);
      }
    }
    counters = await ruleCounters(rumah.rumah);
  } finally {
    for (const s of systems.reverse()) await s.stop().catch((err: unknown) => log(`  stopping ${s.name}: ${String(err)}`));
  }

  const mine = tallies.get('rumah')!;
  const ref = tallies.get('Node-RED');
  const refs = (v: (t: Tally) => number): Record<string, number> | undefined => (ref ? { [`Node-RED ${NODE_RED_VERSION} + mosquitto`]: v(ref) } : undefined);
  const reactions = median(mine.rates);
  const p99 = median(mine.p99);
  const cpuPer1k = (cpu: Record<string, number>, received: number): number => (sum(cpu) / received) * 1000;
  // Beside the sums: rumah's main thread (its own reactions), then each reference process (Node-RED's).
  const perThousand = (entries: Array<readonly [string, number]>, mineReceived: number, refReceived?: number): Record<string, number> =>
    Object.fromEntries(entries.map(([name, ms]) => [name, (ms / (name.startsWith('rumah') ? mineReceived : refReceived ?? NaN)) * 1000]));
  const figures: Figure[] = [
    {
      label: `closed-loop reactions/s, ${TOPICS} rules (window ${BLAST_WINDOW})`, unit: 'msg/s', value: reactions, refs: refs((t) => median(t.rates)),
      ...(ref ? { target: { text: `≥ ${REACTIONS_TARGET}× Node-RED`, met: reactions / median(ref.rates) >= REACTIONS_TARGET } } : {}),
    },
    { label: 'closed loop: lost (sent − answered, all rounds)', unit: '', value: mine.blastLost, refs: refs((t) => t.blastLost), lowerIsBetter: true },
    { label: `${RATE} msg/s: p50`, unit: 'ms', value: median(mine.p50), refs: refs((t) => median(t.p50)), lowerIsBetter: true },
    { label: `${RATE} msg/s: p99`, unit: 'ms', value: p99, refs: refs((t) => median(t.p99)), lowerIsBetter: true, target: { text: `≤ ${P99_TARGET_MS} ms`, met: p99 <= P99_TARGET_MS } },
    { label: `${RATE} msg/s: p99.9`, unit: 'ms', value: median(mine.p999), refs: refs((t) => median(t.p999)), lowerIsBetter: true },
    { label: `${RATE} msg/s: lost (sent − answered, all rounds)`, unit: '', value: mine.paced.sent - mine.paced.received, refs: refs((t) => t.paced.sent - t.paced.received), lowerIsBetter: true },
    {
      label: 'CPU per 1,000 reactions, closed loop', unit: 'ms', value: cpuPer1k(mine.blastCpu, mine.blastReceived), refs: refs((t) => cpuPer1k(t.blastCpu, t.blastReceived)), lowerIsBetter: true,
      context: perThousand([...Object.entries(mine.blastParts), ...Object.entries(ref?.blastCpu ?? {}).map(([n, ms]) => [`${n} alone`, ms] as const)], mine.blastReceived, ref?.blastReceived),
    },
    {
      label: `CPU per 1,000 reactions, ${RATE} msg/s`, unit: 'ms', value: cpuPer1k(mine.pacedCpu, mine.paced.received), refs: refs((t) => cpuPer1k(t.pacedCpu, t.paced.received)), lowerIsBetter: true,
      context: perThousand([...Object.entries(mine.pacedParts), ...Object.entries(ref?.pacedCpu ?? {}).map(([n, ms]) => [`${n} alone`, ms] as const)], mine.paced.received, ref?.paced.received),
    },
    {
      label: 'rule runs dropped by the flood guard (default limits)', unit: '', value: counters.floodDropped ?? NaN, lowerIsBetter: true,
      context: {
        runs: counters.runs ?? NaN, 'skipped (mode)': counters.skipped ?? NaN, 'loop guard stops': counters.guardStops ?? NaN, errors: counters.errors ?? NaN,
        'waited in the backlog': counters.backlogWaited ?? NaN, 'skipped, backlog full': counters.backlogFull ?? NaN,
      },
      target: { text: 'none dropped or skipped at default settings', met: (counters.floodDropped ?? 0) === 0 && (counters.skipped ?? 0) === 0 && (counters.backlogFull ?? 0) === 0 },
    },
  ];
  for (const [name, t] of tallies) {
    details.push(
      `${name}: closed loop ${t.rates.map(Math.round).join(', ')} reactions/s; ${RATE} msg/s p50 ${t.p50.map((v) => round(v)).join(', ')} ms, p99 ${t.p99.map((v) => round(v)).join(', ')} ms, p99.9 ${t.p999.map((v) => round(v)).join(', ')} ms; ` +
        `CPU ms closed loop ${cpuText({ ...t.blastCpu, ...t.blastParts })} for ${t.blastReceived} reactions, paced ${cpuText({ ...t.pacedCpu, ...t.pacedParts })} for ${t.paced.received}`,
    );
  }
  // Where the tail comes from: how many 100 ms slots of each round had an answer slower than 10 ms, and the worst.
  for (const [name, t] of tallies) {
    const rounds = t.slots.map((slots) => {
      const slow = slots.map((ms, k) => [k, ms] as const).filter(([, ms]) => ms > 10);
      const worst = slots.reduce((w, ms, k) => (ms > slots[w]! ? k : w), 0);
      return `${slow.length}/${slots.length} slots > 10 ms, worst ${round(slots[worst] ?? NaN, 1)} ms at ${(worst / 10).toFixed(1)} s`;
    });
    details.push(`${name} at ${RATE} msg/s, slowest answer per 100 ms of sending: ${rounds.join('; ')}`);
  }
  details.push(`rumah's rule counters after the run: ${JSON.stringify(counters)}`, `load average at the end ${load()}`);
  if (profileDir) {
    const files = fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profileDir, f));
    if (files.length) {
      details.push(...formatProfile(summarizeProfile(files, 25)));
      notes.push(`CPU profile of rumah kept in ${profileDir} (open it in Chrome DevTools → Performance).`);
    } else notes.push('no CPU profile of rumah was written (did it exit cleanly?)');
  }
  notes.push(
    `Medians of ${ROUNDS} alternating rounds. Closed loop: ${BLAST.toLocaleString('en-US')} messages, at most ${BLAST_WINDOW.toLocaleString('en-US')} outstanding; paced: ${RUN_MS - WARMUP_MS} ms measured after ${WARMUP_MS} ms.`,
    'rumah: each sensor topic a native device (state, history, ACL), default settings and rule guards; the account publish budgets are out of reach (100 devices share one account here).',
  );
  if (ref) notes.push('Node-RED: two hops through mosquitto (sensor → mosquitto → Node-RED → mosquitto → actuator), as a house running it has; its cost per message grows with the mqtt in nodes on one broker node (docs/benchmarks.md).');
  for (const d of details) log(`  ${d}`);
  if (mine.blastLost + mine.paced.sent - mine.paced.received > 0) notes.push('rumah lost reactions: see the flood guard row and the rule counters below');
  return { id: 'rules-nodered', title: 'Rules against Node-RED: 100 rules, reactions/s, latency at 5,000 msg/s, CPU (bench/rules-nodered.ts)', figures, notes, details };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.on('exit', killStarted);
  benchRulesNodeRed().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
