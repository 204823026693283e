import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { benchBrokerStore } from './broker-store.js';
import { benchRetainedWrites } from './retained-writes.js';
import { benchBridge } from './bridge.js';
import { benchDashboard } from './dashboard.js';
import { benchDevicesPage } from './devices-page.js';
import { benchDevices } from './devices.js';
import { benchFanin } from './fanin.js';
import { benchFanin5 } from './fanin5.js';
import { benchExports } from './exports.js';
import { benchFairShare } from './fair-share.js';
import { benchFootprint } from './footprint.js';
import { benchStart } from './start.js';
import { benchHistory } from './history.js';
import { benchHistoryChart } from './history-chart.js';
import { benchLatency } from './latency.js';
import { benchLogins } from './logins.js';
import { benchMqttSn } from './mqttsn.js';
import { benchRulesNodeRed } from './rules-nodered.js';
import { benchTails } from './tails.js';
import { runOptionalBench } from './lib/optional-bench.js';
import { benchPersistence } from './lib/persistence-adapter.js';
import { killStarted, mosquittoPath, mosquittoVersion, repoRoot } from './lib/procs.js';
import { markdownTable, textTable, type BenchResult } from './lib/report.js';

/**
 * `npm run bench`: every benchmark, each figure printed beside references measured in the same run, then written
 * to docs/benchmarks.md. `--only fanin,latency` runs some of them (and does not touch the docs unless --docs).
 */

const usage = `usage: node dist/bench/run.js [--only fanin,fanin5,exports,bridge,latency,logins,history,history-chart,footprint,start,persistence,dashboard,devices-page,rules,rules-nodered,tails,broker-store,retained-writes,devices,fair-share,mqttsn] [--profile] [--step-ms N] [--workers N] [--qos 0,1] [--brokers mosquitto,bare aedes,rumah] [--pair-timeout-s N] [--no-v5-props] [--docs|--no-docs]`;

interface Bench {
  id: string;
  run(): Promise<BenchResult | undefined>;
}

