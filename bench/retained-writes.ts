import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PAYLOAD } from './lib/packets.js';
import { encodeQos1, publishPipelined } from './lib/pipeline.js';
import { cpuMs, HOST, mosquittoPath, prepareRumahData, RUMAH_YAML, startMosquitto, startNodeServer, startRumah, tempDir, type Server } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// Issue 19 item 3: "one publisher storing 10,000 retained ≥ 0.5× bare aedes in memory". One connection publishes
// 10,000 retained QoS 1 messages on distinct topics, keeping `WINDOW` PUBACKs outstanding; the rate is acknowledged
// publishes / time from the first write to the last PUBACK. rumah with broker.db (each PUBACK after its row is
// committed) beside bare aedes 1.x in memory, the same rumah with `mqtt.persistence: memory` and mosquitto, all
// started once and taking their turns round after round (so load from other work falls on all alike); each round
// uses new topics, so every publish inserts a row. The same with one PUBACK outstanding (the publisher waits for
// each) is printed as information: there every message is its own commit.
//   npx tsc -p . && node dist/bench/retained-writes.js   (or: node dist/bench/run.js --only retained-writes)

const MESSAGES = 10_000;
/** PUBACKs one publisher keeps outstanding: the fan-in's window (bench/fanin.ts), as an MQTT client library's default inflight. */
const WINDOW = 20;
const ROUNDS = 5;

const SQLITE = 'rumah sqlite';
const MEMORY = 'rumah memory';
const AEDES = 'bare aedes';
const MOSQUITTO = 'mosquitto';

export interface RetainedWritesOptions {
  mosquitto?: string;
  rounds?: number;
  messages?: number;
}

/** Acknowledged publishes per second, and the broker's CPU time per message (all its threads, µs). */
async function publishOne(server: Server, clientId: string, prefix: string, messages: number, window: number): Promise<{ rate: number; cpuUs: number }> {
  const client = await RawClient.connect({ host: HOST, port: server.port, clientId, username: server.username, password: server.password });
  try {
    const set: Array<[string, Buffer]> = Array.from({ length: messages }, (_, i) => [`${prefix}/d${i}/state`, PAYLOAD(i)]);
    const packets = encodeQos1(set, true);
    const cpu0 = cpuMs(server.pid);
    const run = await publishPipelined([client], [packets], window, 60_000);
    if (!run.complete) throw new Error(`${server.name}: ${fmt(run.acked)} of ${fmt(messages)} retained publishes acknowledged within 60 s`);
    return { rate: (run.acked / run.elapsedMs) * 1000, cpuUs: ((cpuMs(server.pid) - cpu0) * 1000) / messages };
  } finally {
    await client.close();
  }
}

