// Rules benchmark: reaction latency from a sensor's publish to an actuator client receiving the rule's publish,
// p50/p99 at 1,000 and 10,000 msg/s with 10, 100 and 1,000 rules, and throughput with 1,000 rules against 10
// (trigger matching is a topic trie: the target is ≥ 80%).
//
// The hub runs in this process; the sensor and actuator clients run in a worker thread (bench/lib/reaction-load.ts,
// shared with bench/rules-nodered.ts: their own event loop, so the load generator does not queue behind the hub). Send times travel in the payload as process.hrtime, which is
// one monotonic clock for every thread. Each sensor topic is a native device (state, history, ACL: the real
// path) and each rule reacts to one of them: `trigger: mqtt` on its topic, `action: publish` to rb/out/<i>.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Hub } from '../server/hub.js';
import { defaults, type Config } from '../server/config/schema.js';
import { percentile } from './lib/stats.js';
import { BENCH_BUDGETS, tempDir } from './lib/procs.js';
import { ReactionLoad, ruleText, type ReactionCreds } from './lib/reaction-load.js';

const RULE_COUNTS = [10, 100, 1000] as const;
const RATES = [1000, 10_000] as const;
const RUN_MS = 3000;
const WARMUP_MS = 300;
const BLAST = 20_000;
const BLAST_WINDOW = 1000;
const ROUNDS = 5;

async function startHub(rules: number, filter = 'rb/out/#'): Promise<{ hub: Hub; creds: ReactionCreds; stop(): Promise<void> }> {
  const dataDir = tempDir('rumah-bench-rules-');
  fs.mkdirSync(path.join(dataDir, 'rules'));
  for (let i = 0; i < rules; i++) fs.writeFileSync(path.join(dataDir, 'rules', `bench-${i}.yaml`), ruleText(i));
  const config: Config = {
    ...defaults, dataDir, bind: '127.0.0.1', log: { level: 'warn' }, http: { ...defaults.http, port: 0 },
    // The load generator is one client: its rate must not be the limit being measured.
    mqtt: { ...defaults.mqtt, port: 0, publishRate: 1_000_000, publishBurst: 1_000_000, ...BENCH_BUDGETS },
    devices: { ...defaults.devices, maxPerAccount: 10_000 },
  };
  const hub = new Hub({ config, log: pino({ level: 'warn' }), adminPassword: 'bench-admin-password' });
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

const round = (n: number, d = 2): number => Number(n.toFixed(d));

interface Bed {
  rules: number;
  load: ReactionLoad;
  stop(): Promise<void>;
}

/** A hub with `rules` rules (0: the reference, where the actuator follows the sensor topics directly) and its clients. */
async function bed(rules: number): Promise<Bed> {
  const h = await startHub(rules, rules === 0 ? 'rb/f/#' : 'rb/out/#');
  let load: ReactionLoad;
  try {
    load = await ReactionLoad.start(h.creds);
  } catch (err) {
    await h.stop();
    throw err;
  }
  const stop = async (): Promise<void> => {
    await load.close();
    await h.stop();
  };
  try {
    // The reference has no rules to answer the warm-up; it warms its 1,000 topics the same way.
    await load.warm(rules || 1000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { rules, load, stop };
}

async function latency(b: Bed, out: Record<string, number | string>, name: string): Promise<void> {
  for (const rate of RATES) {
    const r = await b.load.run(b.rules || 1000, rate, RUN_MS, WARMUP_MS);
    const key = `${name}_${rate / 1000}k`;
    out[`${key}_p50_ms`] = round(percentile(r.latencies, 50));
    out[`${key}_p99_ms`] = round(percentile(r.latencies, 99));
    out[`${key}_lost`] = r.sent - r.received;
    console.log(`  ${name.padEnd(10)} ${String(rate).padStart(6)} msg/s: p50 ${out[`${key}_p50_ms`]} ms, p99 ${out[`${key}_p99_ms`]} ms (${r.received}/${r.sent} answered)`);
  }
}

/** Messages per second, as fast as the hub answers, spread over the first `topics` rules. */
async function blast(b: Bed, topics: number): Promise<number> {
  const r = await b.load.blast(topics, BLAST, BLAST_WINDOW);
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
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
