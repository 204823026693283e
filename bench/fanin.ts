import fs from 'node:fs';
import path from 'node:path';
import { LoadGenerator, type Endpoint } from './lib/loadgen.js';
import { generatorCeiling } from './lib/generator-ceiling.js';
import { RawClient } from './lib/raw-client.js';
import type { Dialect } from './lib/dialect.js';
import { cpuMs, HOST, mainThreadCpuMs, prepareRumahData, RUMAH_YAML, sleep, startMosquitto, startNodeServer, startRumah, tempDir, type Rumah, type Server } from './lib/procs.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { formatProfile, summarizeProfile } from './lib/cpuprofile.js';

// Telemetry fan-in: 100 device connections publish ~60-byte JSON readings on 1,000 home topics, one subscriber
// on `ourhome/#`. The figure is the highest offered rate a broker sustains with nothing lost, found by stepping
// the rate (doubling until a step fails, then bisecting).

export interface FaninOptions {
  mosquitto?: string;
  stepMs?: number;
  workers?: number;
  qos?: Array<0 | 1>;
  /** Write a V8 CPU profile of the rumah process and summarise it. */
  profile?: boolean;
  /** Only these brokers (default all). */
  brokers?: string[];
}

export const CONNECTIONS = 100;
export const TOPICS = 1000;
/** QoS 1: PUBACKs each publisher may wait for (mosquitto's default max_inflight_messages). */
export const WINDOW = 20;
/** After the last write, how long the subscriber may take to receive the rest. */
const DRAIN_MS = 1000;
/** The subscriber may be this far behind (in time at the offered rate) when a step's time is up. */
const MAX_LAG_MS = 200;
const MAX_STEPS = 9;

export interface Step {
  rate: number;
  sent: number;
  received: number;
  acked: number;
  genCpuPct: number[];
  brokerCpuPct: number;
  /** The broker's main thread (event loop) only. */
  brokerMainCpuPct: number;
  /** The bench process, where the subscriber counts deliveries. */
  subCpuPct: number;
  pass: boolean;
  why: string;
}

export interface SearchResult {
  best: number;
  steps: Step[];
  /** Highest rate the generator wrote in any step. */
  genRate: number;
}

interface Session {
  server: Server;
  gen: LoadGenerator;
  sub: RawClient;
  /** A persistent subscriber's session is ended (clean connect) before the broker stops, so none is left in its store. */
  endSubscriberSession?: () => Promise<void>;
}

async function runStep(s: Session, qos: 0 | 1, rate: number, stepMs: number): Promise<Step> {
  const { gen, sub, server } = s;
  const base = sub.received;
  const cpu0 = cpuMs(server.pid);
  const main0 = mainThreadCpuMs(server.pid);
  const subCpu0 = process.cpuUsage();
  let atEnd = NaN;
  const snap = setTimeout(() => (atEnd = sub.received - base), stepMs + 20);
  const run = await gen.run(rate, stepMs, WINDOW);
  clearTimeout(snap);
  if (Number.isNaN(atEnd)) atEnd = sub.received - base;
  const brokerCpu = cpuMs(server.pid) - cpu0;
  const brokerMainCpu = mainThreadCpuMs(server.pid) - main0;
  const subCpu = process.cpuUsage(subCpu0);
  const deadline = performance.now() + DRAIN_MS;
  while (sub.received - base < run.sent && performance.now() < deadline && server.alive() && !sub.closed) await sleep(5);
  const received = sub.received - base;
  // rumah must also have kept up with what the messages mean: its history queue empties within the same drain
  // time (a queue that only grows would end in dropped rows).
  let backlog = 0;
  if (server.backlog && server.alive()) {
    while ((backlog = await server.backlog()) > 0 && performance.now() < deadline) await sleep(20);
  }
  const offered = Math.round((rate * stepMs) / 1000);
  const lagAtEnd = run.sent - atEnd;
  let why = '';
  if (!server.alive()) why = `broker died: ${server.output().trim().split('\n').slice(-3).join(' | ')}`;
  else if (sub.closed) why = 'the broker closed the subscriber';
  else if (run.closed > 0) why = `the broker closed ${run.closed} publishers`;
  else if (run.sent < 0.98 * offered) why = `only ${fmt((100 * run.sent) / offered)}% of the offered rate could be written (TCP pushed back)`;
  else if (received < run.sent) why = `${fmt(run.sent - received)} lost or still queued ${DRAIN_MS} ms after the end`;
  else if (received > run.sent) why = `${fmt(received - run.sent)} more received than sent (duplicates)`;
  else if (qos === 1 && run.acked < run.sent) why = `${fmt(run.sent - run.acked)} PUBACKs missing`;
  else if (lagAtEnd > Math.max(1000, (MAX_LAG_MS * rate) / 1000)) why = `subscriber ${fmt((1000 * lagAtEnd) / rate)} ms behind at the end`;
  else if (backlog > 0) why = `${fmt(backlog)} state changes not yet in history ${DRAIN_MS} ms after the end`;
  return {
    rate, sent: run.sent, received, acked: run.acked,
    genCpuPct: run.cpuMs.map((c) => (100 * c) / stepMs),
    brokerCpuPct: (100 * brokerCpu) / (run.elapsedMs || stepMs),
    brokerMainCpuPct: (100 * brokerMainCpu) / (run.elapsedMs || stepMs),
    subCpuPct: (subCpu.user + subCpu.system) / 10 / stepMs,
    pass: why === '', why,
  };
}