function ensureMosquitto(): string | undefined {
  const found = mosquittoPath();
  if (found) return found;
  console.log('mosquitto not found: installing the Debian package (apt-get install -y mosquitto)');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const cmd = [...sudo, 'apt-get', 'install', '-y', 'mosquitto'];
  console.log(`$ ${cmd.join(' ')}`);
  const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.log('apt-get install failed: the run goes on without the mosquitto reference');
    return undefined;
  }
  return mosquittoPath();
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        only: { type: 'string' }, profile: { type: 'boolean' }, 'step-ms': { type: 'string' }, workers: { type: 'string' },
        qos: { type: 'string' }, brokers: { type: 'string' }, 'pair-timeout-s': { type: 'string' }, docs: { type: 'boolean' }, 'no-docs': { type: 'boolean' }, 'no-v5-props': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const only = args.only?.split(',').map((s) => s.trim());
  const mosquitto = !only || only.includes('fanin') || only.includes('fanin5') || only.includes('broker-store') || only.includes('retained-writes') || only.includes('rules-nodered') || only.includes('tails') ? ensureMosquitto() : undefined;
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}` +
    (mosquitto ? `, mosquitto ${mosquittoVersion(mosquitto)}` : '');
  console.log(`rumah benchmarks — ${new Date().toISOString()}\nmachine: ${machine}`);
  const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`load average at start: ${loadAtStart}`);
  console.log('note: the CPU is shared (other engineers may be running tests): figures vary between runs; ratios measured in the same run are the ones to compare.\n');

  const benches: Bench[] = [
    {
      id: 'fanin',
      run: () => benchFanin({
        mosquitto, profile: args.profile, stepMs: args['step-ms'] ? Number(args['step-ms']) : undefined,
        workers: args.workers ? Number(args.workers) : undefined,
        qos: args.qos ? (args.qos.split(',').map(Number) as Array<0 | 1>) : undefined,
        brokers: args.brokers?.split(',').map((s) => s.trim()),
      }),
    },
    {
      // MQTT 5 clients on the hub, beside 3.1.1 clients on the same hub and mosquitto with v5 clients (bench/fanin5.ts).
      id: 'fanin5',
      run: () => benchFanin5({
        mosquitto, stepMs: args['step-ms'] ? Number(args['step-ms']) : undefined, workers: args.workers ? Number(args.workers) : undefined,
        qos: args.qos ? (args.qos.split(',').map(Number) as Array<0 | 1>) : undefined, properties: !args['no-v5-props'],
      }),
    },
    {
      // The hub's fan-in with the exports on, as a ratio to the same hub without them (bench/exports.ts, issue 17).
      id: 'exports',
      run: () => benchExports({ stepMs: args['step-ms'] ? Number(args['step-ms']) : undefined, workers: args.workers ? Number(args.workers) : undefined }),
    },
    { id: 'latency', run: () => benchLatency() },
    // Outbound bridge throughput beside mosquitto's own bridge (bench/bridge.ts, issue 17).
    { id: 'bridge', run: () => benchBridge() },
    { id: 'logins', run: () => benchLogins() },
    { id: 'mqttsn', run: () => benchMqttSn() },
    { id: 'history', run: () => benchHistory() },
    // The device page's chart over 30 days of a 1 Hz sensor, beside 1 hour (bench/history-chart.ts, issue 18 item 4).
    { id: 'history-chart', run: () => benchHistoryChart() },
    { id: 'footprint', run: () => benchFootprint() },
    // exec → first CONNACK of the bundle, of tsc's dist and of bare aedes, alternated (bench/start.ts, issue 19 item 6).
    { id: 'start', run: () => benchStart() },
    { id: 'persistence', run: () => benchPersistence() },
    { id: 'dashboard', run: () => benchDashboard() },
    // The Devices page with 1,000 devices beside the Home page in the same run (bench/devices-page.ts, issue 18).
    { id: 'devices-page', run: () => benchDevicesPage() },
    // bench/rules.ts (benchRules) belongs to the rules engine's engineer: run when it is there.
    { id: 'rules', run: () => runOptionalBench('rules.js', 'benchRules', { id: 'rules', title: 'Rules: reaction latency and throughput (bench/rules.ts)' }) },
    // 100 rules beside Node-RED 4.1.8 + mosquitto doing the same (bench/rules-nodered.ts, issue 19 item 2).
    { id: 'rules-nodered', run: () => benchRulesNodeRed({ mosquitto, profile: args.profile }) },
    // Broker path p99 at 5,000 msg/s, QoS 0 and 1, beside bare aedes and mosquitto (bench/tails.ts, issue 19 item 4).
    {
      id: 'tails',
      run: () => benchTails({ mosquitto, brokers: args.brokers?.split(',').map((s) => s.trim()), qos: args.qos ? (args.qos.split(',').map(Number) as Array<0 | 1>) : undefined }),
    },
    {
      id: 'broker-store',
      run: () => benchBrokerStore({ mosquitto, stepMs: args['step-ms'] ? Number(args['step-ms']) : undefined, workers: args.workers ? Number(args.workers) : undefined }),
    },
    // One publisher storing 10,000 retained QoS 1 messages beside bare aedes in memory (bench/retained-writes.ts, issue 19 item 3).
    { id: 'retained-writes', run: () => benchRetainedWrites({ mosquitto }) },
    { id: 'fair-share', run: () => benchFairShare() },
    {
      id: 'devices',
      run: () => benchDevices({
        workers: args.workers ? Number(args.workers) : undefined, stepMs: args['step-ms'] ? Number(args['step-ms']) : undefined,
        pairTimeoutMs: args['pair-timeout-s'] ? Number(args['pair-timeout-s']) * 1000 : undefined,
      }),
    },
  ];

  const results: BenchResult[] = [];
  const failures: string[] = [];
  let first = true;
  const runStarted = performance.now();
  for (const bench of benches) {
    if (only && !only.includes(bench.id)) continue;
    if (!first) await settle();
    first = false;
    console.log(`== ${bench.id}`);
    const started = performance.now();
    try {
      const result = await bench.run();
      if (result) {
        results.push(result);
        console.log(textTable([result]));
        for (const n of result.notes) console.log(`  · ${n}`);
      }
    } catch (err) {
      failures.push(`${bench.id}: ${(err as Error).stack ?? String(err)}`);
      console.log(`  ${bench.id} FAILED: ${(err as Error).message}`);
    }
    console.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }

  console.log('== summary');
  console.log(textTable(results));
  for (const f of failures) console.log(`FAILED ${f}`);

  const writeDocs = args.docs || (!only && !args['no-docs']);
  if (writeDocs && results.length) {
    const file = path.join(repoRoot, 'docs/benchmarks.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // What people wrote below the marker (analysis, causes) survives a new run; the figures above it are replaced.
    const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const kept = previous.includes(HAND_WRITTEN) ? previous.slice(previous.indexOf(HAND_WRITTEN)) : `${HAND_WRITTEN}\n`;
    const minutes = Math.round((performance.now() - runStarted) / 60_000);
    fs.writeFileSync(file, `${docs(results, `${machine}; load average at start ${loadAtStart}`, failures, minutes)}\n${kept}`);
    console.log(`\nwritten to ${path.relative(process.cwd(), file) || file}`);
  }
  return failures.length ? 1 : 0;
}

const HAND_WRITTEN = '<!-- Everything below this line is written by hand and kept when npm run bench rewrites the figures above. -->';

function docs(results: BenchResult[], machine: string, failures: string[], minutes: number): string {
  const out = [
    '# Benchmarks',
    '',
    `Measured with \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `Machine: ${machine}.`,
    '',
    '**Caveat:** the machine has 2 cores, shared with the brokers, the load generator and with other work ' +
      '(other engineers running tests at the same time). Absolute figures move from run to run; the ratios, ' +
      'measured against references in the same run, are what to compare. Everything runs on loopback.',
    '',
    '## Summary',
    '',
    markdownTable(results),
    '',
  ];
  for (const r of results) {
    out.push(`## ${r.title}`, '', markdownTable([r]), '');
    for (const n of r.notes) out.push(`- ${n}`);
    if (r.details?.length) out.push('', '```', ...r.details, '```');
    out.push('');
  }
  if (failures.length) out.push('## Failures', '', '```', ...failures, '```', '');
  out.push(`Run \`npm run bench\` to measure again (this run took ${minutes} minutes); \`node dist/bench/run.js --only fanin --profile\` for one benchmark with a CPU profile of rumah.`, '');
  return out.join('\n');
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  process.on('exit', killStarted);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killStarted();
      process.exit(130);
    });
  }
  main().then(
    (code) => {
      killStarted();
      process.exit(code);
    },
    (err: unknown) => {
      console.error(err);
      killStarted();
      process.exit(1);
    },
  );
}

/**
 * Between benchmarks: the previous one's garbage collected (`npm run bench` runs node with --expose-gc), its dirty
 * pages written out, two quiet seconds. The latency benchmark runs its hub inside this process, right after the
 * fan-in: publish → row p99 was 6.55 and 6.34 ms there (a major GC of what the fan-in left, in the middle of the
 * measurement) against 3.96 and 4.39 ms in runs of it alone, and 3.92 ms after the fan-in with this.
 */
async function settle(): Promise<void> {
  spawnSync('sync', { stdio: 'ignore' });
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 2000));
}
