import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { DB_FILE_NAME, openStore } from '../server/store/index.js';
import { homeTopics, publishTemplate, writePublish } from './lib/packets.js';
import { HOST, prepareRumahData, RUMAH_YAML, rssBytes, sleep, startRumah, tempDir, type Rumah } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// Idle memory of the rumah process with 0 and 1,000 devices, and the time from spawn to listening with
// 1,000 devices and 1 million history rows.

export interface FootprintOptions {
  historyRows?: number;
  starts?: number;
}

const DEVICES = 1000;
const IDLE_MS = 2000;
const TARGET_START_MS = 2000;

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** One publish on each of 1,000 topics: the registry creates one device per topic. */
async function createDevices(rumah: Rumah): Promise<void> {
  const client = await RawClient.connect({ host: HOST, port: rumah.port, clientId: 'bench-footprint', username: rumah.username, password: rumah.password });
  try {
    const templates = homeTopics(DEVICES).map((t) => publishTemplate(t, 0));
    const out = Buffer.allocUnsafe(templates.reduce((s, t) => s + t.bytes.length, 0));
    let at = 0;
    templates.forEach((t, i) => (at = writePublish(t, out, at, i, 0)));
    client.socket.write(out);
    await waitFor(`${DEVICES} devices`, 15_000, async () => (await rumah.metrics()).rumah_devices === DEVICES);
    await waitFor('the history queue to drain', 15_000, async () => (await rumah.metrics()).rumah_history_queue_depth === 0);
  } finally {
    await client.close();
  }
}

/** 1 million rows (by default) spread over the existing series and the last 10 days, in one transaction. */
async function prefillHistory(dataDir: string, rows: number): Promise<{ series: number; bytes: number; ms: number }> {
  const t0 = performance.now();
  const store = await openStore(dataDir, pino({ level: 'silent' }), { database: { quickCheckMaxBytes: 0 } });
  try {
    const series = (await store.db.get<{ n: number }>('SELECT count(*) AS n FROM series'))!.n;
    if (series === 0) throw new Error('no series to fill');
    const now = Date.now();
    const span = 10 * 24 * 3600 * 1000;
    await store.db.exec('CREATE TEMP TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM series');
    await store.db.transaction((tx) =>
      tx.run(
        `WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
         INSERT INTO history (series_id, ts, value)
         SELECT b.id, ? + (c.x * ?) / ?, 18 + (c.x % 1000) / 100.0 FROM c JOIN bench_ids b ON b.k = c.x % ?`,
        [rows - 1, now - span, span, rows, series],
      ),
    );
    await store.db.exec('DROP TABLE bench_ids; PRAGMA wal_checkpoint(TRUNCATE)');
    return { series, bytes: fs.statSync(path.join(dataDir, DB_FILE_NAME)).size, ms: performance.now() - t0 };
  } finally {
    await store.close();
  }
}

export async function benchFootprint(opts: FootprintOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const historyRows = opts.historyRows ?? 1_000_000;
  const starts = opts.starts ?? 3;
  const dataDir = tempDir('footprint');
  try {
    const creds = await prepareRumahData(dataDir, RUMAH_YAML);
    let rumah = await startRumah({ dataDir }, creds);
    const emptyStartMs = rumah.startMs;
    await sleep(IDLE_MS);
    const rssEmpty = rssBytes(rumah.pid);
    await createDevices(rumah);
    await sleep(IDLE_MS);
    const rssLive = rssBytes(rumah.pid);
    log(`  idle RSS: ${fmt(rssEmpty, 'B')} with 0 devices, ${fmt(rssLive, 'B')} after ${fmt(DEVICES)} devices appeared`);
    await rumah.stop();

    rumah = await startRumah({ dataDir }, creds);
    const devicesStartMs = rumah.startMs;
    await sleep(IDLE_MS);
    const rssRestored = rssBytes(rumah.pid);
    const devices = (await rumah.metrics()).rumah_devices ?? NaN;
    await rumah.stop();
    log(`  restart with ${fmt(devices)} devices: listening after ${fmt(devicesStartMs)} ms, idle RSS ${fmt(rssRestored, 'B')}`);

    const fill = await prefillHistory(dataDir, historyRows);
    log(`  ${fmt(historyRows)} history rows over ${fill.series} series written in ${fmt(fill.ms)} ms; database ${fmt(fill.bytes, 'B')}`);
    const times: number[] = [];
    let rssBig = NaN;
    for (let i = 0; i < starts; i++) {
      rumah = await startRumah({ dataDir }, creds);
      times.push(rumah.startMs);
      if (i === starts - 1) {
        await sleep(IDLE_MS);
        rssBig = rssBytes(rumah.pid);
      }
      await rumah.stop();
    }
    log(`  start to listening with ${fmt(devices)} devices and ${fmt(historyRows)} rows: ${times.map((t) => `${fmt(t)} ms`).join(', ')}`);
    const startMs = median(times);
    const figures: Figure[] = [
      { label: 'idle RSS, 0 devices', unit: 'B', value: rssEmpty, lowerIsBetter: true },
      { label: `idle RSS, ${fmt(DEVICES)} devices (created live; after a restart)`, unit: 'B', value: rssLive, context: { 'after a restart': rssRestored }, lowerIsBetter: true },
      {
        label: `start to listening, ${fmt(devices)} devices + ${fmt(historyRows)} history rows (median of ${starts})`, unit: 'ms', value: startMs, lowerIsBetter: true,
        context: { 'empty data dir': emptyStartMs, [`${fmt(devices)} devices, no history`]: devicesStartMs },
        target: { text: `< ${fmt(TARGET_START_MS)} ms`, met: startMs < TARGET_START_MS },
      },
    ];
    const notes = [
      `RSS is VmRSS of the rumah process (node dist/server/main.js, its own process), read ${IDLE_MS / 1000} s after it went idle. ` +
        `The ${DEVICES} devices were created by one publish on each of ${DEVICES} topics (devices.maxPerAccount raised to 5000 in rumah.yaml).`,
      `Start to listening: from spawn to <data>/runtime.json written (which rumah does after its MQTT and HTTP listeners are up), Node's own start-up included. ` +
        `History pre-filled with bulk SQL in one transaction over the ${fill.series} series, spread over the last 10 days (inside rawDays); ` +
        `database ${fmt(fill.bytes, 'B')} after a checkpoint, so ${fill.bytes <= 64 * 2 ** 20 ? 'under' : 'over'} the 64 MiB up to which rumah runs PRAGMA quick_check at open. ` +
        `Runs: ${times.map((t) => `${fmt(t)} ms`).join(', ')}; idle RSS with that database: ${fmt(rssBig, 'B')}.`,
    ];
    return { id: 'footprint', title: 'Memory and start-up', figures, notes };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