/** How a search runs (bench/broker-store.ts shortens it); every field defaults to what `npm run bench -- --only fanin` does. */
export interface SearchTuning {
  /** First rate offered (default 40,000 msg/s for QoS 0, 20,000 for QoS 1). */
  startRate?: number;
  /** At most this many steps per broker (default 9). */
  maxSteps?: number;
  /** Stop once the failing rate is within this factor of the passing one (default 1.1). */
  narrow?: number;
  /**
   * Restart the broker after a failed step (default true: an overloaded bare aedes does not recover). false keeps
   * the session unless the broker died or closed a connection (a broker with flow control, such as rumah, recovers).
   */
  restartOnFail?: boolean;
  /** The subscriber keeps a persistent session (clean=false; a clean connection first ends any earlier one). */
  persistentSubscriber?: boolean;
}

/** A broker with its subscriber and the generator's connections, warmed up. */
async function openSession(start: () => Promise<Server>, qos: 0 | 1, workers: number, persistentSubscriber = false, dialect?: Dialect): Promise<Session> {
  const server = await start();
  const to: Endpoint = { host: HOST, port: server.port, username: server.username, password: server.password };
  const gen = await LoadGenerator.start(workers);
  let sub: RawClient | undefined;
  try {
    const subOpts = { ...to, ...server.subscriber, clientId: `bench-sub-${qos}`, protocolVersion: dialect?.version };
    if (persistentSubscriber) await (await RawClient.connect(subOpts)).close();
    sub = await RawClient.connect({ ...subOpts, clean: !persistentSubscriber });
    await sub.subscribe('ourhome/#', qos);
    await gen.connect(to, { connections: CONNECTIONS, topics: TOPICS, qos, clientPrefix: `bench-q${qos}`, dialect });
    // Warm-up: every topic published a few times (rumah creates its 1,000 devices here), JIT warmed.
    const warm = await gen.run(5000, 1000, WINDOW);
    // Everything the warm-up sent arrives before the first step counts (on a loaded machine 200 ms of silence,
    // all quiesce waits for, came while some was still on its way, and the step counted it as duplicates).
    const deadline = performance.now() + 10_000;
    while (sub.received < warm.sent && performance.now() < deadline && server.alive() && !sub.closed) await sleep(10);
    await sub.quiesce();
    const endSubscriberSession = persistentSubscriber ? async () => void (await (await RawClient.connect(subOpts)).close()) : undefined;
    return { server, gen, sub, endSubscriberSession };
  } catch (err) {
    await gen.stop();
    await sub?.close();
    await server.stop();
    throw err;
  }
}

export interface BrokerSpec {
  name: string;
  start: () => Promise<Server>;
  /** Called with a running broker before it is stopped (rumah: read its /metrics). */
  onClose?: (s: Server) => Promise<void>;
  /** How the publishers and the subscriber speak (MQTT 3.1.1 when absent). */
  dialect?: Dialect;
}

/**
 * One broker's search for its highest sustained rate: doubling until a step fails, then bisecting to within 10%.
 * After a failed step the broker is restarted: an overloaded bare aedes does not recover (it goes on at a fraction
 * of its rate until it dies, as issue 2 describes), and the next step must measure the broker, not the hangover.
 */