export async function benchRetainedWrites(opts: RetainedWritesOptions = {}, log: (s: string) => void = console.log): Promise<BenchResult> {
  const rounds = opts.rounds ?? ROUNDS;
  const messages = opts.messages ?? MESSAGES;
  const mosquittoBin = opts.mosquitto ?? mosquittoPath();
  const root = tempDir('retained-writes');
  const notes: string[] = [];
  const servers: Server[] = [];
  try {
    // The publisher is a device account; its retained quota (5,000 by default) and its own publish rate
    // (mqtt.publishRate 5,000/s, burst 10,000) would measure themselves: both raised, they have their own tests and benches.
    const yaml = (persistence: string): string =>
      `${RUMAH_YAML}mqtt:\n  persistence: ${persistence}\n  maxRetainedPerAccount: 1000000\n  maxRetainedBytesPerAccount: 1073741824\n  publishRate: 1000000\n  publishBurst: 1000000\n`;
    const sqliteDir = path.join(root, 'sqlite');
    const memoryDir = path.join(root, 'memory');
    const creds = await prepareRumahData(sqliteDir, yaml('sqlite'));
    fs.cpSync(sqliteDir, memoryDir, { recursive: true });
    fs.writeFileSync(path.join(memoryDir, 'rumah.yaml'), yaml('memory'));
    const start: Array<[string, () => Promise<Server>]> = [
      [SQLITE, () => startRumah({ dataDir: sqliteDir }, creds)],
      [AEDES, () => startNodeServer(AEDES, 'aedes.js')],
      [MEMORY, () => startRumah({ dataDir: memoryDir }, creds)],
    ];
    if (mosquittoBin) start.push([MOSQUITTO, () => startMosquitto(mosquittoBin)]);
    else notes.push('mosquitto is not installed: no mosquitto reference.');
    for (const [name, s] of start) servers.push({ ...(await s()), name });

    const rates = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const tag = (s: Server): string => s.name.replace(/\W/g, '');
    // Warm-up, one unrecorded round each: a broker's first publishes (JIT, SQLite's page cache) are not what a running
    // hub does; after 1,000 the first recorded round still ran at half the speed of the next (aedes included).
    for (const s of servers) await publishOne(s, `warm-${tag(s)}`, 'bench/retained/warm', messages, WINDOW);
    for (let r = 0; r < rounds; r++) {
      for (const s of servers) {
        const run = await publishOne(s, `ret-${tag(s)}-${r}`, `bench/retained/r${r}`, messages, WINDOW);
        rates.get(s.name)!.push(run.rate);
        cpu.get(s.name)!.push(run.cpuUs);
      }
      log(`    round ${r + 1}: ${servers.map((s) => `${s.name} ${fmt(rates.get(s.name)!.at(-1)!)}/s`).join(', ')}`);
    }
    // Information: the publisher waits for each PUBACK before the next PUBLISH (one round).
    const waiting = new Map<string, number>();
    for (const s of servers) waiting.set(s.name, (await publishOne(s, `one-${tag(s)}`, 'bench/retained/w1', messages, 1)).rate);
    log(`    window 1: ${servers.map((s) => `${s.name} ${fmt(waiting.get(s.name)!)}/s`).join(', ')}`);

    const med = (name: string, of = rates): number => (of.has(name) ? median(of.get(name)!) : NaN);
    const sqlite = med(SQLITE);
    const aedes = med(AEDES);
    const refs: Record<string, number> = { 'bare aedes 1.x, in memory': aedes, 'same rumah, persistence memory': med(MEMORY) };
    if (rates.has(MOSQUITTO)) refs['mosquitto (persistence false)'] = med(MOSQUITTO);
    const waitRefs: Record<string, number> = { 'bare aedes 1.x, in memory': waiting.get(AEDES) ?? NaN, 'same rumah, persistence memory': waiting.get(MEMORY) ?? NaN };
    if (waiting.has(MOSQUITTO)) waitRefs['mosquitto (persistence false)'] = waiting.get(MOSQUITTO)!;
    const figures: Figure[] = [
      {
        label: `one publisher storing ${fmt(messages)} retained QoS 1 messages (distinct topics, ${WINDOW} PUBACKs outstanding), rumah with broker.db (median of ${rounds})`,
        unit: '/s', value: sqlite, refs,
        target: { text: '≥ 0.5× bare aedes in memory', met: sqlite >= 0.5 * aedes },
      },
      {
        label: `the same: broker CPU per message, all threads (median of ${rounds}; information)`,
        unit: 'µs', value: med(SQLITE, cpu), lowerIsBetter: true,
        refs: Object.fromEntries([[AEDES, med(AEDES, cpu)], [MEMORY, med(MEMORY, cpu)], ...(cpu.has(MOSQUITTO) ? [[MOSQUITTO, med(MOSQUITTO, cpu)]] : [])]),
      },
      {
        label: `the same, the publisher waiting for each PUBACK (1 outstanding; information)`,
        unit: '/s', value: waiting.get(SQLITE) ?? NaN, refs: waitRefs,
      },
    ];
    const details = [...rates].map(([name, rs]) =>
      `${name}, ${WINDOW} outstanding, per round: ${rs.map((x) => fmt(x)).join(', ')} /s (CPU ${cpu.get(name)!.map((x) => fmt(x)).join(', ')} µs/msg); 1 outstanding: ${fmt(waiting.get(name) ?? NaN)} /s`);
    notes.push(
      `One connection (rumah: a device account; aedes and mosquitto: anonymous), ${fmt(messages)} retained QoS 1 PUBLISHes (~70-byte JSON, pre-encoded) on topics bench/retained/rN/dI/state (five levels: no convention makes a device of them, so this is broker + persistence), new ones each round, ` +
        `at most ${WINDOW} PUBACKs outstanding; rate = acknowledged / (first write → last PUBACK). The brokers run side by side and take their turns, ${rounds} rounds after an unrecorded warm-up round each. ` +
        'rumah sqlite acknowledges each publish only after its row is committed to broker.db (WAL, synchronous NORMAL); bare aedes (bench/servers/aedes.ts) and rumah memory keep retained messages in memory ' +
        '(aedes 1.x acknowledges before it stores); mosquitto runs with persistence false. rumah\'s retained quota and per-client publish rate are raised (they bind at 5,000 messages / 5,000/s by default).',
    );
    return { id: 'retained-writes', title: 'Retained QoS 1 writes, one publisher (bench/retained-writes.ts)', figures, notes, details };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchRetainedWrites();
  for (const f of r.figures) {
    const refs = Object.entries(f.refs ?? {}).map(([k, v]) => `${k} ${fmt(v)} (${fmt(f.value / v)}×)`).join('; ');
    console.log(`${f.label}: ${fmt(f.value)} ${f.unit}; ${refs}${f.target ? `; target ${f.target.text}: ${f.target.met ? 'MET' : 'MISSED'}` : ''}`);
  }
  for (const d of r.details ?? []) console.log(`  ${d}`);
}
