import crypto from 'node:crypto';
import fs from 'node:fs';
import { DeviceAcl } from '../devices/pairing/acl.js';
import { Candidates } from '../devices/pairing/candidates.js';
import { startSimulation, type ConventionName, type Simulation } from '../devices/simulator/index.js';
import type { EventBus } from '../server/core/event-bus.js';
import type { Device } from '../server/core/model.js';
import type { Registry } from '../server/core/registry.js';
import type { MqttIdentity } from '../server/mqtt/broker.js';
import { CONNECTIONS, TOPICS, WINDOW } from './fanin.js';
import { HubApi } from './lib/hub-api.js';
import { LoadGenerator } from './lib/loadgen.js';
import { homeTopics } from './lib/packets.js';
import { cpuMs, HOST, mainThreadCpuMs, prepareRumahData, RUMAH_YAML, sleep, startRumah, tempDir, type Rumah } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// Devices (issue 5, "Benchmark"), each figure beside its target:
//   1. discovery: 1,000 simulated devices (Home Assistant discovery, then native topics) connect at once to a fresh
//      hub; time until the registry (GET /api/devices) has all 1,000 online;
//   2. pairing: 1,000 simulated devices with fresh credentials connect while the join window is open; the bench
//      accepts each candidate through the REST API as it appears; time from opening the window until all 1,000 are
//      registered and online;
//   3. ACL cost: fan-in QoS 0 from 100 device-account publishers (every PUBLISH goes through DeviceAcl) against the
//      same load from admin publishers (unrestricted: no ACL), same hub, both at the same rates back to back; and
//      the check alone, timed in this process.

export interface DevicesOptions {
  /** Simulated devices for discovery and pairing (default 1,000). */
  devices?: number;
  /** Parts to run (default all). */
  parts?: Array<'discovery' | 'pairing' | 'acl'>;
  /** Give up waiting for discovery after this long (default 20 s). */
  discoveryTimeoutMs?: number;
  /** Stop pairing after this long (default 12 s, to keep the benchmark under a minute); the rest is projected. */
  pairTimeoutMs?: number;
  /** Fan-in step length (default 1,000 ms). */
  stepMs?: number;
  workers?: number;
}

const DEVICES = 1000;
const TARGET_MS = 10_000;
/** Hub settings: one shared account may own every device; 1,000+ MQTT connections from 127.0.0.1. */
const HUB_YAML = `${RUMAH_YAML}mqtt:\n  connectionsPerAddress: 5000\n`;
const POLL_MS = 100;
const ACCEPT_CONCURRENCY = 20;
/** Refused or busy (CONNACK 3) devices retry after 0.5 s, doubling up to 4 s (the simulator's default is 1 s … 30 s). */
const PAIR_BACKOFF = { initialMs: 500, maxMs: 4000 };
const SEED = 5;

interface HubDevice {
  id: string;
  availability: string;
  owner?: string;
}

