// MQTT-SN gateway (issue 20): publishes/s from 100 simulated sensors over MQTT-SN (UDP) and the same over MQTT TCP in
// the same run, into one hub with one MQTT subscriber; 1,000 sleeping clients woken once with 10 held messages each;
// memory per MQTT-SN client. The hub runs in this process (as bench/latency.ts does), so the sensors' side shares
// the CPU with it in both arms alike: the ratio is the figure to read.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { pino } from 'pino';
import mqttPacket from 'mqtt-packet';
import { Hub } from '../server/hub.js';
import { defaults, type Config } from '../server/config/schema.js';
import { BindingsRepo } from '../server/mqttsn/bindings-repo.js';
import { decode, encapsulate, encode, type Packet } from '../server/mqttsn/codec/index.js';
import { BENCH_BUDGETS, tempDir } from './lib/procs.js';
import type { BenchResult, Figure } from './lib/report.js';

const SENSORS = 100;
const MEASURE_MS = 4000;
const SLEEPERS = Number(process.env.BENCH_SN_SLEEPERS ?? 1000);
const HELD = 10;
const HOST = '127.0.0.1';
const f = (qos: -1 | 0 | 1 | 2 = 0, more: Partial<{ cleanSession: boolean }> = {}) => ({ dup: false, qos, retain: false, will: false, cleanSession: false, topicIdType: 'normal' as const, ...more });

/** A raw MQTT 3.1.1 TCP client: CONNECT, then packets in and out through a parser. */
function tcpClient(port: number, clientId: string, username: string, password: string, onPacket: (p: mqttPacket.Packet) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, HOST);
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: mqttPacket.Packet) => (p.cmd === 'connack' ? ((p.returnCode ?? 0) === 0 ? resolve(socket) : reject(new Error(`CONNACK ${p.returnCode}`))) : onPacket(p)));
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', reject);
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 600, username, password: Buffer.from(password) }));
  });
}

/** One UDP socket, answers routed to per-client handlers (a sensor each, or node ids behind one forwarder). */
class Udp {
  readonly socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  handlers = new Map<string, (p: Packet) => void>();
  constructor(private readonly port: number, private readonly encapsulated = false) {
    this.socket.on('message', (m) => {
      const d = decode(m);
      if (!d.ok) return;
      if (d.value.type === 'encapsulated') {
        const inner = decode(d.value.inner);
        if (inner.ok && inner.value.type !== 'encapsulated') this.handlers.get(d.value.nodeId.toString('hex'))?.(inner.value);
      } else this.handlers.get('')?.(d.value);
    });
  }
  bind(): Promise<void> {
    return new Promise((r) => this.socket.bind(0, HOST, () => r()));
  }
  send(p: Packet, node?: number): void {
    const bytes = encode(p);
    this.socket.send(this.encapsulated ? encapsulate(nodeId(node!), bytes) : bytes, this.port, HOST);
  }
  close(): void {
    this.socket.close();
  }
}
const nodeId = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);

/** Sends `one(i)` from every sensor in rounds, each sensor waiting for its answer; counts messages the subscriber got. */
async function closedLoop(run: (sensor: number) => Promise<void>, received: () => number): Promise<number> {
  const start = received();
  const t0 = performance.now();
  const deadline = t0 + MEASURE_MS;
  await Promise.all(Array.from({ length: SENSORS }, async (_, i) => {
    while (performance.now() < deadline) await run(i);
  }));
  return (received() - start) / ((performance.now() - t0) / 1000);
}

