import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Dialect } from './dialect.js';
import type { RunReport, WorkerCommand, WorkerReply } from './loadgen-protocol.js';
import { homeTopics } from './packets.js';
import { track, untrack } from './procs.js';

const workerJs = fileURLToPath(new URL('./loadgen-worker.js', import.meta.url));

export interface Endpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export interface LoadShape {
  connections: number;
  topics: number;
  qos: 0 | 1;
  template?: string;
  /** MQTT 3.1.1 when absent. */
  dialect?: Dialect;
  /** Client ids are `<prefix>-<n>`. */
  clientPrefix?: string;
}

export interface LoadRun {
  sent: number;
  acked: number;
  elapsedMs: number;
  /** CPU time of each worker during the run, ms. */
  cpuMs: number[];
  closed: number;
}

/**
 * The load generator: `workers` processes, each holding an equal share of the connections (raw sockets,
 * pre-encoded packets). Connection i publishes on topics i, i + connections, i + 2·connections...
 */
export class LoadGenerator {
  private constructor(private readonly workers: ChildProcess[]) {}

  static async start(workers = 2): Promise<LoadGenerator> {
    const children = Array.from({ length: workers }, () => {
      const child = fork(workerJs, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      track(child);
      child.once('exit', () => untrack(child));
      return child;
    });
    return new LoadGenerator(children);
  }

  async connect(to: Endpoint, shape: LoadShape): Promise<void> {
    const topics = homeTopics(shape.topics);
    const prefix = shape.clientPrefix ?? `bench-${process.pid}`;
    const all = Array.from({ length: shape.connections }, (_, i) => ({
      clientId: `${prefix}-${i}`,
      topics: topics.filter((_, t) => t % shape.connections === i),
    }));
    if (all.some((c) => c.topics.length === 0)) throw new Error('fewer topics than connections');
    await Promise.all(
      this.workers.map((w, k) =>
        this.ask(w, { op: 'connect', ...to, qos: shape.qos, template: shape.template, dialect: shape.dialect, clients: all.filter((_, i) => i % this.workers.length === k) }, 'connected'),
      ),
    );
  }

  /** Offers `rate` msg/s in total for `ms`; resolves when every worker is done (QoS 1: acked or gave up). */
  async run(rate: number, ms: number, window = 10): Promise<LoadRun> {
    const share = rate / this.workers.length;
    const reports = (await Promise.all(this.workers.map((w) => this.ask(w, { op: 'run', rate: share, ms, window }, 'done')))) as RunReport[];
    return {
      sent: reports.reduce((s, r) => s + r.sent, 0),
      acked: reports.reduce((s, r) => s + r.acked, 0),
      elapsedMs: Math.max(...reports.map((r) => r.elapsedMs)),
      cpuMs: reports.map((r) => r.cpuMs),
      closed: reports.reduce((s, r) => s + r.closed, 0),
    };
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.ask(w, { op: 'close' }, 'closed').catch(() => undefined)));
  }

  /** Ends the worker processes (by their own pid, via the IPC channel closing, then SIGKILL if needed). */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              if (w.pid) process.kill(w.pid, 'SIGKILL');
            }, 3000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (w.connected) w.disconnect();
            else if (w.pid) process.kill(w.pid, 'SIGTERM');
          }),
      ),
    );
  }

  private ask(w: ChildProcess, cmd: WorkerCommand, expect: WorkerReply['op'], timeoutMs = 60_000): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`load generator worker: no "${expect}" within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (msg: WorkerReply): void => {
        if (msg.op === 'error') done(new Error(`load generator worker: ${msg.message}`));
        else if (msg.op === expect) done(undefined, msg);
      };
      const onExit = (): void => done(new Error('load generator worker exited'));
      const done = (err?: Error, msg?: WorkerReply): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        if (err) reject(err);
        else resolve(msg!);
      };
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.send(cmd);
    });
  }
}
