import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import YAML from 'yaml';
import { DB_FILE_NAME, openStore } from '../server/store/index.js';
import { homeTopics, publishTemplate, writePublish } from './lib/packets.js';
import { bundleJs, HOST, mosquittoPath, prepareRumahData, rebundle, repoRoot, RUMAH_YAML, rssBytes, sleep, startMosquitto, startNodeServer, startRumah, tempDir, track, type Rumah, type Server } from './lib/procs.js';
import { InspectorGc } from './lib/inspector-gc.js';
import { RawClient } from './lib/raw-client.js';
import { openIdle, startAedesTimed, startRumahTimed, type Started } from './lib/first-connack.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// What a small (Raspberry Pi-class) machine needs: exec → first CONNACK (empty data folder; 1,000 devices and 1 million
// history rows) beside bare aedes's, idle RSS and RSS per idle connection beside bare aedes and mosquitto (all measured
// in the same run), idle memory with 0 and 1,000 devices, disk per million history rows, and the time from spawn to
// listening; printed beside the figures Home Assistant and Zigbee2MQTT publish (not measured here: see `published`).

export interface FootprintOptions {
  historyRows?: number;
  starts?: number;
}

const DEVICES = 1000;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/**
 * Figures the other projects published, shown beside rumah's and never measured here (docs/benchmarks.md, "A small
 * machine", names the sources). Home Assistant: the resources its installation guide asks for, for Home Assistant OS
 * in a virtual machine ("Minimum recommended assignments: 2 GB RAM, 32 GB Storage", home-assistant.io, source in
 * home-assistant/home-assistant.io source/_includes/installation/operating_system.md). Zigbee2MQTT publishes no
 * memory figure ("runs almost on every platform with affordable memory footprint", zigbee2mqtt.io/guide/installation/);
 * the one number at hand is a user's report of its normal use after a restart with 50+ devices, ~150 MB
 * (Koenkk/zigbee2mqtt#21030, version 1.35.1, a Home Assistant Yellow).
 */
const published = {
  haRam: { label: 'Home Assistant OS, minimum RAM it asks for (published, not measured here)', value: 2 * GiB },
  haDisk: { label: 'Home Assistant OS, minimum storage it asks for (published, not measured here)', value: 32 * GiB },
  z2mRss: { label: 'Zigbee2MQTT, 50+ devices, after a restart (a user\'s report, not measured here)', value: 150 * MiB },
};
const IDLE_MS = 2000;
const TARGET_START_MS = 2000;
/** Issue 19 item 6: exec → first CONNACK on an empty data folder and with 1,000 devices + 1 M rows; idle RSS; per connection. */
const TARGET_CONNACK_EMPTY_MS = 300;
const TARGET_CONNACK_BIG_MS = 1000;
const TARGET_IDLE_RSS = 100 * MiB;
const TARGET_PER_CONNECTION = 8 * 1024;
const IDLE_CONNECTIONS = 2000;
/** Long enough for V8's memory reducer to shrink an idle heap (it ran 20-30 s after start here). */
const SETTLE_MS = 40_000;
/** With the connections open, RSS is read this long after the last one (and again after a full GC). */
const CONNECTED_MS = 5000;

/** Starts `a` and `b` alternately `runs` times, each timed from exec to its first CONNACK, and stops each at once. */
async function alternate(runs: number, a: () => Promise<Started>, b: () => Promise<Started>): Promise<{ a: Started[]; b: Started[] }> {
  const out = { a: [] as Started[], b: [] as Started[] };
  for (let i = 0; i < runs; i++) {
    for (const [start, into] of [[a, out.a], [b, out.b]] as const) {
      const s = await start();
      into.push(s);
      await s.stop();
    }
  }
  return out;
}

