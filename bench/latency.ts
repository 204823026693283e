import fs from 'node:fs';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import type { StateChange } from '../server/core/events.js';
import type { QueuedChange } from '../server/store/change-columns.js';
import { openStore } from '../server/store/index.js';
import { startInProcessHub } from './lib/hub.js';
import { HOST, sleep, tempDir } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { percentile } from './lib/stats.js';

// Device publish → stateChanged → row in history, at 2,000 msg/s. Measured in one process (one clock): the
// device is a raw socket in the bench process, the hub runs beside it.

export interface LatencyOptions {
  rate?: number;
  /** The history writer alone, per setting. */
  ms?: number;
  /** Through the hub. */
  hubMs?: number;
}

const TOPICS = 100;
const TARGET_P99_MS = 5;

interface Series {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

function summary(values: number[]): Series {
  return { p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values), n: values.length };
}

/** Calls `send(i)` `rate` times a second for `ms`, from a 1 ms timer; resolves with how many were sent. */
function paced(rate: number, ms: number, send: (i: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      const due = Math.floor((rate * Math.min(elapsed, ms)) / 1000);
      while (sent < due) send(sent++);
      if (elapsed >= ms) resolve(sent);
      else setTimeout(tick, 1);
    };
    tick();
  });
}

/** Publish → stateChanged and publish → history commit, both exact (the bus, and the writer's onWritten hook). */
async function throughHub(rate: number, ms: number): Promise<{ applied: Series; committed: Series; lost: number }> {
  const committedAt: number[] = [];
  let measuring = false;
  const h = await startInProcessHub((changes) => {
    if (!measuring) return;
    const now = performance.now();
    for (const c of changes) if (c.property === 'seq' && typeof c.value === 'number' && c.value < 1_000_000) committedAt[c.value] = now;
  });
  const client = await RawClient.connect({ host: HOST, port: h.port, clientId: 'bench-latency', ...h.creds });
  try {
    const topics = Array.from({ length: TOPICS }, (_, i) => `ourhome/latency/room${Math.floor(i / 10)}/meter${i % 10}`);
    const packet = (i: number): Buffer =>
      mqttPacket.generate({
        cmd: 'publish', topic: topics[i % TOPICS]!, qos: 0, retain: false, dup: false,
        payload: Buffer.from(`{"seq":${i},"temperature":21.5,"humidity":48.2,"battery":97}`),
      });
    // Warm-up: create the devices and their series, warm the JIT, then start from an empty history queue.
    const warm = 1_000_000;
    await paced(2000, 500, (i) => client.socket.write(packet(warm + i)));
    await sleep(200);
    await h.hub.store.writer.flush();

    const publishedAt: number[] = [];
    const appliedAt: number[] = [];
    const off = h.hub.bus.on('stateChanged', 'bench', (c) => {
      if (c.property === 'seq' && typeof c.value === 'number' && c.value < warm) appliedAt[c.value] = performance.now();
    });
    measuring = true;
    const sent = await paced(rate, ms, (i) => {
      const p = packet(i);
      publishedAt[i] = performance.now();
      client.socket.write(p);
    });
    const deadline = performance.now() + 3000;
    while (committedAt.filter((x) => x !== undefined).length < sent && performance.now() < deadline) await sleep(10);
    off();
    const applied: number[] = [];
    const rows: number[] = [];
    for (let i = 0; i < sent; i++) {
      if (appliedAt[i] !== undefined) applied.push(appliedAt[i]! - publishedAt[i]!);
      if (committedAt[i] !== undefined) rows.push(committedAt[i]! - publishedAt[i]!);
    }
    return { applied: summary(applied), committed: summary(rows), lost: sent - rows.length };
  } finally {
    await client.close();
    await h.stop();
  }
}