export async function benchMqttSn(): Promise<BenchResult> {
  const dataDir = tempDir('rumah-mqttsn');
  const config: Config = {
    ...defaults, dataDir, bind: HOST, log: { level: 'warn' },
    // Budgets out of reach (bench/lib/procs.ts BENCH_BUDGETS): the 100 sensors share one account; 1,000 persistent sessions in it.
    mqtt: { ...defaults.mqtt, port: 0, ...BENCH_BUDGETS, maxSessionsPerAccount: SLEEPERS + 10 }, http: { ...defaults.http, port: 0 },
    mqttsn: { ...defaults.mqttsn, enabled: true, port: 0, ipv6: false, advertiseInterval: 0, datagramRate: 1e9, datagramBurst: 1e9, maxClients: 5000 },
  };
  const hub = new Hub({ config, log: pino({ level: 'warn' }), adminPassword: 'bench-admin-password' });
  const runtime = await hub.start();
  const snPort = runtime.mqttsnPort!;
  const figures: Figure[] = [];
  const notes = [`${SENSORS} sensors, each publishing in a closed loop (next message once the last was acknowledged, at QoS 0 once the subscriber had it) for ${MEASURE_MS / 1000} s; one MQTT TCP subscriber of bench/#. Hub, sensors and subscriber in one process.`];
  const sockets: Array<{ close(): void } | net.Socket> = [];
  try {
    const password = await hub.store.accounts.create('bench-sn', 'device');
    await hub.store.accounts.setAcl('bench-sn', ['bench/#']);
    const bindings = new BindingsRepo(hub.store.db);
    for (let i = 0; i < SENSORS; i++) await bindings.bind(`s${i}`, 'bench-sn', undefined);
    for (let i = 0; i < SLEEPERS; i++) await bindings.bind(`z${i}`, 'bench-sn', undefined);

    let got = 0;
    const waiting = new Map<string, () => void>();
    const sub = await tcpClient(runtime.mqttPort, 'bench-sub', 'admin', 'bench-admin-password', (p) => {
      if (p.cmd !== 'publish') return;
      got++;
      const w = waiting.get(p.topic);
      if (w) (waiting.delete(p.topic), w());
    });
    sockets.push(sub);
    sub.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bench/#', qos: 0 }] }));
    await new Promise((r) => setTimeout(r, 200));

    // MQTT-SN sensors: a socket each, CONNECT and REGISTER.
    const sn: Array<{ udp: Udp; id: number; answer?: () => void }> = [];
    for (let i = 0; i < SENSORS; i++) {
      const udp = new Udp(snPort);
      await udp.bind();
      sockets.push(udp);
      const s: { udp: Udp; id: number; answer?: () => void } = { udp, id: 0 };
      const next = (): Promise<Packet> => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sensor s${i}: no answer in 10 s`)), 10_000);
        udp.handlers.set('', (p) => (clearTimeout(timer), resolve(p)));
      });
      udp.send({ type: 'connect', flags: f(0, { cleanSession: true }), protocolId: 1, duration: 600, clientId: `s${i}` });
      if ((await next()).type !== 'connack') throw new Error('no CONNACK');
      udp.send({ type: 'register', topicId: 0, msgId: 1, topicName: `bench/sn/${i}` });
      s.id = ((await next()) as Extract<Packet, { type: 'regack' }>).topicId;
      udp.handlers.set('', (p) => p.type === 'puback' && s.answer?.());
      sn.push(s);
    }
    // MQTT TCP sensors.
    const tcp: Array<{ socket: net.Socket; answer?: () => void }> = [];
    for (let i = 0; i < SENSORS; i++) {
      const t: { socket: net.Socket; answer?: () => void } = { socket: undefined as never };
      t.socket = await tcpClient(runtime.mqttPort, `t${i}`, 'bench-sn', password, (p) => p.cmd === 'puback' && t.answer?.());
      sockets.push(t.socket);
      tcp.push(t);
    }

    let msgId = 0;
    const id16 = (): number => (msgId = (msgId % 65_535) + 1);
    const delivered = (topic: string): Promise<void> => new Promise((r) => waiting.set(topic, r));
    for (const qos of [0, 1] as const) {
      const snRate = await closedLoop(async (i) => {
        const s = sn[i]!;
        const done = qos === 0 ? delivered(`bench/sn/${i}`) : new Promise<void>((r) => (s.answer = r));
        s.udp.send({ type: 'publish', flags: f(qos), topic: { type: 'normal', id: s.id }, msgId: qos ? id16() : 0, data: Buffer.from('21.5') });
        await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]); // a lost datagram (UDP) does not stop the loop
      }, () => got);
      await new Promise((r) => setTimeout(r, 300));
      const tcpRate = await closedLoop(async (i) => {
        const t = tcp[i]!;
        const done = qos === 0 ? delivered(`bench/tcp/${i}`) : new Promise<void>((r) => (t.answer = r));
        t.socket.write(mqttPacket.generate({ cmd: 'publish', topic: `bench/tcp/${i}`, payload: Buffer.from('21.5'), qos, retain: false, dup: false, ...(qos ? { messageId: id16() } : {}) }));
        await done;
      }, () => got);
      figures.push({ label: `QoS ${qos}: MQTT-SN publishes/s (${SENSORS} sensors)`, unit: '/s', value: snRate, refs: { 'MQTT TCP': tcpRate } });
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const s of sn) s.udp.send({ type: 'disconnect' });
    for (const t of tcp) t.socket.end(mqttPacket.generate({ cmd: 'disconnect' }));

    // 1,000 sleeping clients behind one forwarder (§5.5), each subscribed to its topic, then asleep.
    (globalThis as { gc?: () => void }).gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const fwd = new Udp(snPort, true);
    await fwd.bind();
    sockets.push(fwd);
    const answers = new Map<number, (p: Packet) => void>();
    for (let n = 0; n < SLEEPERS; n++) fwd.handlers.set(nodeId(n).toString('hex'), (p) => answers.get(n)?.(p));
    // Bounded: a refused or lost client fails the benchmark in 10 s instead of hanging it.
    const expect = (n: number, type: Packet['type']): Promise<Packet> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sleeper z${n}: no ${type} in 10 s`)), 10_000);
      answers.set(n, (p) => p.type === type && (clearTimeout(timer), resolve(p)));
    });
    for (let start = 0; start < SLEEPERS; start += 100) {
      await Promise.all(Array.from({ length: Math.min(100, SLEEPERS - start) }, async (_, k) => {
        const n = start + k;
        let a = expect(n, 'connack');
        fwd.send({ type: 'connect', flags: f(0, { cleanSession: false }), protocolId: 1, duration: 600, clientId: `z${n}` }, n);
        const rc = (await a) as Extract<Packet, { type: 'connack' }>;
        if (rc.returnCode !== 0) throw new Error(`sleeper z${n}: CONNACK 0x0${rc.returnCode}`);
        a = expect(n, 'suback');
        fwd.send({ type: 'subscribe', flags: f(1), msgId: 1, topic: { type: 'name', name: `bench/z/${n}` } }, n);
        await a;
      }));
    }
    (globalThis as { gc?: () => void }).gc?.();
    const perClient = (process.memoryUsage().heapUsed - heapBefore) / SLEEPERS;
    for (let n = 0; n < SLEEPERS; n++) {
      const a = expect(n, 'disconnect');
      fwd.send({ type: 'disconnect', duration: 600 }, n);
      await a;
    }
    for (let n = 0; n < SLEEPERS; n++) {
      for (let m = 0; m < HELD; m++) sub.write(mqttPacket.generate({ cmd: 'publish', topic: `bench/z/${n}`, payload: Buffer.from(`m${m}`), qos: 1, retain: false, dup: false, messageId: id16() }));
    }
    const gw = hub.mqttsn!;
    const heldDeadline = Date.now() + 30_000;
    while (gw.list().reduce((a, c) => a + c.queued, 0) < SLEEPERS * HELD && Date.now() < heldDeadline) await new Promise((r) => setTimeout(r, 50));
    if (process.env.BENCH_SN_DEBUG) console.log({ held: gw.list().reduce((a, c) => a + c.queued, 0), clients: gw.clients });
    // Wake all: each answers REGISTER and PUBLISH until its PINGRESP.
    let deliveredCount = 0;
    const t0 = performance.now();
    // 100 wake at a time (a forwarder relays what its radio hears); a client whose PINGREQ got no answer sends it again
    // after 1 s, as a client does after T_retry (UDP loses what overflows a socket).
    let nextSleeper = 0;
    const wakeOne = (n: number): Promise<void> => new Promise<void>((resolve) => {
      let heard = false;
      const retry = setInterval(() => (heard ? undefined : fwd.send({ type: 'pingreq', clientId: `z${n}` }, n)), 1000);
      answers.set(n, (p) => {
        heard = true;
        if (p.type === 'register') fwd.send({ type: 'regack', topicId: p.topicId, msgId: p.msgId, returnCode: 0 }, n);
        else if (p.type === 'publish') {
          deliveredCount++;
          fwd.send({ type: 'puback', topicId: p.topic.type === 'normal' ? p.topic.id : 0, msgId: p.msgId, returnCode: 0 }, n);
        } else if (p.type === 'pingresp') (clearInterval(retry), resolve());
      });
      fwd.send({ type: 'pingreq', clientId: `z${n}` }, n);
    });
    const wakes = Promise.all(Array.from({ length: Math.min(100, SLEEPERS) }, async () => {
      while (nextSleeper < SLEEPERS) await wakeOne(nextSleeper++);
    }));
    await Promise.race([wakes, new Promise<void>((r) => setTimeout(r, 30_000).unref())]);
    const wakeMs = performance.now() - t0;
    const heldSeen = gw.list().reduce((a, c) => a + c.queued, 0);
    if (process.env.BENCH_SN_DEBUG) console.log({ deliveredCount, heldSeen, states: gw.list().reduce<Record<string, number>>((a, c) => ((a[c.state] = (a[c.state] ?? 0) + 1), a), {}) });
    figures.push(
      { label: `wake ${SLEEPERS} sleepers × ${HELD} held: all delivered in`, unit: 'ms', value: wakeMs, lowerIsBetter: true, target: { text: `all ${SLEEPERS * HELD} delivered`, met: deliveredCount === SLEEPERS * HELD }, note: `${deliveredCount} delivered` },
      { label: 'heap per MQTT-SN client (connected, one subscription)', unit: 'B', value: perClient },
    );
    notes.push(`Sleepers: ${SLEEPERS} clients behind one forwarder (encapsulation, §5.5), CleanSession 0, one QoS 1 subscription each, asleep; ${HELD} QoS 1 messages each published by an MQTT client, then every client woken at once by PINGREQ; time until every PINGRESP (each message REGISTERed, sent and acknowledged). Heap per client: V8 heap after GC, before and after the ${SLEEPERS} CONNECT+SUBSCRIBE (gateway session + its broker connection and session).`);
  } finally {
    for (const s of sockets) (s instanceof net.Socket ? s.destroy() : s.close());
    await hub.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { id: 'mqttsn', title: 'MQTT-SN gateway: publishes/s against MQTT TCP, sleeping clients, memory (bench/mqttsn.ts)', figures, notes };
}
