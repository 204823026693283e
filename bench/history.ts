import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { StateChange } from '../server/core/events.js';
import { DB_FILE_NAME, openStore, type Store } from '../server/store/index.js';
import { LoadGenerator } from './lib/loadgen.js';
import { HOST, prepareRumahData, RUMAH_YAML, sleep, startRumah, tempDir } from './lib/procs.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';

// History: state changes per second into SQLite, and bytes per stored sample. First the HistoryWriter alone on
// a temp database (openStore), then end to end through rumah's broker.

export interface HistoryOptions {
  /** Offered state changes per second for the sustained runs. */
  rate?: number;
  ms?: number;
}

const SERIES = 1000;
const TARGET = 20_000;

const cause = { kind: 'device' as const };
function change(i: number): StateChange {
  const d = i % SERIES;
  // A realistic reading: two decimals (a REAL, 8 bytes), not a small integer SQLite would store in 1 byte.
  const value = Math.round((18 + ((i * 7919) % 1000) / 100) * 100) / 100;
  return { deviceId: `ourhome-floor${d % 5}-room${Math.floor(d / 5) % 20}-thing${Math.floor(d / 100)}`, property: 'temperature', value, previous: undefined, ts: Date.now(), cause: { ...cause, id: `d${d}` } };
}

/** File size after a TRUNCATE checkpoint (the WAL folded into the main file), bytes. */
async function checkpointedSize(store: Store, file: string): Promise<number> {
  await store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  return fs.statSync(file).size;
}

interface Sustained {
  offered: number;
  written: number;
  /** Rows per second from the first enqueue until everything was committed. */
  rate: number;
  maxDepth: number;
  dropped: number;
  /** After the offer ended, until the queue was empty, ms. */
  tailMs: number;
}

/** Offers `rate` changes/s for `ms` from a 1 ms timer; the writer keeps up if the queue stays short and nothing drops. */
async function sustained(store: Store, rate: number, ms: number, first: number): Promise<Sustained> {
  const w = store.writer;
  const written0 = w.written;
  const dropped0 = w.dropped;
  let maxDepth = 0;
  let offered = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      const due = Math.floor((rate * Math.min(elapsed, ms)) / 1000);
      while (offered < due) w.enqueue(change(first + offered++));
      maxDepth = Math.max(maxDepth, w.depth);
      if (elapsed >= ms) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const end = performance.now();
  await w.flush();
  const done = performance.now();
  const written = w.written - written0;
  return { offered, written, rate: written / ((done - t0) / 1000), maxDepth, dropped: w.dropped - dropped0, tailMs: done - end };
}

/**
 * As fast as the writer goes: the queue kept topped up (below maxQueue, so nothing drops). Also per CPU second
 * of this process (main thread and SQLite's threads): a figure less sensitive to a CPU shared with other work.
 */
async function capacity(store: Store, total: number, first: number): Promise<{ perSec: number; perCpuSec: number }> {
  const w = store.writer;
  const written0 = w.written;
  let offered = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (offered < total) {
    while (offered < total && w.depth < 50_000) w.enqueue(change(first + offered++));
    await sleep(2);
  }
  await w.flush();
  const rows = w.written - written0;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: rows / ((performance.now() - t0) / 1000), perCpuSec: rows / ((cpu.user + cpu.system) / 1e6) };
}

async function direct(rate: number, ms: number): Promise<{ sustained: Sustained; capacity: { perSec: number; perCpuSec: number }; bytesPerSample: number; rows: number; fileBytes: number }> {
  const dir = tempDir('history');
  const store = await openStore(dir, pino({ level: 'silent' }));
  const file = path.join(dir, DB_FILE_NAME);
  try {
    // Series rows first, as a running hub has them; the size is measured from here.
    for (let i = 0; i < SERIES; i++) store.writer.enqueue(change(i));
    await store.writer.flush();
    const size0 = await checkpointedSize(store, file);
    const rows0 = (await store.db.get<{ n: number }>('SELECT count(*) AS n FROM history'))!.n;
    const s = await sustained(store, rate, ms, SERIES);
    const cap = await capacity(store, 300_000, SERIES + s.offered);
    const rows = (await store.db.get<{ n: number }>('SELECT count(*) AS n FROM history'))!.n - rows0;
    const size1 = await checkpointedSize(store, file);
    return { sustained: s, capacity: cap, bytesPerSample: (size1 - size0) / rows, rows, fileBytes: size1 };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface EndToEnd {
  msgRate: number;
  changesPerSec: number;
  writtenPerSec: number;
  maxDepth: number;
  dropped: number;
  tailMs: number;
}

/** rumah in its own process, telemetry from the load generator; the history counters read from /metrics. */
async function endToEnd(msgRate: number, ms: number): Promise<EndToEnd> {
  const dataDir = tempDir('history-e2e');
  const creds = await prepareRumahData(dataDir, RUMAH_YAML);
  const rumah = await startRumah({ dataDir, removeData: true }, creds);
  const gen = await LoadGenerator.start(1);
  try {
    await gen.connect({ host: HOST, port: rumah.port, ...creds }, { connections: 100, topics: 1000, qos: 0, clientPrefix: 'bench-hist' });
    await gen.run(5000, 1000); // creates the 1,000 devices and their series
    await sleep(300);
    const m0 = await rumah.metrics();
    let maxDepth = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const m = await rumah.metrics();
        maxDepth = Math.max(maxDepth, m.rumah_history_queue_depth ?? 0);
        await sleep(100);
      }
    })();
    const t0 = performance.now();
    await gen.run(msgRate, ms);
    const end = performance.now();
    let m = await rumah.metrics();
    while ((m.rumah_history_queue_depth ?? 0) > 0 && performance.now() - end < 10_000) {
      await sleep(20);
      m = await rumah.metrics();
    }
    const done = performance.now();
    polling = false;
    await poller;
    const d = (k: string): number => (m[k] ?? 0) - (m0[k] ?? 0);
    return {
      msgRate,
      changesPerSec: d('rumah_state_changes_total') / ((end - t0) / 1000),
      writtenPerSec: d('rumah_history_written_total') / ((done - t0) / 1000),
      maxDepth,
      dropped: d('rumah_history_dropped_total'),
      tailMs: done - end,
    };
  } finally {
    await gen.disconnect().catch(() => undefined);
    await gen.stop();
    await rumah.stop();
  }
}