export class Search {
  readonly steps: Step[] = [];
  done = false;
  error?: Error;
  private rate: number;
  private lo = 0;
  private hi = Infinity;
  private session?: Session;

  constructor(readonly spec: BrokerSpec, private readonly qos: 0 | 1, private readonly stepMs: number, private readonly workers: number, private readonly log: (s: string) => void,
    private readonly tuning: SearchTuning = {}) {
    this.rate = tuning.startRate ?? (qos === 0 ? 40_000 : 20_000);
  }

  get result(): SearchResult {
    return {
      best: this.steps.filter((s) => s.pass).reduce((m, s) => Math.max(m, s.rate), 0),
      steps: this.steps,
      genRate: this.steps.reduce((m, s) => Math.max(m, s.sent / (this.stepMs / 1000)), 0),
    };
  }

  /** Runs the next step; `done` once the bracket is narrow enough, the steps are used up, or it failed. */
  async step(): Promise<void> {
    try {
      this.session ??= await openSession(this.spec.start, this.qos, this.workers, this.tuning.persistentSubscriber, this.spec.dialect);
      const step = await runStep(this.session, this.qos, this.rate, this.stepMs);
      this.steps.push(step);
      this.log(`    ${this.spec.name} QoS ${this.qos} ${fmt(this.rate).padStart(9)} msg/s: ${step.pass ? 'ok  ' : 'FAIL'} sent ${fmt(step.sent)} received ${fmt(step.received)}` +
        ` · CPU % broker ${fmt(step.brokerCpuPct)} (main thread ${fmt(step.brokerMainCpuPct)}) generator ${step.genCpuPct.map((c) => fmt(c)).join('+')} subscriber ${fmt(step.subCpuPct)}${step.why ? ` — ${step.why}` : ''}`);
      if (step.pass) {
        this.lo = this.rate;
        await this.session.sub.quiesce();
      } else {
        this.hi = this.rate;
        const broken = !this.session.server.alive() || this.session.sub.closed || step.why.includes('closed');
        if (this.tuning.restartOnFail === false && !broken) await this.session.sub.quiesce();
        else await this.close();
      }
      const narrow = this.hi !== Infinity && this.hi / Math.max(this.lo, 1) <= (this.tuning.narrow ?? 1.1);
      if (narrow || this.steps.length >= (this.tuning.maxSteps ?? MAX_STEPS)) return this.finish();
      const next = this.hi === Infinity ? this.rate * 2 : this.lo === 0 ? this.rate / 2 : Math.sqrt(this.lo * this.hi);
      this.rate = Math.round(next / 1000) * 1000;
      // Rates are whole thousands: between 19k and 20k the next would be 19k again, forever.
      if (this.rate === this.lo || this.rate === this.hi) return this.finish();
    } catch (err) {
      this.error = err as Error;
      this.log(`    ${this.spec.name} QoS ${this.qos} FAILED: ${this.error.message}`);
      await this.finish();
    }
  }

  async finish(): Promise<void> {
    this.done = true;
    await this.close();
  }

  private async close(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    await s.gen.disconnect().catch(() => undefined);
    await s.gen.stop();
    await s.sub.close();
    if (s.server.alive()) await s.endSubscriberSession?.().catch(() => undefined);
    if (s.server.alive()) await this.spec.onClose?.(s.server).catch(() => undefined);
    await s.server.stop();
  }
}

/**
 * The brokers' searches, one step each in turn: on a CPU shared with other work, load that comes and goes then
 * falls on all of them alike, which keeps the ratios honest. Idle brokers and their connections cost nothing.
 */
export async function searchAll(specs: BrokerSpec[], qos: 0 | 1, stepMs: number, workers: number, log: (s: string) => void, tuning?: SearchTuning): Promise<Search[]> {
  const searches = specs.map((spec) => new Search(spec, qos, stepMs, workers, log, tuning));
  try {
    while (searches.some((s) => !s.done)) {
      for (const s of searches) {
        if (!s.done) await s.step();
        await sleep(200);
      }
    }
  } finally {
    for (const s of searches) if (!s.done) await s.finish();
  }
  return searches;
}

