import { spawn } from 'node:child_process';
import path from 'node:path';
import mqtt from 'mqtt';
import { BENCH_BUDGETS as BUDGET_KEYS, distRoot, HOST, prepareRumahData, sleep, startRumah, stopChild, tempDir, track, type Rumah } from './lib/procs.js';
import { defaults } from '../server/config/schema.js';
import { fmt, type BenchResult } from './lib/report.js';
import { percentile } from './lib/stats.js';

// Issue 15, item 10: one device account floods from 20 connections (50 state changes a message, as fast as the
// hub reads); another device sends a QoS 1 publish every 25 ms and times each PUBACK. Beside it, in the same run:
// the same probe with no flood, and the flood on a hub whose account budgets are set out of reach (what was there
// before server/mqtt/account-budget.ts: a token bucket per connection only).

const CONNECTIONS = 20;
const QUIET_MS = 4000;
const FLOOD_MS = 8000;
const PROBE_EVERY_MS = 25;
const TARGET_P99_MS = 50;
const OFF = 1_000_000_000;

interface Probe {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

interface Phase {
  quiet: Probe;
  flood: Probe;
  /** Publishes of the flooder the hub read, per second. */
  flooderRead: number;
  offered: number;
  changesPerSec: number;
  pauses: number;
  historyDropped: number;
}

/** QoS 1 publishes one at a time (the next at the tick after the PUBACK), for `ms`; PUBACK times. */
async function probe(client: mqtt.MqttClient, ms: number): Promise<Probe> {
  const times: number[] = [];
  const stopAt = performance.now() + ms;
  let i = 0;
  while (performance.now() < stopAt) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => client.publish('ourhome/probe/hall/sensor', String(i++ % 1000), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    times.push(performance.now() - started);
    const left = PROBE_EVERY_MS - (performance.now() - started);
    if (left > 0) await sleep(left);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times), n: times.length };
}

function runFlooder(port: number, creds: { username: string; password: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(distRoot, 'bench/fair-share-flooder.js'), String(port), creds.username, creds.password, String(CONNECTIONS), String(FLOOD_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      void stopChild(child);
      if (code !== 0) return reject(new Error(`flooder exited ${code}`));
      resolve((JSON.parse(out) as { written: number }).written);
    });
  });
}

async function phase(budgets: boolean): Promise<Phase> {
  const dataDir = tempDir(budgets ? 'fair-on' : 'fair-off');
  // Budgets on: the defaults, written out (startRumah sets every budget it does not find out of reach); off: 1e9.
  const yaml = `mqtt:\n${Object.keys(BUDGET_KEYS).map((k) => `  ${k}: ${budgets ? defaults.mqtt[k as keyof typeof BUDGET_KEYS] : OFF}`).join('\n')}\n`;
  const flooder = await prepareRumahData(dataDir, yaml, 'flooder');
  const prober = await prepareRumahData(dataDir, yaml, 'probe');
  const hub: Rumah = await startRumah({ dataDir, removeData: true });
  try {
    const client = await mqtt.connectAsync(`mqtt://${HOST}:${hub.port}`, { ...prober, clientId: 'probe', reconnectPeriod: 0 });
    try {
      await probe(client, 500); // warm up: the device made, the first history batch written
      const quiet = await probe(client, QUIET_MS);
      const before = await hub.metrics();
      const t0 = performance.now();
      const [flood, offered] = await Promise.all([probe(client, FLOOD_MS), runFlooder(hub.port, flooder)]);
      const seconds = (performance.now() - t0) / 1000;
      const after = await hub.metrics();
      const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
      return {
        quiet, flood, offered, flooderRead: (delta('rumah_mqtt_messages_in_total') - flood.n) / seconds, changesPerSec: delta('rumah_state_changes_total') / seconds,
        pauses: after['rumah_mqtt_account_publishes_held_total{account="flooder"}'] ?? 0, historyDropped: delta('rumah_history_dropped_total'),
      };
    } finally {
      await client.endAsync();
    }
  } finally {
    await hub.stop();
  }
}

export async function benchFairShare(): Promise<BenchResult> {
  const on = await phase(true);
  await sleep(1000);
  const off = await phase(false);
  const describe = (name: string, p: Phase): string =>
    `${name}: probe PUBACK quiet p50 ${fmt(p.quiet.p50, 'ms')} p99 ${fmt(p.quiet.p99, 'ms')} (n ${p.quiet.n}); during the flood p50 ${fmt(p.flood.p50, 'ms')} p99 ${fmt(p.flood.p99, 'ms')} max ${fmt(p.flood.max, 'ms')} (n ${p.flood.n}); ` +
    `flooder: ${fmt(p.offered / (FLOOD_MS / 1000))} msg/s written, ${fmt(p.flooderRead)} msg/s read by the hub, ${fmt(p.changesPerSec)} state changes/s, ${fmt(p.pauses)} publishes held, ${fmt(p.historyDropped)} history rows dropped`;
  return {
    id: 'fair-share',
    title: 'Fair shares: a device\'s QoS 1 PUBACK while another account floods from 20 connections (bench/fair-share.ts)',
    figures: [
      {
        label: 'probe PUBACK p99 during the flood', unit: 'ms', value: on.flood.p99, lowerIsBetter: true,
        refs: { 'same probe, no flood': on.quiet.p99, 'budgets out of reach (per connection only)': off.flood.p99 },
        target: { text: `< ${TARGET_P99_MS} ms`, met: on.flood.p99 < TARGET_P99_MS },
      },
      {
        label: 'probe PUBACK p50 during the flood', unit: 'ms', value: on.flood.p50, lowerIsBetter: true,
        refs: { 'same probe, no flood': on.quiet.p50, 'budgets out of reach (per connection only)': off.flood.p50 },
      },
      {
        label: 'flooder publishes read by the hub', unit: 'msg/s', value: on.flooderRead, lowerIsBetter: true,
        refs: { 'budgets out of reach (per connection only)': off.flooderRead },
      },
    ],
    notes: [
      `A device account (default budget: 200 units/s, burst 2,000; a unit is a publish, + 1 per 4 KiB, + 1 per state change past the first) floods for ${FLOOD_MS / 1000} s from ${CONNECTIONS} raw connections (50 changes a message, as fast as the sockets take them); the probe, another device account, sends one QoS 1 publish every ${PROBE_EVERY_MS} ms (one at a time) and times its PUBACK. Hub, flooder and probe are three processes on the same 2 shared cores.`,
      describe('budgets on (defaults)', on),
      describe('budgets out of reach', off),
    ],
  };
}
