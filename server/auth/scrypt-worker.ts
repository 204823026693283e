// A password-hashing thread of scrypt-pool.ts: derives keys one after another, in the order they were sent, without
// a trip through any event loop between two of them.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { scryptSync } from './scrypt-kdf.js';
import type { ScryptJob, ScryptResult } from './scrypt-messages.js';

// Below the event loop: on Linux a thread has its own nice value and setpriority(0) from here lowers this thread's
// alone (as influx-worker.ts). In a reconnect storm the hashes would otherwise take a core from the event loop at
// every wake-up, and the CONNACKs of finished logins, other devices' telemetry and the next hash's hand-off wait for it.
const { nice } = workerData as { nice: number };
if (process.platform === 'linux' && nice > 0) {
  try {
    os.setPriority(0, nice);
  } catch {
    /* not allowed here: the thread runs at the hub's priority */
  }
}

const port = parentPort!;
port.on('message', (job: ScryptJob) => {
  let result: ScryptResult;
  try {
    const key = scryptSync(job.password, job.salt, job.keylen, { N: job.N, r: job.r, p: job.p, maxmem: job.maxmem });
    result = { id: job.id, key };
  } catch (err) {
    result = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(result);
});
