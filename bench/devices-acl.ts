import { pino } from 'pino';
import { DeviceAcl } from '../devices/pairing/acl.js';
import { createNativeConvention } from '../devices/native/index.js';
import { Candidates } from '../devices/pairing/candidates.js';
import type { EventBus } from '../server/core/event-bus.js';
import type { Device } from '../server/core/model.js';
import type { Registry } from '../server/core/registry.js';
import type { MqttIdentity } from '../server/mqtt/broker.js';
import { CONNECTIONS, TOPICS, WINDOW } from './fanin.js';
import { LoadGenerator } from './lib/loadgen.js';
import { homeTopics } from './lib/packets.js';
import { cpuMs, HOST, mainThreadCpuMs, sleep, type Rumah } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';
import { freshHub, type Template } from './lib/device-hub.js';
import type { DevicesOptions } from './devices.js';

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

/**
 * DeviceAcl.publish alone, in this process: ns per call for a device account publishing on its own topic (the
 * ownership lookup every device message goes through) and for the admin (returns at once), 1,000 devices indexed.
 */
function aclCheckNs(username: string): { device: number; admin: number } {
  const acl = new DeviceAcl(new Candidates());
  const topics = homeTopics(TOPICS);
  const devices = topics.map((topic, i): Partial<Device> => ({ id: `d${i}`, convention: 'native', topic, commandTopic: `${topic}/set`, availabilityTopic: `${topic}/status`, owner: username }));
  const bus = { on: () => () => undefined } as unknown as EventBus;
  // The native convention, as in the hub: each device owns `<topic>/#` (Convention.ownedFilters).
  const conventions = [createNativeConvention({ log: pino({ level: 'silent' }), now: Date.now, getDevice: () => undefined })];
  acl.attach(bus, { list: () => devices, conventions } as unknown as Registry);
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

export async function aclCost(template: Template, opts: DevicesOptions, log: (s: string) => void, figures: Figure[], notes: string[], details: string[]): Promise<void> {
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
    await sub.quiesce();
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
      await sub!.quiesce();
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