/** The history writer alone on a temp DB: enqueue → commit (its onWritten hook), per flush interval. */
async function writerOnly(rate: number, ms: number, intervalMs: number | undefined): Promise<{ latency: Series; batch: Series }> {
  const dir = tempDir('writer');
  const enqueuedAt: number[] = [];
  const latencies: number[] = [];
  const batches: number[] = [];
  const store = await openStore(dir, pino({ level: 'silent' }), {
    history: {
      intervalMs,
      onWritten: (changes: readonly QueuedChange[]) => {
        const now = performance.now();
        for (const c of changes) latencies.push(now - enqueuedAt[c.value as number]!);
        // Set by the writer just before it calls this hook: the duration of this batch's transaction.
        batches.push(store.writer.lastBatchMs);
      },
    },
  });
  try {
    // Series created before the measurement, as in a running hub.
    for (let i = 0; i < TOPICS; i++) store.writer.enqueue(change(i, -1));
    await store.writer.flush();
    latencies.length = 0;
    batches.length = 0;
    await paced(rate, ms, (i) => {
      enqueuedAt[i] = performance.now();
      store.writer.enqueue(change(i % TOPICS, i));
    });
    await store.writer.flush();
    return { latency: summary(latencies), batch: summary(batches) };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function change(device: number, value: number): StateChange {
  return { deviceId: `ourhome-latency-room${Math.floor(device / 10)}-meter${device % 10}`, property: 'temperature', value, previous: undefined, ts: Date.now(), cause: { kind: 'device' } };
}

export async function benchLatency(opts: LatencyOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const rate = opts.rate ?? 2000;
  const ms = opts.ms ?? 5000;
  // 20 s (40,000 samples) through the hub: in 5 s, one stall of the machine (~40 ms, seen in full runs with every
  // version of the code) delayed enough of the 10,000 samples to move p99 from ~4 to ~7 ms.
  const hubMs = opts.hubMs ?? 20_000;
  const hub = await throughHub(rate, hubMs);
  log(`  through the hub at ${fmt(rate)} msg/s for ${hubMs / 1000} s: publish → stateChanged p50 ${fmt(hub.applied.p50)} ms p99 ${fmt(hub.applied.p99)} ms max ${fmt(hub.applied.max)} ms; ` +
    `publish → history row p50 ${fmt(hub.committed.p50)} ms p99 ${fmt(hub.committed.p99)} ms max ${fmt(hub.committed.max)} ms (${hub.committed.n} rows)`);
  // undefined: the writer's own default, as the hub builds it.
  const intervals: Array<number | undefined> = [undefined, 10, 1];
  const name = (i: number | undefined): string => (i === undefined ? 'default options' : `intervalMs ${i}`);
  const writer = new Map<number | undefined, { latency: Series; batch: Series }>();
  for (const interval of intervals) {
    const s = await writerOnly(rate, 2000, interval);
    writer.set(interval, s);
    log(`  history writer alone, ${name(interval)}: enqueue → commit p50 ${fmt(s.latency.p50)} ms p99 ${fmt(s.latency.p99)} ms max ${fmt(s.latency.max)} ms; ` +
      `transaction p50 ${fmt(s.batch.p50)} ms p99 ${fmt(s.batch.p99)} ms over ${s.batch.n} batches`);
  }
  const figures: Figure[] = [
    { label: `publish → stateChanged p50 at ${fmt(rate)} msg/s`, unit: 'ms', value: hub.applied.p50, lowerIsBetter: true },
    { label: `publish → stateChanged p99 at ${fmt(rate)} msg/s`, unit: 'ms', value: hub.applied.p99, lowerIsBetter: true },
    { label: `publish → row in history p50 at ${fmt(rate)} msg/s`, unit: 'ms', value: hub.committed.p50, lowerIsBetter: true },
    {
      label: `publish → row in history p99 at ${fmt(rate)} msg/s`, unit: 'ms', value: hub.committed.p99, lowerIsBetter: true,
      context: { max: hub.committed.max },
      target: { text: `p99 < ${TARGET_P99_MS} ms`, met: hub.committed.p99 < TARGET_P99_MS },
    },
  ];
  const w = (i: number | undefined): string => {
    const s = writer.get(i)!;
    return `${name(i)}: p50 ${fmt(s.latency.p50)} / p99 ${fmt(s.latency.p99)} ms (transaction p99 ${fmt(s.batch.p99)} ms, ${s.batch.n} batches)`;
  };
  const enough = intervals.filter((i) => writer.get(i)!.latency.p99 + hub.applied.p99 < TARGET_P99_MS);
  const notes = [
    `One process, one clock: a raw-socket device publishes ~60-byte JSON carrying a sequence number (QoS 0, ${TOPICS} topics) at ${fmt(rate)} msg/s for ${hubMs / 1000} s to a hub started with new Hub(); ` +
      'publish time is taken just before the socket write, stateChanged time in a bus listener.',
    'Row time: the history writer\'s onWritten hook (HubOptions.onHistoryWritten), called right after each COMMIT.',
    `The history writer alone at ${fmt(rate)} changes/s, enqueue → commit (exact, its onWritten hook): ${intervals.map(w).join('; ')}. ` +
      (hub.committed.p99 < TARGET_P99_MS
        ? 'The default already meets the target.'
        : enough.length
          ? `Adding the publish → stateChanged p99 (${fmt(hub.applied.p99)} ms), a p99 under ${TARGET_P99_MS} ms needs ${enough.map(name).join(' or ')}.`
          : `No configuration tried meets p99 < ${TARGET_P99_MS} ms end to end here: the tail is the transaction itself (BEGIN IMMEDIATE, two statements, COMMIT: ` +
            'four hops to the libuv thread pool) and the event loop\'s delays on a CPU shared with other work.'),
  ];
  if (hub.lost > 0) notes.push(`${hub.lost} changes were not seen committed within 3 s after the run.`);
  return { id: 'latency', title: 'Device publish → stateChanged → row in history', figures, notes };
}
