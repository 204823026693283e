// Rules benchmark: reaction latency from a sensor's publish to an actuator client receiving the rule's publish,
// p50/p99 at 1,000 and 10,000 msg/s with 10, 100 and 1,000 rules, and throughput with 1,000 rules against 10
// (trigger matching is a topic trie: the target is ≥ 80%).
//
// The hub runs in this process; the sensor and actuator clients run in a worker thread (their own event loop, so
// the load generator does not queue behind the hub). Send times travel in the payload as process.hrtime, which is
// one monotonic clock for every thread. Each sensor topic is a native device (state, history, ACL: the real
// path) and each rule reacts to one of them: `trigger: mqtt` on its topic, `action: publish` to rb/out/<i>.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Hub } from '../server/hub.js';
import { defaults, type Config } from '../server/config/schema.js';
import { percentile } from './lib/stats.js';
import { BENCH_BUDGETS, tempDir } from './lib/procs.js';

const RULE_COUNTS = [10, 100, 1000] as const;
const RATES = [1000, 10_000] as const;
const RUN_MS = 3000;
const WARMUP_MS = 300;
const BLAST = 20_000;
const BLAST_WINDOW = 1000;
const ROUNDS = 5;

const sensorTopic = (i: number): string => `rb/f/r${i}/t`;

function ruleText(i: number): string {
  // parallel: at 1,000 messages a second on one rule, a run is often still publishing when the next message comes;
  // mode single would skip those (by design), which is not what is measured here.
  return [`id: bench-${i}`, 'mode: parallel', 'max: 1000', 'triggers:', '  - trigger: mqtt', `    topic: ${sensorTopic(i)}`, 'actions:', '  - action: publish', `    topic: rb/out/${i}`, '    payload: "{{ payload }}"', ''].join('\n');
}

interface Creds {
  url: string;
  /** What the actuator follows: the rules' publishes, or (the reference) the sensor topics themselves. */
  filter: string;
  sensor: { username: string; password: string };
  actuator: { username: string; password: string };
}

type Request = { cmd: 'run'; rules: number; rate: number; ms: number } | { cmd: 'blast'; rules: number; count: number; window: number } | { cmd: 'warm'; rules: number } | { cmd: 'close' };
type Reply = { latencies: number[]; sent: number; received: number } | { ms: number; received: number } | { ok: true };

// ---- worker: the sensor and the actuator ----

async function workerMain(creds: Creds): Promise<void> {
  const connect = (c: { username: string; password: string }, id: string): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const client = mqtt.connect(creds.url, { ...c, clientId: id, reconnectPeriod: 0 });
      client.once('connect', () => resolve(client));
      client.once('error', reject);
    });
  const sensor = await connect(creds.sensor, 'bench-sensor');
  const actuator = await connect(creds.actuator, 'bench-actuator');
  await new Promise<void>((resolve, reject) => actuator.subscribe(creds.filter, { qos: 0 }, (err) => (err ? reject(err) : resolve())));
  let onReceive: (sentAt: bigint) => void = () => undefined;
  actuator.on('message', (_topic, payload) => onReceive(BigInt(payload.toString())));
  const send = (rules: number, i: number): void => {
    sensor.publish(sensorTopic(i % rules), process.hrtime.bigint().toString(), { qos: 0 });
  };

  parentPort!.on('message', async (req: Request) => {
    if (req.cmd === 'close') {
      sensor.end(true);
      actuator.end(true);
      parentPort!.postMessage({ ok: true } satisfies Reply);
      return;
    }
    if (req.cmd === 'warm') {
      // One message per topic: the devices exist before anything is measured.
      let got = 0;
      const done = new Promise<void>((resolve) => (onReceive = () => ++got === req.rules && resolve()));
      for (let i = 0; i < req.rules; i++) send(req.rules, i);
      await done;
      parentPort!.postMessage({ ok: true } satisfies Reply);
      return;
    }
    if (req.cmd === 'run') {
      const latencies: number[] = [];
      let received = 0;
      const t0 = process.hrtime.bigint();
      const measureFrom = t0 + BigInt(WARMUP_MS) * 1_000_000n;
      onReceive = (sentAt) => {
        received++;
        if (sentAt >= measureFrom) latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      };
      let sent = 0;
      await new Promise<void>((resolve) => {
        const start = performance.now();
        const tick = (): void => {
          const elapsed = performance.now() - start;
          const due = Math.floor((req.rate * Math.min(elapsed, req.ms)) / 1000);
          while (sent < due) send(req.rules, sent++);
          if (elapsed >= req.ms) resolve();
          else setTimeout(tick, 1);
        };
        tick();
      });
      // The last replies.
      const deadline = Date.now() + 2000;
      while (received < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      parentPort!.postMessage({ latencies, sent, received } satisfies Reply);
      return;
    }
    // blast: as fast as the hub answers, at most `window` messages outstanding.
    let received = 0;
    let sent = 0;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (sent < req.count && sent - received < req.window) send(req.rules, sent++);
      };
      let idle: NodeJS.Timeout | undefined;
      const stall = (): void => {
        clearTimeout(idle);
        idle = setTimeout(resolve, 5000);
      };
      onReceive = () => {
        received++;
        stall();
        if (received === req.count) {
          clearTimeout(idle);
          resolve();
        } else if (sent - received < req.window / 2) pump();
      };
      pump();
      stall();
    });
    parentPort!.postMessage({ ms: performance.now() - start, received } satisfies Reply);
  });
  parentPort!.postMessage({ ok: true } satisfies Reply);
}