export async function benchDevices(opts: DevicesOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const figures: Figure[] = [];
  const notes: string[] = [];
  const details: string[] = [];
  const count = opts.devices ?? DEVICES;
  const want = (part: 'discovery' | 'pairing' | 'acl'): boolean => !opts.parts || opts.parts.includes(part);
  const template = await makeTemplate();
  try {
    if (want('discovery')) {
      for (const convention of ['homeassistant', 'native'] as const) {
        const r = await discovery(template, convention, count, opts.discoveryTimeoutMs ?? 20_000, log);
        details.push(r.detail);
        figures.push({
          label: `discovery: ${fmt(count)} simulated ${convention === 'homeassistant' ? 'Home Assistant' : 'native'} devices connect at once → all in the registry and online (GET /api/devices)` +
            (Number.isFinite(r.doneMs) ? '' : ` — only ${fmt(r.online)} online after ${fmt(r.timeoutMs)} ms`),
          unit: 'ms', value: r.doneMs, lowerIsBetter: true,
          context: { 'all connected and announced (simulator)': r.connectedMs, 'first device online': r.firstMs },
          target: { text: `< ${fmt(TARGET_MS)} ms`, met: r.doneMs < TARGET_MS },
        });
        if (!Number.isFinite(r.doneMs)) notes.push(`discovery ${convention}: only ${fmt(r.online)} of ${fmt(count)} online (${fmt(r.registered)} registered) after ${fmt(r.timeoutMs)} ms.`);
      }
      notes.push(
        `Discovery: a fresh hub per convention (devices.maxPerAccount 5,000, mqtt.connectionsPerAddress 5,000: every device is on 127.0.0.1), ${fmt(count)} devices of the simulator (devices/simulator) in the bench process, ` +
          'one MQTT connection each, all started at once; telemetry at the simulator\'s default rate (one report per device every 5 s). ' +
          'Credentials: one shared device account made with the CLI (`rumah devices add`) before the hub starts. So only the first logins cost a scrypt; ' +
          'the rest hit the verified-password cache (one HMAC). With an account per device every first login is one scrypt, 2 at a time (see the pairing figures for what that costs). ' +
          `Time 0 is just before the simulation starts; the bench polls GET /api/devices every ${POLL_MS} ms (admin session) and stops when ${fmt(count)} devices are online.`,
      );
    }
    if (want('pairing')) await pairing(template, count, opts.pairTimeoutMs ?? 12_000, log, figures, notes, details);
    if (want('acl')) await aclCost(template, opts, log, figures, notes, details);
  } finally {
    fs.rmSync(template.dir, { recursive: true, force: true });
  }
  return { id: 'devices', title: 'Devices: discovery, pairing and ACL cost', figures, notes, details };
}

// --- helpers ---------------------------------------------------------------------------------------------------

interface Template {
  dir: string;
  creds: { username: string; password: string };
}

/** A data dir made once (rumah.yaml and the shared device account, by the CLI) and copied for every hub. */
async function makeTemplate(): Promise<Template> {
  const dir = tempDir('devices-template');
  return { dir, creds: await prepareRumahData(dir, HUB_YAML) };
}

/** A hub on a fresh copy of the template: empty registry, the shared device account. */
async function freshHub(name: string, template: Template): Promise<{ hub: Rumah; creds: { username: string; password: string }; api: HubApi }> {
  const dataDir = tempDir(name);
  fs.cpSync(template.dir, dataDir, { recursive: true });
  const creds = template.creds;
  const hub = await startRumah({ dataDir, removeData: true }, creds);
  try {
    return { hub, creds, api: await HubApi.login(hub.httpPort, hub.subscriber!) };
  } catch (err) {
    await hub.stop();
    throw err;
  }
}

