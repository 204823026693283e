import fs from 'node:fs';
import os from 'node:os';
import { createDevices, prefillHistory } from './footprint.js';
import { startAedesTimed, startRumahTimed, type Started } from './lib/first-connack.js';
import { bundleJs, mainJs, prepareRumahData, rebundle, RUMAH_YAML, startRumah, tempDir } from './lib/procs.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// Issue 19 item 6, the start alone: exec → first CONNACK of the hub as `npm start` and the systemd unit run it (the
// bundle, scripts/build-server.mjs), of tsc's dist/server/main.js (what the tests run), and of bare aedes, alternated
// start by start (A B C A B C …) on an empty data folder and on 1,000 devices + 1 M history rows. bench/footprint.ts
// measures the rest of the footprint (and the bundle's first CONNACK once more, beside its memory figures).

export interface StartOptions {
  starts?: number;
  historyRows?: number;
}

const TARGET_EMPTY_MS = 300;
const TARGET_BIG_MS = 1000;

type Starter = () => Promise<Started>;

/** Each starter in turn, `runs` times; each start is stopped before the next. */
async function rotate(runs: number, starters: Starter[]): Promise<number[][]> {
  const out = starters.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, start] of starters.entries()) {
      const s = await start();
      out[k]!.push(s.connackMs);
      await s.stop();
    }
  }
  return out;
}

const list = (xs: number[]): string => xs.map((x) => fmt(x)).join(', ');

export async function benchStart(opts: StartOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const starts = opts.starts ?? 5;
  const historyRows = opts.historyRows ?? 1_000_000;
  rebundle();
  const load = os.loadavg()[0]!.toFixed(2);
  const dataDir = tempDir('start');
  try {
    const creds = await prepareRumahData(dataDir, RUMAH_YAML);
    const template = tempDir('start-empty');
    fs.cpSync(dataDir, template, { recursive: true });
    const runDirs: string[] = [];
    const fresh = (main: string): Starter => () => {
      const dir = tempDir('start-run');
      runDirs.push(dir);
      fs.cpSync(template, dir, { recursive: true });
      return startRumahTimed(dir, creds, main);
    };
    const [bundleEmpty, distEmpty, aedesEmpty] = await rotate(starts, [fresh(bundleJs), fresh(mainJs), startAedesTimed]);
    for (const dir of [template, ...runDirs]) fs.rmSync(dir, { recursive: true, force: true });
    log(`  empty data folder: bundle ${list(bundleEmpty!)} ms; dist ${list(distEmpty!)} ms; bare aedes ${list(aedesEmpty!)} ms`);

    const rumah = await startRumah({ dataDir }, creds);
    await createDevices(rumah);
    await rumah.stop();
    await prefillHistory(dataDir, historyRows);
    const [bundleBig, distBig, aedesBig] = await rotate(starts, [
      () => startRumahTimed(dataDir, creds, bundleJs), () => startRumahTimed(dataDir, creds, mainJs), startAedesTimed,
    ]);
    log(`  1,000 devices + ${fmt(historyRows)} rows: bundle ${list(bundleBig!)} ms; dist ${list(distBig!)} ms; bare aedes ${list(aedesBig!)} ms`);

    const figure = (label: string, bundle: number[], dist: number[], aedes: number[], target: number): Figure => ({
      label: `${label} (median of ${starts})`, unit: 'ms', value: median(bundle), lowerIsBetter: true,
      refs: { 'bare aedes, alternated': median(aedes), 'tsc\'s dist/server/main.js, alternated': median(dist) },
      target: { text: `≤ ${fmt(target)} ms`, met: median(bundle) <= target },
    });
    return {
      id: 'start',
      title: 'Start: exec → first CONNACK (bench/start.ts, issue 19 item 6)',
      figures: [
        figure('exec → first CONNACK, empty data folder, the bundle (npm start)', bundleEmpty!, distEmpty!, aedesEmpty!, TARGET_EMPTY_MS),
        figure(`exec → first CONNACK, 1,000 devices + ${fmt(historyRows)} rows, the bundle`, bundleBig!, distBig!, aedesBig!, TARGET_BIG_MS),
      ],
      notes: [
        `Load average (1 min) at start ${load}. Each start: spawn of node on a port chosen before, to the CONNACK (return code 0) ` +
          'of a real MQTT 3.1.1 CONNECT with a device account (one scrypt: its first login since the start), retried every 2 ms ' +
          'while the port refused. Empty: a fresh copy for each start of a folder holding rumah.yaml and the device account (a first ' +
          'start: the admin is made from RUMAH_ADMIN_PASSWORD).',
      ],
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchStart({ starts: process.argv[2] ? Number(process.argv[2]) : undefined });
  for (const f of result.figures) console.log(`${f.label}: ${fmt(f.value)} ms; ${Object.entries(f.refs ?? {}).map(([k, v]) => `${k} ${fmt(v)} ms (rumah ${(f.value / v).toFixed(2)}×)`).join('; ')}`);
}