export async function benchFanin(opts: FaninOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const stepMs = opts.stepMs ?? 2000;
  const workers = opts.workers ?? 2;
  const qosList = opts.qos ?? [0, 1];
  const want = (name: string): boolean => !opts.brokers || opts.brokers.includes(name);
  const notes: string[] = [];
  const details: string[] = [];
  const results = new Map<string, Map<0 | 1, SearchResult>>();

  const ceiling = await generatorCeiling(workers, 2000, { connections: CONNECTIONS, topics: TOPICS });
  log(`  generator alone into a discard server: ${fmt(ceiling.rate)} msg/s, worker CPU ${ceiling.cpuPct.map((c) => `${fmt(c)}%`).join(' + ')}`);

  const profileRoot = opts.profile ? tempDir('cpuprof') : undefined;
  const profileArgs = (name: string): string[] => (profileRoot ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileRoot, name)] : []);
  // rumah: one data dir (device account, devices.maxPerAccount 5000) for every start.
  let rumahData: { dataDir: string; creds: { username: string; password: string } } | undefined;
  const history = { written: 0, dropped: 0, changes: 0, devices: 0 };
  const specs: BrokerSpec[] = [];
  if (opts.mosquitto) specs.push({ name: 'mosquitto', start: () => startMosquitto(opts.mosquitto!) });
  else notes.push('mosquitto is not installed: no mosquitto reference in this run.');
  specs.push({ name: 'bare aedes', start: () => startNodeServer('bare aedes', 'aedes.js', profileArgs('aedes')) });
  specs.push({
    name: 'rumah',
    start: async () => {
      if (!rumahData) {
        const dataDir = tempDir('fanin');
        rumahData = { dataDir, creds: await prepareRumahData(dataDir, RUMAH_YAML) };
      }
      return startRumah({ dataDir: rumahData.dataDir, nodeArgs: profileArgs('rumah') }, rumahData.creds);
    },
    onClose: async (server) => {
      const m = await (server as Rumah).metrics();
      history.written += m.rumah_history_written_total ?? 0;
      history.dropped += m.rumah_history_dropped_total ?? 0;
      history.changes += m.rumah_state_changes_total ?? 0;
      history.devices = Math.max(history.devices, m.rumah_devices ?? 0);
    },
  });
  const chosen = specs.filter((s) => want(s.name));
  try {
    for (const qos of qosList) {
      for (const search of await searchAll(chosen, qos, stepMs, workers, log)) {
        const byQos = results.get(search.spec.name) ?? new Map<0 | 1, SearchResult>();
        results.set(search.spec.name, byQos);
        if (search.error) notes.push(`${search.spec.name} QoS ${qos}: ${search.error.message}`);
        else byQos.set(qos, search.result);
      }
    }
  } finally {
    if (rumahData) fs.rmSync(rumahData.dataDir, { recursive: true, force: true });
  }
  if (results.has('rumah')) {
    notes.push(
      `rumah ran with registry and history on: ${fmt(history.devices)} devices; over all its starts ${fmt(history.changes)} state changes, ` +
        `${fmt(history.written)} history rows written, ${fmt(history.dropped)} dropped because the history queue was full.`,
    );
  }
  const profileLines: string[] = [];
  for (const name of profileRoot ? ['rumah', 'aedes'].filter((n) => want(n === 'aedes' ? 'bare aedes' : n)) : []) {
    const dir = path.join(profileRoot!, name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)) : [];
    if (!files.length) {
      notes.push(`no CPU profile of ${name} was written (did it exit cleanly?)`);
      continue;
    }
    const [head, ...rest] = formatProfile(summarizeProfile(files));
    notes.push(`CPU profiles of ${name} kept in ${dir} (open them in Chrome DevTools → Performance).`);
    const lines = [`${name === 'aedes' ? 'bare aedes' : 'rumah'}: ${head}`, ...rest];
    profileLines.push(...lines);
    for (const l of lines) log(`  ${l}`);
  }

  const figures: Figure[] = [];
  for (const qos of qosList) {
    const get = (name: string): number => results.get(name)?.get(qos)?.best ?? NaN;
    const refs: Record<string, number> = {};
    if (results.has('bare aedes')) refs['bare aedes'] = get('bare aedes');
    if (results.has('mosquitto')) refs.mosquitto = get('mosquitto');
    const aedes = get('bare aedes');
    figures.push({
      label: `fan-in QoS ${qos}: 100 publishers → 1 subscriber, sustained, nothing lost`,
      unit: 'msg/s',
      value: get('rumah'),
      refs,
      target: Number.isFinite(aedes) && results.has('rumah') ? { text: '≥ 70% of bare aedes', met: get('rumah') >= 0.7 * aedes } : undefined,
    });
  }
  // CPU per message at each broker's best step: steadier than the rates on a shared CPU, and it says where the
  // difference comes from (the main thread, or SQLite and GC on other threads).
  for (const qos of qosList) {
    const perMsg = (name: string, main = false): number => {
      const r = results.get(name)?.get(qos);
      const best = r?.steps.find((s) => s.pass && s.rate === r.best);
      return best ? ((main ? best.brokerMainCpuPct : best.brokerCpuPct) * 10_000) / best.rate : NaN;
    };
    const refs: Record<string, number> = {};
    if (results.has('bare aedes')) refs['bare aedes'] = perMsg('bare aedes');
    if (results.has('mosquitto')) refs.mosquitto = perMsg('mosquitto');
    if (!results.has('rumah')) continue;
    figures.push({
      label: `fan-in QoS ${qos}: broker CPU per message at its best step, all threads`, unit: 'µs', value: perMsg('rumah'), refs, lowerIsBetter: true,
      context: { 'rumah main thread only': perMsg('rumah', true), 'bare aedes main thread only': perMsg('bare aedes', true) },
    });
  }
  const genRate = Math.max(...[...results.values()].flatMap((m) => [...m.values()].map((r) => r.genRate)), 0);
  notes.push(
    `Load: ${CONNECTIONS} publisher connections in ${workers} worker processes (raw sockets, pre-encoded packets), ${TOPICS} topics ourhome/<floor>/<room>/<thing>, ` +
      `~60-byte JSON whose temperature changes on every message (so each message is ≥ 1 state change and 1 history row in rumah); ` +
      `the subscriber (ourhome/#, same QoS; rumah's admin account, since device accounts may only subscribe to their command topics) counts frames in the bench process. QoS 1 publishers keep at most ${WINDOW} PUBACKs outstanding each.`,
    `A step offers a fixed rate for ${stepMs / 1000} s. It passes when ≥ 98% of it could be written, the subscriber received exactly what was sent, ` +
      `was at most ${MAX_LAG_MS} ms behind when the time was up and had everything ${DRAIN_MS} ms later; for rumah, its history queue was empty by then too ` +
      `(every state change in SQLite: registry and history kept up, not only the routing). Rates double until a step fails, then bisect to within 10%; ` +
      'after a failed step the broker is restarted. The brokers take their steps in turn (mosquitto, aedes, rumah, mosquitto...), so load from other work falls on all alike.',
    'rumah limits each client to mqtt.publishRate (5,000/s, burst 10,000): 100 clients × 5,000 = 500,000 msg/s, above every rate reached here, so that limit does not bind. ' +
      'Its global bound (every client waits while ≥ 1,000 publishes are queued in mqemitter) can.',
    `The generator is not the bottleneck: it wrote up to ${fmt(genRate)} msg/s in these steps (against mosquitto), using a fraction of a core per worker (see the CPU % per step), ` +
      `and ${fmt(ceiling.rate)} msg/s into a discard server (worker CPU ${ceiling.cpuPct.map((c) => `${fmt(c)}%`).join(' + ')}).`,
    "mosquitto's QoS 1 queue limits were raised (max_inflight_messages 1000, max_queued_messages 1,000,000), so that it is limited by speed, not by dropping.",
  );
  figures.push({
    label: 'load generator (not rumah): highest rate it wrote in a step (against mosquitto)',
    unit: 'msg/s',
    value: genRate,
    context: { 'alone into a discard server': ceiling.rate },
    note: 'not a rumah figure',
  });
  for (const [name, byQos] of results) {
    for (const [qos, r] of byQos) {
      details.push(`${name} QoS ${qos}: best ${fmt(r.best)} msg/s; steps (k msg/s, broker CPU: all threads, main thread): ` +
        r.steps.map((s) => `${fmt(s.rate / 1000)}k ${s.pass ? 'ok' : 'FAIL'} ${fmt(s.brokerCpuPct)}% (main ${fmt(s.brokerMainCpuPct)}%)`).join(', '));
    }
  }
  details.push(...profileLines);
  return { id: 'fanin', title: 'Telemetry fan-in', figures, notes, details };
}
