import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, HOST, mosquittoPath, prepareRumahData, RUMAH_YAML, sleep, startMosquitto, startRumah, stopChild, tempDir, track, untrack, type Server } from './lib/procs.js';
import { CONNECTIONS, searchAll, TOPICS, type BrokerSpec } from './fanin.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// Issue 17: the hub's telemetry fan-in with a bridge and the exports on (every message bridged out to a local
// mosquitto, Home Assistant discovery, history to VictoriaMetrics through line protocol, Prometheus device gauges), as
// a ratio to the same hub without them, measured in turn in the same run (bench/fanin.ts's search). Target ≥ 0.9.

/** Rate searches per hub; each hub's best counts. */
const SEARCHES = 2;
/** Alternating steps per hub at the rate both passed, for the CPU per message at equal load. */
const SAME_RATE_ROUNDS = 3;

/** CPU µs per message from a step's CPU % (of one core) and its rate. */
const usPerMessage = (cpuPct: number, rate: number): number => (cpuPct / 100) * 1e6 / rate;

export interface ExportsBenchOptions {
  stepMs?: number;
  workers?: number;
  qos?: Array<0 | 1>;
}

function victoriaMetricsBin(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin']) {
    const bin = path.join(dir, 'victoria-metrics');
    if (dir && fs.existsSync(bin)) return bin;
  }
  return undefined;
}

const EXPORTS_YAML = (influxUrl: string | undefined, sinkPort: number | undefined): string => RUMAH_YAML + [
  // The whole house's telemetry out to another broker (a second site, a cloud broker), at the QoS it came with (at
  // most 1: QoS 1 waits in the durable out-queue).
  ...(sinkPort ? ['bridges:', '  - name: sink', `    url: mqtt://${HOST}:${sinkPort}`, '    topics:', '      - ourhome/# out 1 "" site/', ''] : []),
  'exports:',
  '  homeassistant:',
  '    enabled: true',
  ...(influxUrl ? ['  influx:', '    enabled: true', `    url: ${influxUrl}`] : []),
  '  prometheus:',
  '    deviceStates: true',
  '',
].join('\n');