export async function benchHistory(opts: HistoryOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const rate = opts.rate ?? 25_000;
  const ms = opts.ms ?? 4000;
  const d = await direct(rate, ms);
  log(`  writer alone: offered ${fmt(rate)}/s for ${ms / 1000} s → ${fmt(d.sustained.rate)} rows/s, max queue ${fmt(d.sustained.maxDepth)}, dropped ${d.sustained.dropped}, ` +
    `queue empty ${fmt(d.sustained.tailMs)} ms after the offer ended; flat out ${fmt(d.capacity.perSec)} rows/s (${fmt(d.capacity.perCpuSec)} per CPU second); ${fmt(d.bytesPerSample)} bytes per sample over ${fmt(d.rows)} rows`);
  const e = await endToEnd(20_000, ms);
  log(`  end to end: ${fmt(e.msgRate)} msg/s → ${fmt(e.changesPerSec)} state changes/s, ${fmt(e.writtenPerSec)} rows/s written, max queue ${fmt(e.maxDepth)}, ` +
    `dropped ${e.dropped}, queue empty ${fmt(e.tailMs)} ms after the load ended`);
  const keptUp = (s: { dropped: number; tailMs: number }): boolean => s.dropped === 0 && s.tailMs < 500;
  const figures: Figure[] = [
    {
      label: `history writer alone: ${fmt(rate)} changes/s offered for ${ms / 1000} s, written`, unit: 'rows/s', value: d.sustained.rate,
      target: { text: `≥ ${fmt(TARGET)}/s sustained (nothing dropped, queue drained < 0.5 s after)`, met: d.sustained.rate >= TARGET && keptUp(d.sustained) },
    },
    { label: 'history writer alone: flat out (queue kept full)', unit: 'rows/s', value: d.capacity.perSec, context: { 'per CPU second (main thread + SQLite threads)': d.capacity.perCpuSec } },
    {
      label: `history end to end (broker → registry → writer), ${fmt(e.msgRate)} msg/s`, unit: 'rows/s', value: e.writtenPerSec,
      target: { text: `≥ ${fmt(TARGET)}/s sustained`, met: e.writtenPerSec >= TARGET && keptUp(e) },
    },
    { label: 'bytes per stored sample (file growth after checkpoint / rows)', unit: 'B', value: d.bytesPerSample, lowerIsBetter: true },
  ];
  const notes = [
    `Writer alone: openStore() on a temp dir with the defaults (batches every 50 ms or 50,000 changes, queue bound 100,000), ${SERIES} series, ` +
      `values with two decimals; the offered rate comes from a 1 ms timer. "Flat out" keeps ≤ 50,000 queued until 300,000 rows are written.`,
    `End to end: rumah in its own process, 100 connections publishing the fan-in telemetry (≈ 1.14 state changes per message) at ${fmt(e.msgRate)} msg/s for ${ms / 1000} s ` +
      `(${fmt(e.changesPerSec)} state changes/s); rows/s counts from the start of the load until the history queue was empty again ` +
      `(max depth seen ${fmt(e.maxDepth)}, ${e.dropped} dropped).`,
    `Bytes per sample: file size after PRAGMA wal_checkpoint(TRUNCATE), before and after ${fmt(d.rows)} rows, divided by the rows: ` +
      'the row (series id, ms timestamp, REAL) plus its share of the (series_id, ts) index and of page slack.',
  ];
  return { id: 'history', title: 'History into SQLite', figures, notes };
}