async function devicesOnline(api: HubApi): Promise<{ registered: number; online: number }> {
  const { devices } = await api.get<{ devices: HubDevice[] }>('/api/devices');
  return { registered: devices.length, online: devices.filter((d) => d.availability === 'online').length };
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

/** Runs `fn` on every item, at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Bench-process CPU (the simulator's 1,000 clients run here), ms. */
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// --- 1. discovery ------------------------------------------------------------------------------------------------

interface DiscoveryRun {
  doneMs: number;
  connectedMs: number;
  firstMs: number;
  online: number;
  registered: number;
  timeoutMs: number;
  detail: string;
}

async function discovery(template: Template, convention: ConventionName, count: number, timeoutMs: number, log: (s: string) => void): Promise<DiscoveryRun> {
  const { hub, creds, api } = await freshHub(`devices-${convention}`, template);
  let sim: Simulation | undefined;
  let connectedMs = NaN;
  let firstMs = NaN;
  let doneMs = NaN;
  let last = { registered: 0, online: 0 };
  const hubCpu0 = cpuMs(hub.pid);
  const self0 = selfCpuMs();
  const t0 = performance.now();
  const watch = setInterval(() => {
    if (sim && Number.isNaN(connectedMs) && sim.stats.connected >= count) connectedMs = performance.now() - t0;
  }, 10);
  try {
    sim = await startSimulation({ url: `mqtt://${HOST}:${hub.port}`, devices: count, convention, credentials: creds, seed: SEED });
    while (performance.now() - t0 < timeoutMs) {
      last = await devicesOnline(api);
      const now = performance.now() - t0;
      if (Number.isNaN(firstMs) && last.online > 0) firstMs = now;
      if (last.online >= count) {
        doneMs = now;
        break;
      }
      await sleep(POLL_MS);
    }
    if (Number.isNaN(connectedMs) && sim.stats.connected >= count) connectedMs = performance.now() - t0;
    const hubCpu = cpuMs(hub.pid) - hubCpu0;
    const selfCpu = selfCpuMs() - self0;
    const s = sim.stats;
    const detail = `discovery ${convention}: all online at ${fmt(doneMs)} ms (connected per the simulator at ${fmt(connectedMs)} ms, first online at ${fmt(firstMs)} ms); ` +
      `${int(last.registered)} registered, ${int(last.online)} online; hub CPU ${fmt(hubCpu)} ms, bench process (simulator, poller) CPU ${fmt(selfCpu)} ms; ` +
      `simulator: ${int(s.attempts)} connection attempts, ${int(s.refused)} refused, ${int(s.errors)} errors, ${int(s.published)} messages published`;
    log(`  ${detail}`);
    return { doneMs, connectedMs, firstMs, online: last.online, registered: last.registered, timeoutMs, detail };
  } finally {
    clearInterval(watch);
    await sim?.stop({ abrupt: true });
    await hub.stop();
  }
}

// --- 2. pairing --------------------------------------------------------------------------------------------------

/** ms per scrypt (the hub's parameters: N 16384, r 8, p 1) when 2 run at once, as the hub's login gate runs them. */
async function scryptMs(rounds = 8): Promise<number> {
  const one = (): Promise<void> => new Promise((resolve, reject) =>
    crypto.scrypt('bench-password', crypto.randomBytes(16), 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err) => (err ? reject(err) : resolve())));
  await one();
  const t0 = performance.now();
  await Promise.all([0, 1].map(async () => {
    for (let i = 0; i < rounds; i++) await one();
  }));
  return (performance.now() - t0) / (2 * rounds);
}