// ---- main: the hub and the figures ----

async function startHub(rules: number, filter = 'rb/out/#'): Promise<{ hub: Hub; creds: Creds; stop(): Promise<void> }> {
  const dataDir = tempDir('rumah-bench-rules-');
  fs.mkdirSync(path.join(dataDir, 'rules'));
  for (let i = 0; i < rules; i++) fs.writeFileSync(path.join(dataDir, 'rules', `bench-${i}.yaml`), ruleText(i));
  const config: Config = {
    ...defaults, dataDir, bind: '127.0.0.1', log: { level: 'warn' }, http: { ...defaults.http, port: 0 },
    // The load generator is one client: its rate must not be the limit being measured.
    mqtt: { ...defaults.mqtt, port: 0, publishRate: 1_000_000, publishBurst: 1_000_000, ...BENCH_BUDGETS },
    devices: { ...defaults.devices, maxPerAccount: 10_000 },
  };
  const hub = new Hub({ config, log: pino({ level: 'warn' }), adminPassword: 'bench-admin-password', rules: { limits: { floodRuns: 1e9 } } });
  const runtime = await hub.start();
  const sensor = { username: 'bench-sensor', password: await hub.store.accounts.create('bench-sensor', 'device') };
  const actuator = { username: 'bench-actuator', password: await hub.store.accounts.create('bench-actuator', 'admin') };
  return {
    hub, creds: { url: `mqtt://127.0.0.1:${runtime.mqttPort}`, filter, sensor, actuator },
    async stop() {
      await hub.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function ask(worker: Worker, req: Request): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const done = (reply: Reply): void => {
      worker.off('error', fail);
      resolve(reply);
    };
    const fail = (err: Error): void => {
      worker.off('message', done);
      reject(err);
    };
    worker.once('message', done);
    worker.once('error', fail);
    worker.postMessage(req);
  });
}

const round = (n: number, d = 2): number => Number(n.toFixed(d));

interface Bed {
  rules: number;
  worker: Worker;
  stop(): Promise<void>;
}

/** A hub with `rules` rules (0: the reference, where the actuator follows the sensor topics directly) and its clients. */
async function bed(rules: number): Promise<Bed> {
  const h = await startHub(rules, rules === 0 ? 'rb/f/#' : 'rb/out/#');
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: h.creds });
  const stop = async (): Promise<void> => {
    await ask(worker, { cmd: 'close' }).catch(() => undefined);
    await worker.terminate();
    await h.stop();
  };
  try {
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // The reference has no rules to answer the warm-up; it warms its 1,000 topics the same way.
    await ask(worker, { cmd: 'warm', rules: rules || 1000 });
  } catch (err) {
    await stop();
    throw err;
  }
  return { rules, worker, stop };
}

