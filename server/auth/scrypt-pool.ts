// Where password hashes run when many are wanted at once (issue 19 item 1: a power cut reconnects every device, and
// each first login is one scrypt).
//
// One or two hashes at a time go to libuv's pool, as Node runs them (scrypt-kdf.ts: libsodium's or OpenSSL's scrypt).
// From the third at once (`threadsFrom`), the pool starts one thread per core (scrypt-worker.ts) and hands them the
// hashes; they stop after `idleMs` without one, so an idle hub keeps no extra isolate. Memory, measured alone (160
// device hashes, 2 cores): +32 MiB RSS while the two threads hash, +17 MiB left with the allocator after they stop;
// libuv's pool hashing the same kept +9 MiB.
// Why threads of our own, measured on 2 cores (bench/logins.ts):
//   - a libuv hash ends with a trip through the event loop before the next can start, and the login gate's slot sits
//     idle meanwhile; a thread here takes its next hash from its own queue at once: 2 threads hash 1,000 device
//     passwords in ~2.0 s where crypto.scrypt 3 at a time takes ~2.2 s;
//   - the threads run below the event loop's priority (nice 5): a storm's hashes are background work, and the
//     telemetry of the devices already online, the CONNACKs of finished logins and the next hand-off go first (the
//     restart storm itself measured the same at nice 0, 5 and 10 on an otherwise idle machine; it is the house's
//     other traffic that gains). The price: on a server whose other services are busy at the same time, the hashes
//     get about a third of a nice-0 process's share of a core, and a storm lasts longer there;
//   - SQLite keeps libuv's 4 threads to itself during a storm.
// A thread that fails hands its hashes back to libuv, and no thread is started for a minute after.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { scryptAsync } from './scrypt-kdf.js';
import type { ScryptJob, ScryptParams, ScryptResult } from './scrypt-messages.js';

interface Pending {
  job: ScryptJob;
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  online: boolean;
  assigned: Map<number, Pending>;
}

export interface ScryptPoolOptions {
  /** Hashing threads while busy (default: the cores, at most 4). */
  threads?: number;
  /** Their nice value on Linux (higher is lower priority). */
  nice?: number;
  /** How long the threads stay without a hash. */
  idleMs?: number;
}

const retryAfterFailureMs = 60_000;

/**
 * Hashes at once from which the threads start: a storm, not two logins that happen to meet. Two run side by side on
 * libuv's pool as well (it has 4 threads), while starting the threads costs two isolates (~6 ms of the event loop
 * each, their boot on the cores the hashes need, +32 MiB while they run). With 2 here a first start's admin hash and
 * the first device login started them, and that device's CONNACK waited for it. A storm reaches 3 at once within its
 * first logins (the login gate runs 3 before the threads are up), so it starts them as before.
 */
const threadsFrom = 3;

export class ScryptPool {
  readonly #threadCount: number;
  readonly #nice: number;
  readonly #idleMs: number;
  #threads: Thread[] = [];
  #inProgress = 0;
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  #noThreadsUntil = 0;
  /** Hashes each path took (tests read them). */
  readonly counts = { libuv: 0, threads: 0, threadFailures: 0 };
  /** Told when a thread fails (the hub logs it): hashes keep working on libuv, only slower in a storm. */
  onThreadError: ((err: unknown) => void) | undefined;

  constructor(opts: ScryptPoolOptions = {}) {
    this.#threadCount = Math.max(1, opts.threads ?? Math.min(4, os.availableParallelism()));
    this.#nice = opts.nice ?? 5;
    this.#idleMs = opts.idleMs ?? 10_000;
  }

  /** No hash in progress. */
  get idle(): boolean {
    return this.#inProgress === 0;
  }

  /** Threads running now (0 when idle). */
  get threads(): number {
    return this.#threads.length;
  }

  /** Threads that take hashes now (started and up). */
  get onlineThreads(): number {
    let n = 0;
    for (const t of this.#threads) if (t.online) n++;
    return n;
  }

  /** Threads the pool starts when busy. */
  get maxThreads(): number {
    return this.#threadCount;
  }

  async derive(password: string, salt: Uint8Array, keylen: number, params: ScryptParams): Promise<Buffer> {
    this.#inProgress++;
    clearTimeout(this.#idleTimer);
    try {
      const thread = this.#pick();
      if (thread) {
        this.counts.threads++;
        return await this.#send(thread, { id: this.#nextId++, password, salt, keylen, ...params });
      }
      if (this.#inProgress >= threadsFrom) this.#start();
      this.counts.libuv++;
      return await scryptAsync(password, salt, keylen, params);
    } finally {
      this.#inProgress--;
      if (this.#inProgress === 0 && this.#threads.length > 0) this.#idleTimer = setTimeout(() => this.stop(), this.#idleMs).unref();
    }
  }

  /** Ends the threads; hashes they still hold finish on libuv. */
  stop(): void {
    clearTimeout(this.#idleTimer);
    for (const thread of this.#threads.splice(0)) {
      this.#handBack(thread);
      void thread.worker.terminate();
    }
  }

  /** The online thread with the fewest hashes queued. */
  #pick(): Thread | undefined {
    let best: Thread | undefined;
    for (const t of this.#threads) if (t.online && (!best || t.assigned.size < best.assigned.size)) best = t;
    return best;
  }

  #send(thread: Thread, job: ScryptJob): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      // Held by the process while it has work (a CLI awaiting its hash must not exit), let go when idle.
      if (thread.assigned.size === 0) thread.worker.ref();
      thread.assigned.set(job.id, { job, resolve, reject });
      thread.worker.postMessage(job);
    });
  }

  #start(): void {
    if (this.#threads.length > 0 || Date.now() < this.#noThreadsUntil) return;
    for (let i = 0; i < this.#threadCount; i++) {
      const worker = new Worker(new URL('./scrypt-worker.js', import.meta.url), { workerData: { nice: this.#nice } });
      const thread: Thread = { worker, online: false, assigned: new Map() };
      worker.once('online', () => (thread.online = true));
      worker.on('message', (result: ScryptResult) => {
        const pending = thread.assigned.get(result.id);
        if (!pending) return;
        thread.assigned.delete(result.id);
        if (thread.assigned.size === 0) worker.unref();
        if ('key' in result) pending.resolve(Buffer.from(result.key.buffer, result.key.byteOffset, result.key.byteLength));
        else pending.reject(new Error(result.error));
      });
      const failed = (err: unknown): void => {
        const i = this.#threads.indexOf(thread);
        if (i < 0) return;
        this.#threads.splice(i, 1);
        this.counts.threadFailures++;
        this.onThreadError?.(err);
        this.#noThreadsUntil = Date.now() + retryAfterFailureMs;
        this.#handBack(thread);
      };
      worker.on('error', failed);
      worker.on('exit', (code) => failed(new Error(`password-hashing thread exited with code ${code}`)));
      // After the 'message' listener: adding it refs the thread's port again, and an idle thread must hold no process
      // (a CLI or a test would wait for the idle stop before it could exit).
      worker.unref();
      this.#threads.push(thread);
    }
  }

  /** What a thread still held runs on libuv instead: a login never waits on a thread that is gone. */
  #handBack(thread: Thread): void {
    for (const { job, resolve, reject } of thread.assigned.values()) {
      this.counts.libuv++;
      scryptAsync(job.password, job.salt, job.keylen, { N: job.N, r: job.r, p: job.p, maxmem: job.maxmem }).then(resolve, reject);
    }
    thread.assigned.clear();
  }
}

/** The process's pool: every password hash (passwords.ts) goes through it. */
export const scryptPool = new ScryptPool();