async function pairing(template: Template, count: number, timeoutMs: number, log: (s: string) => void, figures: Figure[], notes: string[], details: string[]): Promise<void> {
  const { hub, api } = await freshHub('devices-pairing', template);
  let sim: Simulation | undefined;
  const seen = new Set<string>();
  const accepted = new Set<string>();
  let acceptErrors = 0;
  let lastAcceptError = '';
  let acceptLoopError: Error | undefined;
  let allSeenMs = NaN;
  let allAcceptedMs = NaN;
  let firstOnlineMs = NaN;
  let doneMs = NaN;
  let last = { registered: 0, online: 0 };
  let stop = false;
  const timeline: string[] = [];
  const hubCpu0 = cpuMs(hub.pid);
  const m0 = await hub.metrics();
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  try {
    await api.post('/api/pairing/open', { seconds: 600 });
    sim = await startSimulation({ url: `mqtt://${HOST}:${hub.port}`, devices: count, convention: 'native', pair: true, seed: SEED, backoff: PAIR_BACKOFF });
    // The admin's side: list the candidates, accept the new ones (ACCEPT_CONCURRENCY requests at a time), again.
    const accepting = (async () => {
      while (!stop) {
        const { candidates } = await api.get<{ candidates: Array<{ username: string }> }>('/api/pairing');
        const todo = candidates.map((c) => c.username).filter((u) => !accepted.has(u));
        for (const u of todo) seen.add(u);
        if (Number.isNaN(allSeenMs) && seen.size >= count) allSeenMs = elapsed();
        await pool(todo, ACCEPT_CONCURRENCY, async (username) => {
          try {
            await api.post(`/api/pairing/candidates/${encodeURIComponent(username)}/accept`);
            accepted.add(username);
          } catch (err) {
            acceptErrors++;
            lastAcceptError = (err as Error).message;
          }
        });
        if (Number.isNaN(allAcceptedMs) && accepted.size >= count) allAcceptedMs = elapsed();
        if (todo.length === 0) await sleep(POLL_MS);
      }
    })().catch((err: unknown) => {
      // Kept, not thrown here: the online poll below notices that nothing progresses, and the error is reported.
      acceptLoopError = err as Error;
    });
    let nextMark = 1000;
    while (elapsed() < timeoutMs) {
      last = await devicesOnline(api);
      if (Number.isNaN(firstOnlineMs) && last.online > 0) firstOnlineMs = elapsed();
      if (last.online >= count) {
        doneMs = elapsed();
        break;
      }
      if (elapsed() >= nextMark) {
        timeline.push(`${(nextMark / 1000).toFixed(0)} s: ${seen.size}/${accepted.size}/${last.online}`);
        nextMark += 1000;
      }
      await sleep(POLL_MS);
    }
    const endMs = elapsed();
    stop = true;
    await accepting;
    if (acceptLoopError) throw new Error(`pairing: listing or accepting candidates failed: ${acceptLoopError.message}`);
    const hubCpu = cpuMs(hub.pid) - hubCpu0;
    const m1 = await hub.metrics();
    const busy = (m1.rumah_mqtt_logins_busy_total ?? 0) - (m0.rumah_mqtt_logins_busy_total ?? 0);
    const s = sim.stats;
    await sim.stop({ abrupt: true });
    sim = undefined;
    await hub.stop();

    const perScrypt = await scryptMs();
    // Logins per paired device, each checked in one of the login gate's 2 slots: as a candidate the presented
    // password is hashed (one scrypt); that verification is cached, so its reconnect after the accept costs none.
    const SCRYPTS_PER_DEVICE = 1;
    const floorMs = SCRYPTS_PER_DEVICE * count * perScrypt;
    // Stopped early: the login work done so far (one scrypt per candidate seen), extrapolated to all of them. The
    // online count comes in bursts (see the timeline), so it is no base for a projection; the scrypt work is steady.
    const scryptsDone = seen.size;
    const projectedMs = Number.isFinite(doneMs) ? doneMs : scryptsDone > 0 ? (endMs * SCRYPTS_PER_DEVICE * count) / scryptsDone : NaN;
    const detail = `pairing: window opened at 0; ${Number.isFinite(doneMs) ? `all ${fmt(count)} online at ${fmt(doneMs)} ms` : `stopped at ${fmt(endMs)} ms`}: ` +
      `${int(seen.size)} candidates seen (all by ${fmt(allSeenMs)} ms), ${int(accepted.size)} accepted (all by ${fmt(allAcceptedMs)} ms), ${int(last.registered)} registered, ${int(last.online)} online (first at ${fmt(firstOnlineMs)} ms); ` +
      `${int(acceptErrors)} accept errors${lastAcceptError ? ` (last: ${lastAcceptError})` : ''}; ${int(busy)} logins refused busy (CONNACK 3: waited > mqtt.connectTimeout for a login slot); ` +
      `simulator: ${int(s.attempts)} connection attempts, ${int(s.refused)} refused, ${int(s.errors)} errors (the CONNACK 3s among them); hub CPU ${fmt(hubCpu)} ms over ${fmt(endMs)} ms (${fmt((100 * hubCpu) / endMs)}% of one core, ` +
      `${fmt(hubCpu / Math.max(1, scryptsDone))} ms per scrypt done); scrypt alone: ${fmt(perScrypt)} ms per scrypt with 2 at once (bench process, after the run)`;
    log(`  ${detail}`);
    details.push(detail, `pairing timeline (candidates seen / accepted / online): ${timeline.join(', ')}`);
    figures.push({
      label: `pairing: ${fmt(count)} simulated devices with fresh credentials, join window open → every candidate accepted (REST, ${ACCEPT_CONCURRENCY} at a time) → all registered and online` +
        (Number.isFinite(doneMs) ? '' : ` — PROJECTED (stopped at ${fmt(endMs)} ms with ${int(last.online)} online; login work done so far, extrapolated)`),
      unit: 'ms', value: Number.isFinite(doneMs) ? doneMs : projectedMs, lowerIsBetter: true,
      context: { [`scrypt alone, ${SCRYPTS_PER_DEVICE} per device, 2 at a time`]: floorMs, 'first device online': firstOnlineMs },
      target: { text: `< ${fmt(TARGET_MS)} ms`, met: Number.isFinite(doneMs) && doneMs < TARGET_MS },
    });
    notes.push(
      `Pairing: a fresh hub; POST /api/pairing/open {seconds: 600} at time 0, then ${fmt(count)} simulated native devices with \`pair: true\` (a random username and password each) ` +
        `connect at once (refused or busy ones retry after ${PAIR_BACKOFF.initialMs} ms doubling up to ${PAIR_BACKOFF.maxMs} ms). The bench lists GET /api/pairing and accepts ` +
        `every new candidate with POST /api/pairing/candidates/:name/accept, ${ACCEPT_CONCURRENCY} requests at a time; the hub drops the candidate's session and the device ` +
        `reconnects (after its backoff) as a device. Done when GET /api/devices has ${fmt(count)} online.` +
        (Number.isFinite(doneMs) ? '' : ` Stopped after ${fmt(timeoutMs)} ms to keep the benchmark under a minute (\`--pair-timeout-s 180\` runs it to the end); ` +
          `the figure is projected: elapsed × ${fmt(count)} ÷ the scrypts done so far (one per candidate seen).`),
      `Why pairing is slow: every paired device costs ${SCRYPTS_PER_DEVICE} scrypt (N 16384, r 8) in the MQTT login gate, which checks 2 logins at once: the hash of the ` +
        'password it presents as a candidate (primed into the verified cache, so its reconnect after the accept is free). ' +
        `At ${fmt(perScrypt)} ms per scrypt with 2 at once on this machine ` +
        `that is ${fmt(floorMs)} ms for ${fmt(count)} devices before anything else: on 2 cores with these parameters 1,000 pairings cannot fit in 10 s. ` +
        'The hub\'s CPU during pairing is almost all scrypt (details: hub CPU per scrypt done ≈ one scrypt). The login gate is first come, first served: ' +
        'the 1,000 candidates queue at once, so the accepted devices\' reconnections wait behind them until the queue\'s limit (mqtt.connectTimeout, 10 s) answers the rest with CONNACK 3; ' +
        'hence nothing is online before ~10 s, then devices come online in bursts.',
    );
  } finally {
    stop = true;
    await sim?.stop({ abrupt: true });
    if (hub.alive()) await hub.stop();
  }
}