export async function benchExports(opts: ExportsBenchOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const stepMs = opts.stepMs ?? 2000;
  const workers = opts.workers ?? 2;
  const qosList = opts.qos ?? [0];
  const notes: string[] = [];
  const details: string[] = [];
  const vmBin = victoriaMetricsBin();
  const vmDir = tempDir('vm');
  let vm: ReturnType<typeof spawn> | undefined;
  let influxUrl: string | undefined;
  if (vmBin) {
    const port = await freePort();
    // At the lowest CPU priority, as the sink below: on this one machine they stand for systems elsewhere (a cloud
    // broker, a time-series store on another box), and at full priority they took the 2 cores from the hub they are
    // measured beside. They still get every core the hub and the load generator leave.
    const args = [`-httpListenAddr=${HOST}:${port}`, `-storageDataPath=${vmDir}`, '-loggerLevel=ERROR'];
    vm = fs.existsSync('/usr/bin/nice') ? spawn('/usr/bin/nice', ['-n', '19', vmBin, ...args], { stdio: 'ignore' }) : spawn(vmBin, args, { stdio: 'ignore' });
    track(vm);
    for (let i = 0; i < 100 && !(await fetch(`http://${HOST}:${port}/health`).then((r) => r.ok, () => false)); i++) await sleep(100);
    influxUrl = `http://${HOST}:${port}/write`;
  } else {
    notes.push('victoria-metrics is not installed: the history export was off in this run (apt-get install victoria-metrics).');
  }
  const mosquitto = mosquittoPath();
  let sink: Server | undefined;
  if (mosquitto) {
    sink = await startMosquitto(mosquitto);
    os.setPriority(sink.pid, 19); // mosquitto is one thread: the whole of it
  } else notes.push('mosquitto is not installed: the bridge was off in this run (apt-get install mosquitto).');
  const exported = { points: 0, history: 0, bridged: 0, bridgeDropped: 0 };
  const dataDirs: string[] = [];
  const spec = (name: string, yaml: string, onClose?: BrokerSpec['onClose']): BrokerSpec => {
    let data: { dataDir: string; creds: { username: string; password: string } } | undefined;
    return {
      name,
      start: async () => {
        if (!data) {
          const dataDir = tempDir('exports');
          dataDirs.push(dataDir);
          data = { dataDir, creds: await prepareRumahData(dataDir, yaml) };
        }
        return startRumah({ dataDir: data.dataDir }, data.creds);
      },
      onClose,
    };
  };
  const specs = [
    spec('rumah', RUMAH_YAML),
    spec('rumah + bridge + exports', EXPORTS_YAML(influxUrl, sink?.port), async (server) => {
      const m = await (server as import('./lib/procs.js').Rumah).metrics();
      exported.points += m.rumah_export_influx_points_total ?? 0;
      exported.history += m.rumah_history_written_total ?? 0;
      exported.bridged += m['rumah_bridge_messages_out_total{bridge="sink"}'] ?? 0;
      exported.bridgeDropped += m['rumah_bridge_qos0_dropped_total{bridge="sink"}'] ?? 0;
    }),
  ];
  const best = new Map<string, number>();
  /** The hub's CPU (all threads) per message at its best passing step, µs: steadier than the rate on a shared machine. */
  const cpuPerMessage = new Map<string, number>();
  const figures: Figure[] = [];
  try {
    for (const qos of qosList) {
      // One unmeasured step first: it makes the 1,000 devices (registry rows, history series, and for the exports hub
      // a discovery config each), work of a house's first minute, not of its fan-in; both hubs keep their data folders.
      await searchAll(specs, qos, stepMs, workers, () => undefined, { startRate: 10_000, maxSteps: 1 });
      // Two searches per hub, each hub's better one counted: a step at the edge of a hub's capacity passes or fails
      // by chance on a shared machine, and one unlucky failure brackets a whole search a step lower (single searches
      // read 0.79–1.00× for the same build).
      for (let search2 = 0; search2 < SEARCHES; search2++) {
        for (const search of await searchAll(specs, qos, stepMs, workers, log)) {
          if (search.error) notes.push(`${search.spec.name} QoS ${qos}: ${search.error.message}`);
          const key = `${search.spec.name}/${qos}`;
          if (search.result.best > (best.get(key) ?? -1)) {
            best.set(key, search.result.best);
            const top = search.result.steps.filter((s) => s.pass).sort((a, b) => b.rate - a.rate)[0];
            if (top) cpuPerMessage.set(key, usPerMessage(top.brokerCpuPct, top.rate));
          }
          details.push(`${search.spec.name} QoS ${qos}, search ${search2 + 1}: best ${fmt(search.result.best)} msg/s; steps: ` + search.result.steps.map((s) => `${fmt(s.rate / 1000)}k ${s.pass ? 'ok' : 'FAIL'}`).join(', '));
        }
      }
      const plain = best.get(`rumah/${qos}`) ?? NaN;
      const withExports = best.get(`rumah + bridge + exports/${qos}`) ?? NaN;
      figures.push({
        label: `fan-in QoS ${qos} with a bridge and the exports on (all telemetry bridged out, HA discovery, line protocol to VictoriaMetrics, device gauges)`,
        unit: 'msg/s',
        value: withExports,
        refs: { 'rumah, bridge and exports off': plain },
        target: Number.isFinite(plain) && Number.isFinite(withExports) ? { text: '≥ 0.9× the same hub without them', met: withExports >= 0.9 * plain } : undefined,
      });
      const cpuOff = cpuPerMessage.get(`rumah/${qos}`);
      const cpuOn = cpuPerMessage.get(`rumah + bridge + exports/${qos}`);
      if (cpuOff !== undefined && cpuOn !== undefined) {
        figures.push({
          label: `hub CPU per message, fan-in QoS ${qos} with a bridge and the exports on (all threads, at each hub's best passing step; the sink and VictoriaMetrics share the 2 cores but not this figure)`,
          unit: 'µs', value: cpuOn, lowerIsBetter: true, refs: { 'rumah, bridge and exports off': cpuOff },
        });
      }
      // The same rate for both: each hub's CPU per message at its own best step also moves with that rate (a faster
      // step packs more messages per read and write), so the cost of the bridge and the exports is read here, at the
      // highest rate both passed, in alternating single steps.
      const common = Math.min(plain, withExports);
      if (common > 0) {
        const at = new Map<string, { all: number[]; main: number[] }>();
        for (let round = 0; round < SAME_RATE_ROUNDS; round++) {
          for (const search of await searchAll(specs, qos, stepMs, workers, log, { startRate: common, maxSteps: 1 })) {
            const s = search.result.steps[0];
            if (!s?.pass) continue;
            const m = at.get(search.spec.name) ?? { all: [], main: [] };
            m.all.push(usPerMessage(s.brokerCpuPct, s.rate));
            m.main.push(usPerMessage(s.brokerMainCpuPct, s.rate));
            at.set(search.spec.name, m);
          }
        }
        const off = at.get('rumah');
        const on = at.get('rumah + bridge + exports');
        if (off && on) {
          figures.push(
            { label: `hub CPU per message at ${fmt(common)} msg/s for both, QoS ${qos}, with a bridge and the exports on (all threads; median of ${SAME_RATE_ROUNDS} alternating steps)`, unit: 'µs', value: median(on.all), lowerIsBetter: true, refs: { 'rumah, bridge and exports off': median(off.all) } },
            { label: `the same, main thread only`, unit: 'µs', value: median(on.main), lowerIsBetter: true, refs: { 'rumah, bridge and exports off': median(off.main) } },
          );
          details.push(`same rate ${fmt(common)} msg/s, CPU µs per message (all threads / main): off ${off.all.map((v, i) => `${fmt(v)}/${fmt(off.main[i]!)}`).join(', ')}; on ${on.all.map((v, i) => `${fmt(v)}/${fmt(on.main[i]!)}`).join(', ')}`);
        }
      }
    }
  } finally {
    await sink?.stop();
    if (vm) {
      await stopChild(vm);
      untrack(vm);
    }
    for (const d of [...dataDirs, vmDir]) fs.rmSync(d, { recursive: true, force: true });
  }
  notes.push(
    `Load as in the fan-in benchmark: ${CONNECTIONS} publishers, ${TOPICS} native devices whose temperature changes on every message, one subscriber; the two hubs take their steps in turn, ${SEARCHES} rate searches each (the better counts).`,
    `With the bridge on, every message goes out to a local mosquitto (rule \`ourhome/# out 1 "" site/\`); over the run ${fmt(exported.bridged)} were bridged and ${exported.bridgeDropped.toLocaleString('en-US')} QoS 0 messages not sent (the sink not taking them fast enough: 4 MiB waiting). The sink and VictoriaMetrics run at nice 19. ` +
      `With the exports on, every device is announced to Home Assistant and its state topic published (at most once a second per device); history rows go to VictoriaMetrics in batches of 5,000. ` +
      `Over the run the export sent ${fmt(exported.points)} points of ${fmt(exported.history)} history rows written (the rest wait in history and follow: the export is not part of a step's pass).`,
  );
  return { id: 'exports', title: 'Fan-in with the exports on (bench/exports.ts)', figures, notes, details };
}