async function latency(b: Bed, out: Record<string, number | string>, name: string): Promise<void> {
  for (const rate of RATES) {
    const r = (await ask(b.worker, { cmd: 'run', rules: b.rules || 1000, rate, ms: RUN_MS })) as { latencies: number[]; sent: number; received: number };
    const key = `${name}_${rate / 1000}k`;
    out[`${key}_p50_ms`] = round(percentile(r.latencies, 50));
    out[`${key}_p99_ms`] = round(percentile(r.latencies, 99));
    out[`${key}_lost`] = r.sent - r.received;
    console.log(`  ${name.padEnd(10)} ${String(rate).padStart(6)} msg/s: p50 ${out[`${key}_p50_ms`]} ms, p99 ${out[`${key}_p99_ms`]} ms (${r.received}/${r.sent} answered)`);
  }
}

/** Messages per second, as fast as the hub answers, spread over the first `topics` rules. */
async function blast(b: Bed, topics: number): Promise<number> {
  const r = (await ask(b.worker, { cmd: 'blast', rules: topics, count: BLAST, window: BLAST_WINDOW })) as { ms: number; received: number };
  return (r.received / r.ms) * 1000;
}

export async function benchRules(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  // Reference in the same run: the broker alone (sensor → actuator, one hop, no rule).
  const reference = await bed(0);
  try {
    await latency(reference, out, 'no_rules');
  } finally {
    await reference.stop();
  }
  const beds = new Map<number, Bed>();
  try {
    for (const rules of RULE_COUNTS) {
      const b = await bed(rules);
      beds.set(rules, b);
      await latency(b, out, `rules${rules}`);
      if (rules === 100) {
        beds.delete(rules);
        await b.stop();
      }
    }
    // Throughput with 1,000 rules loaded against 10, in alternating rounds (the machine's load drifts; a drift then
    // hits both). "matching": the traffic goes to 10 of the rules in both hubs, so what differs is only how many
    // rules every message is matched against — the cost the topic trie keeps flat. "spread": the traffic goes to
    // every rule of the hub, so each run also touches its own rule's state (cold caches, 100 times more trace rings).
    const runs: Array<[string, number, number]> = [['matching', 10, 10], ['matching', 1000, 10], ['spread', 10, 10], ['spread', 1000, 1000]];
    const rates = new Map<string, number[]>(runs.map(([kind, rules]) => [`${kind}_${rules}`, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, rules, topics] of runs) rates.get(`${kind}_${rules}`)!.push(await blast(beds.get(rules)!, topics));
    }
    for (const [key, list] of rates) {
      out[`throughput_${key}_rules_msg_s`] = Math.round(percentile(list, 50));
      console.log(`  throughput ${key.replace('_', ', ')} rules: ${list.map(Math.round).join(', ')} msg/s (median ${out[`throughput_${key}_rules_msg_s`]})`);
    }
  } finally {
    for (const b of beds.values()) await b.stop();
  }
  const ratio = (out.throughput_matching_1000_rules_msg_s as number) / (out.throughput_matching_10_rules_msg_s as number);
  out.throughput_1000_vs_10 = round(ratio);
  out.throughput_target = ratio >= 0.8 ? 'met (>= 0.80)' : 'missed (< 0.80)';
  out.throughput_spread_1000_vs_10 = round((out.throughput_spread_1000_rules_msg_s as number) / (out.throughput_spread_10_rules_msg_s as number));
  out.p99_1k_target = RULE_COUNTS.every((n) => (out[`rules${n}_1k_p99_ms`] as number) < 5) ? 'met (< 5 ms at 1,000 msg/s)' : 'missed (>= 5 ms at 1,000 msg/s)';
  return out;
}

if (!isMainThread) {
  void workerMain(workerData as Creds);
} else if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchRules().then(
    (figures) => {
      console.log(JSON.stringify(figures, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