// --- 3. ACL cost -------------------------------------------------------------------------------------------------

interface AclStep {
  rate: number;
  sent: number;
  received: number;
  /** Hub CPU per message, all threads and main thread, µs. */
  cpuUs: number;
  mainUs: number;
  pass: boolean;
  why: string;
}

interface Mode {
  name: string;
  gen: LoadGenerator;
  steps: AclStep[];
  /** Highest rate passed. */
  best: number;
}

const DRAIN_MS = 1000;
const MAX_LAG_MS = 200;

/** One fan-in step at a fixed rate, judged as bench/fanin.ts judges it (nothing lost, subscriber ≤ 200 ms behind). */
async function aclStep(hub: Rumah, gen: LoadGenerator, sub: RawClient, rate: number, stepMs: number): Promise<AclStep> {
  const base = sub.received;
  const cpu0 = cpuMs(hub.pid);
  const main0 = mainThreadCpuMs(hub.pid);
  let atEnd = NaN;
  const snap = setTimeout(() => (atEnd = sub.received - base), stepMs + 20);
  const run = await gen.run(rate, stepMs, WINDOW);
  clearTimeout(snap);
  if (Number.isNaN(atEnd)) atEnd = sub.received - base;
  const cpu = cpuMs(hub.pid) - cpu0;
  const main = mainThreadCpuMs(hub.pid) - main0;
  const deadline = performance.now() + DRAIN_MS;
  while (sub.received - base < run.sent && performance.now() < deadline && hub.alive() && !sub.closed) await sleep(5);
  const received = sub.received - base;
  const offered = Math.round((rate * stepMs) / 1000);
  let why = '';
  if (!hub.alive()) why = 'hub died';
  else if (sub.closed) why = 'the hub closed the subscriber';
  else if (run.closed > 0) why = `the hub closed ${run.closed} publishers`;
  else if (run.sent < 0.98 * offered) why = `only ${fmt((100 * run.sent) / offered)}% of the offered rate could be written`;
  else if (received !== run.sent) why = `${fmt(run.sent - received)} lost or still queued ${DRAIN_MS} ms after the end`;
  else if (run.sent - atEnd > Math.max(1000, (MAX_LAG_MS * rate) / 1000)) why = `subscriber ${fmt((1000 * (run.sent - atEnd)) / rate)} ms behind at the end`;
  // Per message actually sent: a step that could not write its whole rate is not charged for messages it never sent.
  const msgs = Math.max(run.sent, 1);
  return { rate, sent: run.sent, received, cpuUs: (cpu * 1000) / msgs, mainUs: (main * 1000) / msgs, pass: why === '', why };
}

