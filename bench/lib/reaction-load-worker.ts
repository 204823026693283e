import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { sensorTopic, topicIndex, type BlastRun, type Login, type PacedRun, type ReactionCreds, type ReactionReply, type ReactionRequest } from './reaction-load.js';

// The worker of bench/lib/reaction-load.ts: the sensors and the actuator, each an MQTT.js client, QoS 0.
// A payload is the send time (process.hrtime.bigint() as decimal text); only answers to what a run itself sent are
// counted by it, so a late answer from the run before never counts as this run's.

const creds = workerData as ReactionCreds;
const port = parentPort!;

function connect(login: Login, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(creds.url, { ...login, clientId, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const prefix = creds.clientPrefix ?? 'bench';
  const count = Math.max(1, creds.sensors ?? 1);
  const sensors: MqttClient[] = [];
  for (let n = 0; n < count; n++) sensors.push(await connect(creds.sensor, count === 1 ? `${prefix}-sensor` : `${prefix}-sensor-${n}`));
  const actuator = await connect(creds.actuator, `${prefix}-actuator`);
  await new Promise<void>((resolve, reject) => actuator.subscribe(creds.filter, { qos: 0 }, (err) => (err ? reject(err) : resolve())));
  let onReceive: (sentAt: bigint, topic: string) => void = () => undefined;
  actuator.on('message', (topic, payload) => {
    let sentAt: bigint;
    try {
      sentAt = BigInt(payload.toString());
    } catch {
      return; // not one of ours
    }
    onReceive(sentAt, topic);
  });
  const send = (topic: number, at = process.hrtime.bigint()): void => {
    sensors[topic % count]!.publish(sensorTopic(topic), at.toString(), { qos: 0 });
  };

  const warm = async (topics: number): Promise<ReactionReply> => {
    // Resent to the topics not answered yet every second (a flow engine may still be subscribing), for at most 30 s.
    const answered = new Set<number>();
    const t0 = process.hrtime.bigint();
    onReceive = (sentAt, topic) => {
      const i = topicIndex(topic);
      if (sentAt >= t0 && i !== undefined) answered.add(i);
    };
    const deadline = Date.now() + 30_000;
    while (answered.size < topics && Date.now() < deadline) {
      for (let i = 0; i < topics; i++) if (!answered.has(i)) send(i);
      for (let w = 0; w < 100 && answered.size < topics; w++) await sleep(10);
    }
    onReceive = () => undefined;
    if (answered.size < topics) return { error: `${topics - answered.size} of ${topics} topics never answered within 30 s` };
    await sleep(200); // the answers to the resends
    return { ok: true };
  };

  const run = async (req: Extract<ReactionRequest, { cmd: 'run' }>): Promise<PacedRun> => {
    const latencies: number[] = [];
    const slowestPerSlot = new Array<number>(Math.max(0, Math.ceil((req.ms - req.warmupMs) / 100))).fill(0);
    let received = 0;
    const t0 = process.hrtime.bigint();
    const measureFrom = t0 + BigInt(req.warmupMs) * 1_000_000n;
    onReceive = (sentAt) => {
      if (sentAt < t0) return;
      received++;
      if (sentAt < measureFrom) return;
      const ms = Number(process.hrtime.bigint() - sentAt) / 1e6;
      latencies.push(ms);
      const slot = Number((sentAt - measureFrom) / 100_000_000n);
      if (slot < slowestPerSlot.length && ms > slowestPerSlot[slot]!) slowestPerSlot[slot] = ms;
    };
    let sent = 0;
    await new Promise<void>((resolve) => {
      const start = performance.now();
      const tick = (): void => {
        const elapsed = performance.now() - start;
        const due = Math.floor((req.rate * Math.min(elapsed, req.ms)) / 1000);
        while (sent < due) send(sent++ % req.topics);
        if (elapsed >= req.ms) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    // The last answers.
    const deadline = Date.now() + 2000;
    while (received < sent && Date.now() < deadline) await sleep(10);
    onReceive = () => undefined;
    return { latencies, slowestPerSlot, sent, received };
  };

  const blast = async (req: Extract<ReactionRequest, { cmd: 'blast' }>): Promise<BlastRun> => {
    // As fast as the system answers, at most `window` messages outstanding. A message never answered (dropped)
    // keeps its place in the window; 2 s without any answer ends the round, which then counts what came back.
    let received = 0;
    let sent = 0;
    const t0 = process.hrtime.bigint();
    const start = performance.now();
    let last = start;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (sent < req.count && sent - received < req.window) send(sent++ % req.topics);
      };
      let idle: NodeJS.Timeout | undefined;
      const stall = (): void => {
        clearTimeout(idle);
        idle = setTimeout(resolve, 2000);
      };
      onReceive = (sentAt) => {
        if (sentAt < t0) return;
        received++;
        last = performance.now();
        if (received === req.count) {
          clearTimeout(idle);
          resolve();
          return;
        }
        stall();
        if (sent - received < req.window / 2) pump();
      };
      pump();
      stall();
    });
    onReceive = () => undefined;
    return { ms: last - start, sent, received };
  };

  port.on('message', (req: ReactionRequest) => {
    if (req.cmd === 'close') {
      for (const s of sensors) s.end(true);
      actuator.end(true);
      port.postMessage({ ok: true } satisfies ReactionReply);
      return;
    }
    const work = req.cmd === 'warm' ? warm(req.topics) : req.cmd === 'run' ? run(req) : blast(req);
    work.then(
      (reply) => port.postMessage(reply),
      (err: unknown) => port.postMessage({ error: String(err) } satisfies ReactionReply),
    );
  });
  port.postMessage({ ok: true } satisfies ReactionReply);
}

main().catch((err: unknown) => port.postMessage({ error: String(err) } satisfies ReactionReply));
