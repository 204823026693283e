/**
 * Bounds the MQTT logins being checked at once. A password check that misses the cache is one scrypt (16 MiB, tens
 * of milliseconds) on libuv's thread pool — the 4 threads SQLite uses too. Measured under the MQTT fuzz (many
 * CONNECTs with wrong passwords, from one address with the login throttle off, as from many addresses): checks
 * queued in the pool without bound, QoS 1 commits waited behind them for seconds, and connections waiting for their
 * CONNACK piled up (aedes stops reading a client while it authenticates, so even a client that went away held its
 * socket until its turn came).
 *
 * So at most `concurrency` password hashes run at once (hashesAtOnce()), up to
 * `maxQueued` wait their turn in order, and none waits for its turn longer than `timeoutMs` (the connect timeout):
 * the client then gets CONNACK 3 "server unavailable" and retries, as MQTT clients do. A slot holds the hash alone
 * (server/mqtt/identity.ts, hashSlot): the first come are the first online — 1,000 logins after a restart are online
 * after 1,000 hashes, whatever the number still waiting behind them.
 */
import { scryptPool } from '../auth/scrypt-pool.js';

/**
 * Password hashes run at once. On libuv's pool (one hash alone, or before the hashing threads are up), 3 of its 4
 * threads, one left for SQLite; with 2, a finished hash's slot stayed idle until the event loop got round to starting
 * the next one, and the first 1,000 devices of a restart storm were online after 3.96–3.98 s instead of 3.28–3.32 s
 * (bench/logins.ts, alternating pairs). On the hashing threads (server/auth/scrypt-pool.ts, one per core) the third
 * waits in a thread's own queue, so a thread never waits for the event loop between two hashes; 4, 6 or 16 at once
 * measured the same as 3 there on 2 cores (2.79–3.04 s, within the run-to-run spread).
 */
export const HASHES_AT_ONCE = 3;

/**
 * The bound the gate applies now: once the hashing threads are up, one more than there are threads, so each has a
 * hash running and one waits for the first free; on 2 cores that is 3 as on libuv, on a 4-core server (a Raspberry
 * Pi 4) 5, where 3 left a core without a hash. Before the threads are up, libuv's 3.
 */
export function hashesAtOnce(): number {
  return scryptPool.onlineThreads > 0 ? MAX_HASHES_AT_ONCE : HASHES_AT_ONCE;
}

/** The most hashes the gate lets run at once on this machine (tests bound the work of a burst with it). */
export const MAX_HASHES_AT_ONCE = Math.max(HASHES_AT_ONCE, scryptPool.maxThreads + 1);

/** A running check taking this long is considered hung. */
const hungMs = 30_000;

export class LoginGate {
  private running = 0;
  private readonly queue: Array<{ start: () => void; timer: NodeJS.Timeout }> = [];
  /** Logins refused because the gate was full or the wait too long, for /metrics and tests. */
  refused = 0;

  constructor(private readonly opts: { concurrency: number | (() => number); maxQueued: number; timeoutMs: number }) {}

  get #concurrency(): number {
    const c = this.opts.concurrency;
    return typeof c === 'number' ? c : c();
  }

  /** Runs `task` when a slot is free; rejects with a LoginBusy error when it cannot within the limits. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        this.refused++;
        reject(new LoginBusy(why));
      };
      const start = (): void => {
        this.running++;
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          this.running--;
          this.next();
        };
        // A check that has started is let finish: it is one of at most `concurrency`, and refusing it after the work
        // was done helps no one (a slow machine, not a queue, made it late). Only one that hangs (a stuck database)
        // is given up on, and its slot freed, so two hung checks cannot stop every login.
        const timer = setTimeout(() => {
          fail(`login check still running after ${hungMs} ms`);
          release();
        }, hungMs);
        // A task that throws at once is a rejection, not an exception out of whichever release started it.
        new Promise<T>((r) => r(task())).then(
          (value) => {
            if (!settled) {
              settled = true;
              resolve(value);
            }
          },
          (err: unknown) => {
            if (!settled) {
              settled = true;
              reject(err);
            }
          },
        ).finally(() => {
          clearTimeout(timer);
          release();
        });
      };
      if (this.running < this.#concurrency) return start();
      if (this.queue.length >= this.opts.maxQueued) return fail(`${this.queue.length} logins already waiting`);
      const entry = {
        start,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          fail(`waited ${this.opts.timeoutMs} ms for a login check`);
        }, this.opts.timeoutMs),
      };
      this.queue.push(entry);
    });
  }

  get waiting(): number {
    return this.queue.length;
  }

  stop(): void {
    for (const entry of this.queue.splice(0)) clearTimeout(entry.timer);
  }

  private next(): void {
    // While, not once: the bound may have grown since the last start (the hashing threads came up).
    while (this.running < this.#concurrency) {
      const entry = this.queue.shift();
      if (!entry) return;
      clearTimeout(entry.timer);
      entry.start();
    }
  }
}

export class LoginBusy extends Error {
  override readonly name = 'LoginBusy';
}