/** Waits until nothing more arrives for 200 ms (at most 5 s). */
async function quiesce(sub: RawClient): Promise<void> {
  const deadline = performance.now() + 5000;
  let last = sub.received;
  let stableSince = performance.now();
  while (performance.now() < deadline) {
    await sleep(25);
    if (sub.received !== last) {
      last = sub.received;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= 200) return;
  }
}

/**
 * DeviceAcl.publish alone, in this process: ns per call for a device account publishing on its own topic (the
 * ownership lookup every device message goes through) and for the admin (returns at once), 1,000 devices indexed.
 */
function aclCheckNs(username: string): { device: number; admin: number } {
  const acl = new DeviceAcl(new Candidates());
  const topics = homeTopics(TOPICS);
  const devices = topics.map((topic, i): Partial<Device> => ({ id: `d${i}`, topic, commandTopic: `${topic}/set`, availabilityTopic: `${topic}/status`, owner: username }));
  const bus = { on: () => () => undefined } as unknown as EventBus;
  acl.attach(bus, { list: () => devices } as unknown as Registry);
  const time = (identity: MqttIdentity): number => {
    const calls = 2_000_000;
    let denied = 0;
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) if (acl.publish(identity, topics[i % topics.length]!)) denied++;
      runs.push(Number(process.hrtime.bigint() - t0) / calls);
    }
    if (denied) throw new Error(`DeviceAcl denied ${denied} publishes of the owner`);
    return median(runs);
  };
  return { device: time({ username, kind: 'device' }), admin: time({ username: 'admin', kind: 'admin' }) };
}

