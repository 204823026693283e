import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

// The load generator of the rule benchmarks (bench/rules.ts, bench/rules-nodered.ts): sensors publish on
// rb/f/r<i>/t, an actuator follows what the system under test publishes in reaction (rumah's rules, Node-RED's
// flows) and times it. The clients run in a worker thread (their own event loop, so the generator does not queue
// behind a hub in the same process); send times travel in the payload as process.hrtime, one monotonic clock for
// every thread and process of this machine's bench.

export const sensorTopic = (i: number): string => `rb/f/r${i}/t`;
export const reactionTopic = (i: number): string => `rb/out/${i}`;

/** The number in a sensor or reaction topic (rb/f/r12/t, rb/out/12 → 12); undefined for any other topic. */
export function topicIndex(topic: string): number | undefined {
  const m = /^rb\/(?:out\/(\d+)|f\/r(\d+)\/t)$/.exec(topic);
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/** The rule that reacts to sensor i: `trigger: mqtt` on its topic, `action: publish` of the payload to rb/out/<i>. */
export function ruleText(i: number): string {
  // parallel: at 1,000 messages a second on one rule, a run is often still publishing when the next message comes;
  // mode single would skip those (by design), which is not what is measured here.
  return [`id: bench-${i}`, 'mode: parallel', 'max: 1000', 'triggers:', '  - trigger: mqtt', `    topic: ${sensorTopic(i)}`, 'actions:', '  - action: publish', `    topic: ${reactionTopic(i)}`, '    payload: "{{ payload }}"', ''].join('\n');
}

export interface Login {
  username?: string;
  password?: string;
}

export interface ReactionCreds {
  url: string;
  /** What the actuator follows: the reactions (rb/out/#), or (a reference) the sensor topics themselves. */
  filter: string;
  sensor: Login;
  actuator: Login;
  /** Sensor connections sharing the topics (topic i is sent by connection i mod sensors); 1 when absent. */
  sensors?: number;
  /** Client ids are `<prefix>-sensor-<n>` and `<prefix>-actuator`. */
  clientPrefix?: string;
}

export type ReactionRequest =
  | { cmd: 'run'; topics: number; rate: number; ms: number; warmupMs: number }
  | { cmd: 'blast'; topics: number; count: number; window: number }
  | { cmd: 'warm'; topics: number }
  | { cmd: 'close' };

/** A paced run: latencies (ms) of the answers to what was sent after the warm-up; sent and received count the whole run. */
export interface PacedRun {
  latencies: number[];
  /** The slowest answer per 100 ms of send time after the warm-up (ms; 0: nothing answered): one stall or steady queueing. */
  slowestPerSlot: number[];
  sent: number;
  received: number;
}

/** A closed-loop run: `ms` from the first send to the last answer (a stall of 2 s with no answer ends it). */
export interface BlastRun {
  ms: number;
  sent: number;
  received: number;
}

export type ReactionReply = PacedRun | BlastRun | { ok: true } | { error: string };

const workerJs = fileURLToPath(new URL('./reaction-load-worker.js', import.meta.url));

export class ReactionLoad {
  private constructor(private readonly worker: Worker) {}

  /** The worker with its clients connected and the actuator subscribed. */
  static async start(creds: ReactionCreds): Promise<ReactionLoad> {
    const load = new ReactionLoad(new Worker(workerJs, { workerData: creds }));
    try {
      const ready = await load.next();
      if ('error' in ready) throw new Error(`bench: the load generator could not connect to ${creds.url}: ${ready.error}`);
    } catch (err) {
      await load.worker.terminate();
      throw err;
    }
    return load;
  }

  /** One message per topic until each has been answered once (the devices exist, the flows are subscribed). */
  async warm(topics: number): Promise<void> {
    const reply = await this.ask({ cmd: 'warm', topics });
    if ('error' in reply) throw new Error(`bench: warm-up: ${reply.error}`);
  }

  run(topics: number, rate: number, ms: number, warmupMs: number): Promise<PacedRun> {
    return this.ask({ cmd: 'run', topics, rate, ms, warmupMs }) as Promise<PacedRun>;
  }

  blast(topics: number, count: number, window: number): Promise<BlastRun> {
    return this.ask({ cmd: 'blast', topics, count, window }) as Promise<BlastRun>;
  }

  async close(): Promise<void> {
    await this.ask({ cmd: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private ask(req: ReactionRequest): Promise<ReactionReply> {
    const reply = this.next();
    this.worker.postMessage(req);
    return reply;
  }

  private next(): Promise<ReactionReply> {
    return new Promise((resolve, reject) => {
      const done = (reply: ReactionReply): void => {
        this.worker.off('error', fail);
        resolve(reply);
      };
      const fail = (err: Error): void => {
        this.worker.off('message', done);
        reject(err);
      };
      this.worker.once('message', done);
      this.worker.once('error', fail);
    });
  }
}