const list = (xs: number[]): string => xs.map((x) => `${fmt(x)} ms`).join(', ');

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** One publish on each of 1,000 topics: the registry creates one device per topic. */
export async function createDevices(rumah: Rumah): Promise<void> {
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
export async function prefillHistory(dataDir: string, rows: number): Promise<{ series: number; bytes: number; before: number; ms: number }> {
  const t0 = performance.now();
  const store = await openStore(dataDir, pino({ level: 'silent' }), { database: { quickCheckMaxBytes: 0 } });
  try {
    // The file before the rows, with its WAL folded in: the difference is what the rows cost on disk.
    await store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const before = fs.statSync(path.join(dataDir, DB_FILE_NAME)).size;
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
    return { series, bytes: fs.statSync(path.join(dataDir, DB_FILE_NAME)).size, before, ms: performance.now() - t0 };
  } finally {
    await store.close();
  }
}

/**
 * `npm start` on a built tree, from spawn to listening: npm, scripts/start.mjs's staleness check, then the hub in
 * that process. undefined when the tree is not built (npm start would build first, which is not what is measured).
 */
async function npmStartMs(dataDir: string): Promise<number | undefined> {
  const state = (await import(pathToFileURL(path.join(repoRoot, 'scripts/build-state.mjs')).href)) as { staleReason(): string | undefined };
  if (state.staleReason()) return undefined;
  const runtimeFile = path.join(dataDir, 'runtime.json');
  fs.rmSync(runtimeFile, { force: true });
  const t0 = performance.now();
  const npm = spawn('npm', ['start', '--', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', HOST, '--log-level', 'warn'], { cwd: repoRoot, stdio: 'ignore' });
  track(npm);
  const exited = new Promise((resolve) => npm.once('exit', resolve));
  let pid: number | undefined;
  await waitFor('npm start to listen', 30_000, async () => {
    try {
      pid = (JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as { pid: number }).pid;
      return true;
    } catch {
      return false;
    }
  });
  const ms = performance.now() - t0;
  process.kill(pid!, 'SIGTERM'); // the hub is start.mjs's own process; npm ends with it
  await exited;
  return ms;
}

interface Idle {
  /** RSS IDLE_MS after start (the young generation still as large as start-up made it). */
  early: number;
  /** RSS after SETTLE_MS idle: V8's memory reducer has shrunk the heap (the young generation shrinks to 1 MiB). */
  rss: number;
  /** (RSS with IDLE_CONNECTIONS open − RSS before them) ÷ IDLE_CONNECTIONS, each read after a full GC (Node servers). */
  perConnection: number;
  /** The same from RSS as found, without the GC: the connections' garbage and the young generation they grew count. */
  perConnectionAsFound: number;
}

/** The Node servers run with their inspector on a loopback port the OS picks: the bench asks it for full GCs. */
const INSPECT = ['--inspect=127.0.0.1:0'];

/**
 * Idle RSS and RSS per idle connection of rumah, bare aedes and mosquitto, all three running at once (one wait for all):
 * read just after start, again once idle long enough for V8's memory reducer (it ran 20-30 s after start here; a hub
 * stays up for months), then with IDLE_CONNECTIONS idle authenticated connections on each. Per connection, the two Node
 * servers' readings (before and with the connections) are each taken after a full GC asked for over their inspector:
 * without it, whether V8's memory reducer had shrunk the young generation yet decided the figure (4.8 or 15 KB in two
 * runs of the same build, the seventeenth session).
 */
async function idleFootprints(dataDir: string, creds: { username: string; password: string }): Promise<Record<'rumah' | 'aedes', Idle> & { mosquitto?: Idle }> {
  // All from 127.0.0.1: mqtt.connectionsPerAddress (1,000 by default) raised for this start only.
  const yamlFile = path.join(dataDir, 'rumah.yaml');
  const yaml = fs.readFileSync(yamlFile, 'utf8');
  const doc = YAML.parseDocument(yaml.trim() ? yaml : '{}');
  doc.setIn(['mqtt', 'connectionsPerAddress'], IDLE_CONNECTIONS * 2);
  fs.writeFileSync(yamlFile, String(doc));
  const bin = mosquittoPath();
  const servers: Array<{ name: 'rumah' | 'aedes' | 'mosquitto'; server: Server; creds: { username?: string; password?: string }; gc?: InspectorGc }> = [];
  try {
    servers.push({ name: 'aedes', server: await startNodeServer('bare aedes', 'aedes.js', INSPECT), creds: {} });
    servers.push({ name: 'rumah', server: await startRumah({ dataDir, nodeArgs: INSPECT }, creds), creds });
    if (bin) servers.push({ name: 'mosquitto', server: await startMosquitto(bin), creds: {} });
    for (const s of servers) if (s.name !== 'mosquitto') s.gc = await InspectorGc.connect(s.server.name, s.server.output);
    const rss = (): number[] => servers.map((s) => rssBytes(s.server.pid));
    const collect = (): Promise<unknown> => Promise.all(servers.map((s) => s.gc?.collect()));
    await sleep(IDLE_MS);
    const early = rss();
    // One-time allocations of a first connection are not per connection: mqtt-packet's cache of the 65,536 two-byte
    // numbers (~6 MiB of Buffer objects) is made at the first packet written. 10 connections come and go first.
    for (const s of servers) await Promise.all((await openIdle(s.server.port, 10, s.creds)).map((c) => c.close()));
    await sleep(SETTLE_MS - IDLE_MS);
    const settled = rss();
    await collect();
    const before = rss();
    const clients: RawClient[] = [];
    for (const s of servers) clients.push(...(await openIdle(s.server.port, IDLE_CONNECTIONS, s.creds)));
    await sleep(CONNECTED_MS);
    const found = rss();
    await collect();
    const loaded = rss();
    await Promise.all(clients.map((c) => c.close()));
    const out: Partial<Record<'rumah' | 'aedes' | 'mosquitto', Idle>> = {};
    servers.forEach((s, i) => (out[s.name] = {
      early: early[i]!, rss: settled[i]!,
      perConnection: (loaded[i]! - before[i]!) / IDLE_CONNECTIONS, perConnectionAsFound: (found[i]! - settled[i]!) / IDLE_CONNECTIONS,
    }));
    return out as Record<'rumah' | 'aedes', Idle> & { mosquitto?: Idle };
  } finally {
    for (const s of servers) s.gc?.close();
    for (const s of servers) await s.server.stop();
    fs.writeFileSync(yamlFile, yaml);
  }
}

export async function benchFootprint(opts: FootprintOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const historyRows = opts.historyRows ?? 1_000_000;
  const starts = opts.starts ?? 3;
  const dataDir = tempDir('footprint');
  // The first CONNACKs below time the hub as npm start and the service run it: the bundle, made again from dist/.
  rebundle();
  try {
    const creds = await prepareRumahData(dataDir, RUMAH_YAML);
    // "Empty": a fresh copy, each run, of a folder that holds only rumah.yaml and the device account (rumah.db).
    const emptyTemplate = tempDir('footprint-empty');
    fs.cpSync(dataDir, emptyTemplate, { recursive: true });
    const freshEmpty = (): string => {
      const dir = tempDir('footprint-run');
      fs.cpSync(emptyTemplate, dir, { recursive: true });
      return dir;
    };
    const runDirs: string[] = [];
    const emptyRuns = await alternate(starts, startAedesTimed, async () => {
      const dir = freshEmpty();
      runDirs.push(dir);
      return startRumahTimed(dir, creds, bundleJs);
    });
    for (const dir of runDirs) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(emptyTemplate, { recursive: true, force: true });
    const connackEmpty = median(emptyRuns.b.map((r) => r.connackMs));
    const aedesConnack = emptyRuns.a.map((r) => r.connackMs);
    const readyEmpty = emptyRuns.b.map((r) => r.readyMs ?? NaN);
    log(`  exec → first CONNACK, empty data folder: rumah ${list(emptyRuns.b.map((r) => r.connackMs))} (runtime.json ${list(readyEmpty)}); bare aedes ${list(aedesConnack)}`);

    // Idle RSS and RSS per idle authenticated connection, beside bare aedes and mosquitto.
    const idle = await idleFootprints(dataDir, creds);
    log(`  RSS ${IDLE_MS / 1000} s after start: rumah ${fmt(idle.rumah.early, 'B')}, bare aedes ${fmt(idle.aedes.early, 'B')}${idle.mosquitto ? `, mosquitto ${fmt(idle.mosquitto.early, 'B')}` : ''}`);
    log(`  idle RSS (${SETTLE_MS / 1000} s): rumah ${fmt(idle.rumah.rss, 'B')}, bare aedes ${fmt(idle.aedes.rss, 'B')}${idle.mosquitto ? `, mosquitto ${fmt(idle.mosquitto.rss, 'B')}` : ''}; ` +
      `per idle connection (${fmt(IDLE_CONNECTIONS)}): rumah ${fmt(idle.rumah.perConnection, 'B')}, bare aedes ${fmt(idle.aedes.perConnection, 'B')}${idle.mosquitto ? `, mosquitto ${fmt(idle.mosquitto.perConnection, 'B')}` : ''}`);

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
    const perMillion = ((fill.bytes - fill.before) / historyRows) * 1e6;
    log(`  ${fmt(historyRows)} history rows over ${fill.series} series written in ${fmt(fill.ms)} ms; database ${fmt(fill.before, 'B')} → ${fmt(fill.bytes, 'B')}: ${fmt(perMillion, 'B')} per million rows`);
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
    const bigRuns = await alternate(starts, startAedesTimed, () => startRumahTimed(dataDir, creds, bundleJs));
    const connackBig = median(bigRuns.b.map((r) => r.connackMs));
    aedesConnack.push(...bigRuns.a.map((r) => r.connackMs));
    log(`  exec → first CONNACK, ${fmt(devices)} devices + ${fmt(historyRows)} rows: rumah ${list(bigRuns.b.map((r) => r.connackMs))} (runtime.json ${list(bigRuns.b.map((r) => r.readyMs ?? NaN))}); bare aedes ${list(bigRuns.a.map((r) => r.connackMs))}`);
    const aedesMs = median(aedesConnack);
    const startMs = median(times);
    // Interleaved with starts of node dist/server/main.js on the same data, so that both see the same load.
    const npmTimes: number[] = [];
    const nodeTimes: number[] = [];
    for (let i = 0; i < starts; i++) {
      const ms = await npmStartMs(dataDir);
      if (ms === undefined) break;
      npmTimes.push(ms);
      rumah = await startRumah({ dataDir }, creds);
      nodeTimes.push(rumah.startMs);
      await rumah.stop();
    }
    const npmMs = npmTimes.length ? median(npmTimes) : undefined;
    log(`  npm start on a built tree, same data: ${npmMs === undefined ? 'not measured (the tree is not built)' : `${npmTimes.map((t) => `${fmt(t)} ms`).join(', ')}; node dist/server/main.js between them: ${nodeTimes.map((t) => `${fmt(t)} ms`).join(', ')}`}`);
    const figures: Figure[] = [
      {
        label: `exec → first CONNACK, empty data folder (median of ${starts})`, unit: 'ms', value: connackEmpty, lowerIsBetter: true,
        refs: { [`bare aedes (median of ${aedesConnack.length}, alternated with rumah's)`]: aedesMs },
        target: { text: `≤ ${fmt(TARGET_CONNACK_EMPTY_MS)} ms`, met: connackEmpty <= TARGET_CONNACK_EMPTY_MS },
      },
      {
        label: `exec → first CONNACK, ${fmt(devices)} devices + ${fmt(historyRows)} history rows (median of ${starts})`, unit: 'ms', value: connackBig, lowerIsBetter: true,
        refs: { 'bare aedes': aedesMs },
        target: { text: `≤ ${fmt(TARGET_CONNACK_BIG_MS)} ms`, met: connackBig <= TARGET_CONNACK_BIG_MS },
      },
      {
        label: `idle RSS, no device, ${SETTLE_MS / 1000} s after start, beside the brokers`, unit: 'B', value: idle.rumah.rss, lowerIsBetter: true,
        refs: { 'bare aedes': idle.aedes.rss, ...(idle.mosquitto ? { mosquitto: idle.mosquitto.rss } : {}) },
        context: { [`rumah ${IDLE_MS / 1000} s after start`]: idle.rumah.early },
        target: { text: `≤ ${fmt(TARGET_IDLE_RSS, 'B')}`, met: idle.rumah.rss <= TARGET_IDLE_RSS },
      },
      {
        label: `RSS per idle authenticated connection (${fmt(IDLE_CONNECTIONS)} connections)`, unit: 'B', value: idle.rumah.perConnection, lowerIsBetter: true,
        refs: { 'bare aedes': idle.aedes.perConnection, ...(idle.mosquitto ? { mosquitto: idle.mosquitto.perConnection } : {}) },
        target: { text: `≤ ${fmt(TARGET_PER_CONNECTION, 'B')}`, met: idle.rumah.perConnection <= TARGET_PER_CONNECTION },
      },
      { label: 'idle RSS, 0 devices', unit: 'B', value: rssEmpty, context: { [published.haRam.label]: published.haRam.value }, lowerIsBetter: true },
      {
        label: `idle RSS, ${fmt(DEVICES)} devices (created live; after a restart)`, unit: 'B', value: rssLive, lowerIsBetter: true,
        context: { 'after a restart': rssRestored, [published.z2mRss.label]: published.z2mRss.value },
      },
      {
        label: 'disk per million history rows (rumah.db, index included)', unit: 'B', value: perMillion, lowerIsBetter: true,
        context: { [`rumah.db with ${fmt(devices)} devices and ${fmt(historyRows)} rows`]: fill.bytes, [published.haDisk.label]: published.haDisk.value },
      },
      {
        label: `start to listening, ${fmt(devices)} devices + ${fmt(historyRows)} history rows (median of ${starts})`, unit: 'ms', value: startMs, lowerIsBetter: true,
        context: { 'empty data dir': emptyStartMs, [`${fmt(devices)} devices, no history`]: devicesStartMs },
        target: { text: `< ${fmt(TARGET_START_MS)} ms`, met: startMs < TARGET_START_MS },
      },
      ...(npmMs === undefined ? [] : [{
        label: `npm start on a built tree, ${fmt(devices)} devices + ${fmt(historyRows)} rows (spawn of npm to listening, median of ${npmTimes.length})`, unit: 'ms', value: npmMs, lowerIsBetter: true,
        refs: { 'node dist/server/main.js, same data, interleaved': median(nodeTimes) },
      }]),
    ];
    const notes = [
      `exec → first CONNACK: from spawn of node running the hub's bundle as npm start does (dist/server/bundle/main.js, made again from dist/ first), or bench/servers/aedes.js (bare aedes 1.x in memory, no hooks), on a port chosen before the spawn, ` +
        `to the CONNACK (return code 0) of a real MQTT 3.1.1 CONNECT with the device account's credentials, retried every 2 ms while the port refused. ` +
        `rumah and bare aedes alternated, ${starts} starts each per data set. Empty data folder: a fresh copy for each start of a folder holding only rumah.yaml and the device account. ` +
        `runtime.json (every listener up, the dashboard included) in the same starts: empty ${list(readyEmpty)}; ` +
        `${fmt(devices)} devices + ${fmt(historyRows)} rows ${list(bigRuns.b.map((r) => r.readyMs ?? NaN))}.`,
      `Idle RSS beside the brokers: VmRSS of the three running at once, ${SETTLE_MS / 1000} s after start (V8's memory reducer shrinks an idle heap 20-30 s after start: ` +
        `the young generation shrinks to 1 MiB); ${IDLE_MS / 1000} s after start: rumah ${fmt(idle.rumah.early, 'B')}, bare aedes ${fmt(idle.aedes.early, 'B')}${idle.mosquitto ? `, mosquitto ${fmt(idle.mosquitto.early, 'B')}` : ''}. ` +
        `rumah on a folder with the device account only; bare aedes as above; mosquitto ${idle.mosquitto ? '' : '(not installed) '}with the benchmarks' config. ` +
        `Per idle connection: ${fmt(IDLE_CONNECTIONS)} connections to each, opened 100 at a time, each CONNECTed (rumah: the device account's credentials, cached after the first scrypt; the brokers: anonymous), ` +
        `RSS with them open minus RSS just before them (after 10 connections had come and gone: mqtt-packet's number cache, ~6 MiB, is made at the first write), divided by the count; ` +
        `for rumah and bare aedes each of the two readings after two full GCs asked for over their inspector (--inspect=127.0.0.1:0, HeapProfiler.collectGarbage) and 1 s ` +
        `(both run with the inspector listening and its session open from the start, so the idle RSS figures above count it too; within their spread, docs/benchmarks.md, eighteenth session): ` +
        `without them the figure depended on whether V8's memory reducer had given back the young generation yet (4.8 or 15 KB for the same build). ` +
        `As found, ${CONNECTED_MS / 1000} s after the last connection, without the GCs, minus the settled idle RSS: rumah ${fmt(idle.rumah.perConnectionAsFound, 'B')}, bare aedes ${fmt(idle.aedes.perConnectionAsFound, 'B')}${idle.mosquitto ? `, mosquitto ${fmt(idle.mosquitto.perConnectionAsFound, 'B')}` : ''}.`,
      `RSS is VmRSS of the rumah process (node dist/server/main.js, its own process), read ${IDLE_MS / 1000} s after it went idle. ` +
        `The ${DEVICES} devices were created by one publish on each of ${DEVICES} topics (devices.maxPerAccount raised to 5000 in rumah.yaml).`,
      `Start to listening: from spawn to <data>/runtime.json written (which rumah does after its MQTT and HTTP listeners are up), Node's own start-up included. ` +
        `History pre-filled with bulk SQL in one transaction over the ${fill.series} series, spread over the last 10 days (inside rawDays); ` +
        `database ${fmt(fill.bytes, 'B')} after a checkpoint, so ${fill.bytes <= 64 * 2 ** 20 ? 'under' : 'over'} the 64 MiB up to which rumah runs PRAGMA quick_check at open. ` +
        `Runs: ${times.map((t) => `${fmt(t)} ms`).join(', ')}; idle RSS with that database: ${fmt(rssBig, 'B')}.`,
      `Disk per million rows: the growth of rumah.db (checkpointed before and after) over the ${fmt(historyRows)} rows, divided by the rows, times a million; ` +
        'raw rows are kept history.rawDays (30), then one row per series and hour (history_hourly, not measured here).',
      'Not measured here: Home Assistant\'s figures are the minimum resources its installation guide asks for Home Assistant OS ' +
        '(home-assistant.io, "Minimum recommended assignments": 2 GB RAM, 32 GB storage); Zigbee2MQTT publishes no memory figure, ' +
        'so its figure is a user\'s report of normal use after a restart with 50+ devices (Koenkk/zigbee2mqtt#21030). Neither is a measurement on this machine.',
    ];
    return { id: 'footprint', title: 'Memory and start-up', figures, notes };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