async function aclCost(template: Template, opts: DevicesOptions, log: (s: string) => void, figures: Figure[], notes: string[], details: string[]): Promise<void> {
  const stepMs = opts.stepMs ?? 1000;
  const workers = opts.workers ?? 2;
  const { hub, creds } = await freshHub('devices-acl', template);
  const admin = hub.subscriber!;
  const gens: LoadGenerator[] = [];
  let sub: RawClient | undefined;
  try {
    sub = await RawClient.connect({ host: HOST, port: hub.port, ...admin, clientId: 'bench-acl-sub' });
    await sub.subscribe('ourhome/#', 0);
    const on = await LoadGenerator.start(workers);
    gens.push(on);
    const off = await LoadGenerator.start(workers);
    gens.push(off);
    const t0 = performance.now();
    // The device account first: its publishes create the 1,000 devices, owned by it, so that the ACL check is the
    // one every device's telemetry goes through (ownership lookup, allowed). The admin's logins are scrypts (no
    // cache for dashboard users): they are made while the device account warms up.
    await on.connect({ host: HOST, port: hub.port, ...creds }, { connections: CONNECTIONS, topics: TOPICS, qos: 0, clientPrefix: 'bench-acl-on' });
    await Promise.all([
      off.connect({ host: HOST, port: hub.port, ...admin }, { connections: CONNECTIONS, topics: TOPICS, qos: 0, clientPrefix: 'bench-acl-off' }),
      on.run(5000, 1000, WINDOW),
    ]);
    await off.run(5000, 1000, WINDOW);
    await quiesce(sub);
    log(`  ACL: ${CONNECTIONS} device-account and ${CONNECTIONS} admin publishers connected and warmed up in ${fmt(performance.now() - t0)} ms`);

    const modes: Mode[] = [
      { name: 'ACL on', gen: on, steps: [], best: 0 },
      { name: 'ACL off', gen: off, steps: [], best: 0 },
    ];
    const [aclOnMode, aclOffMode] = modes as [Mode, Mode];
    /** One step at `rate`; the passing step, or undefined. */
    const attempt = async (mode: Mode, rate: number): Promise<AclStep | undefined> => {
      const st = await aclStep(hub, mode.gen, sub!, rate, stepMs);
      mode.steps.push(st);
      log(`    ${mode.name.padEnd(7)} ${fmt(rate).padStart(7)} msg/s: ${st.pass ? 'ok  ' : 'FAIL'} sent ${fmt(st.sent)} received ${fmt(st.received)} · hub CPU ${fmt(st.cpuUs)} µs/msg (main thread ${fmt(st.mainUs)})${st.why ? ` — ${st.why}` : ''}`);
      await quiesce(sub!);
      await sleep(100);
      if (!hub.alive() || sub!.closed) throw new Error(`ACL fan-in: ${st.why}`);
      if (!st.pass) return undefined;
      mode.best = Math.max(mode.best, rate);
      return st;
    };
    // Rounds: both publish at the same rate, one after the other, the order alternating (ABBA), so load that comes
    // and goes on the shared machine falls on both alike. The rate goes up ×1.5 while both pass, then bisects between
    // the highest both passed and the lowest either failed, to within 15%. Every round both passed is a paired
    // comparison of CPU per message.
    const pairs: Array<{ rate: number; on: AclStep; off: AclStep }> = [];
    let lo = 0;
    let hi = Infinity;
    let rate = 24_000;
    let round = 0;
    const runRound = async (r: number): Promise<boolean> => {
      const order = round++ % 2 === 0 ? [aclOnMode, aclOffMode] : [aclOffMode, aclOnMode];
      const got = new Map<Mode, AclStep | undefined>();
      for (const mode of order) got.set(mode, await attempt(mode, r));
      // One passed, the other failed: the failed one is taken again at once, so that a split needs two failures
      // in a row (one late subscriber on a shared CPU is not the hub's limit).
      for (const mode of order) if (!got.get(mode) && got.get(mode === aclOnMode ? aclOffMode : aclOnMode)) got.set(mode, await attempt(mode, r));
      const [a, b] = [got.get(aclOnMode), got.get(aclOffMode)];
      if (a && b) pairs.push({ rate: r, on: a, off: b });
      return a !== undefined && b !== undefined;
    };
    const MAX_ROUNDS = 5;
    while (round < MAX_ROUNDS) {
      if (await runRound(rate)) lo = rate;
      else hi = rate;
      if (hi !== Infinity && hi / Math.max(lo, 1) <= 1.15) break;
      rate = Math.round((hi === Infinity ? rate * 1.5 : lo === 0 ? rate / 1.5 : Math.sqrt(lo * hi)) / 1000) * 1000;
    }
    // At least MIN_PAIRS paired comparisons of CPU per message (one pair moves by ±5% on this machine): more
    // rounds at 80% of the highest rate both passed.
    const MIN_PAIRS = 5;
    const pairRate = Math.max(5000, Math.round((0.8 * (lo || rate / 2)) / 1000) * 1000);
    for (let extra = 0; pairs.length < MIN_PAIRS && extra < 3; extra++) await runRound(pairRate);
    log(`  ACL: ${fmt((performance.now() - t0) / 1000)} s`);
    const check = aclCheckNs(creds.username);

    const [aclOn, aclOff] = [aclOnMode.best, aclOffMode.best];
    const ratio = aclOn / aclOff;
    figures.push({
      label: `ACL cost: fan-in QoS 0, ${CONNECTIONS} device-account publishers (DeviceAcl on every PUBLISH) → 1 subscriber, sustained, nothing lost`,
      unit: 'msg/s', value: aclOn, refs: { 'same hub, admin publishers (no ACL)': aclOff },
      target: aclOn > 0 && aclOff > 0 ? { text: '≥ 95% of ACL off (ACL cost < 5%), rates bracketed to 15%', met: ratio >= 0.95 } : undefined,
    });
    const cpuRatio = median(pairs.map((p) => p.on.cpuUs / p.off.cpuUs));
    const mainRatio = median(pairs.map((p) => p.on.mainUs / p.off.mainUs));
    // The pair at the highest rate both passed, for absolute figures.
    const top = pairs.reduce<(typeof pairs)[number] | undefined>((m, p) => (!m || p.rate > m.rate ? p : m), undefined);
    figures.push({
      label: `ACL cost: hub CPU per message, ACL on ÷ ACL off, same rate back to back (median of ${pairs.length} pairs at ${[...new Set(pairs.map((p) => fmt(p.rate / 1000) + 'k'))].join(', ')} msg/s), all threads`,
      unit: '×', value: cpuRatio, lowerIsBetter: true,
      context: { 'main thread only': mainRatio },
      target: Number.isFinite(cpuRatio) ? { text: '≤ 1.05 (ACL cost < 5%)', met: cpuRatio <= 1.05 } : undefined,
    });
    if (top) {
      figures.push({
        label: `ACL cost: hub CPU per message at ${fmt(top.rate)} msg/s (highest rate both passed), all threads`,
        unit: 'µs', value: top.on.cpuUs, refs: { 'admin publishers (no ACL)': top.off.cpuUs }, lowerIsBetter: true,
        context: { 'ACL on, main thread only': top.on.mainUs, 'ACL off, main thread only': top.off.mainUs },
      });
    }
    figures.push({
      label: 'ACL cost: DeviceAcl.publish alone (in-process, 1,000 devices indexed): a device account on its own topic',
      unit: 'ns', value: check.device, refs: { admin: check.admin }, lowerIsBetter: true,
    });
    const cpuOff = top?.off.cpuUs ?? NaN;
    const share = (100 * (check.device - check.admin)) / (1000 * cpuOff);
    figures.push({
      label: `ACL cost: that check's extra time as a share of the hub's CPU per message (ACL off${top ? `, ${fmt(top.rate)} msg/s` : ''})`,
      unit: '%', value: share, lowerIsBetter: true,
      target: Number.isFinite(share) ? { text: '< 5%', met: share < 5 } : undefined,
    });
    for (const mode of modes) {
      details.push(`ACL ${mode.name === 'ACL on' ? 'on (device account)' : 'off (admin)'}: best ${fmt(mode.best)} msg/s; steps in order (k msg/s, hub CPU µs/msg all threads/main): ` +
        mode.steps.map((s) => `${fmt(s.rate / 1000)}k ${s.pass ? 'ok' : 'FAIL'} ${fmt(s.cpuUs)}/${fmt(s.mainUs)}`).join(', '));
    }
    details.push(`ACL pairs (rate: CPU µs/msg on/off = ratio): ${pairs.map((p) => `${fmt(p.rate / 1000)}k: ${fmt(p.on.cpuUs)}/${fmt(p.off.cpuUs)} = ${(p.on.cpuUs / p.off.cpuUs).toFixed(3)}`).join(', ')}`);
    notes.push(
      `ACL cost: one fresh hub, one admin subscriber on ourhome/# (QoS 0), two load generators connected to it at once (bench/fanin.ts's load: ${CONNECTIONS} connections, ` +
        `${TOPICS} topics, ~60-byte JSON, QoS 0): one logs in with a device account (the 1,000 devices are its own, so every PUBLISH goes through DeviceAcl's ownership check and is allowed), ` +
        'the other with the admin (unrestricted: DeviceAcl returns at once). Only one generator publishes at a time. ' +
        `(a) Highest sustained rate by bench/fanin.ts's pass rule (nothing lost, subscriber ≤ 200 ms behind), ${stepMs / 1000} s steps; each round runs both at the same rate back to back, ` +
        `the order alternating (ABBA); from 24,000 msg/s up ×1.5 while both pass, then bisecting to within 15%, at most ${MAX_ROUNDS} rounds; when one passes and the other fails, the failed one is taken again at once (a split needs two failures in a row). ` +
        'On this shared 2-core machine the highest rate moves by ±20% between runs for the same hub, so (a) resolves 15%, not 5%. ' +
        '(b) Hub CPU per message (/proc, all threads), ACL on ÷ ACL off for each round both passed (5 wanted: up to 3 extra rounds at 80% of the highest common rate; one pair alone moves by ±5% here): the steadier figure. ' +
        '(c) The check alone, timed in the bench process (2,000,000 calls, median of 5), set against the hub\'s CPU per message: the cost that (a) and (b) are trying to see through the noise.',
    );
  } finally {
    for (const g of gens) {
      await g.disconnect().catch(() => undefined);
      await g.stop();
    }
    await sub?.close();
    await hub.stop();
  }
}
