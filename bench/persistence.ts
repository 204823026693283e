// Broker persistence figures: retained publishes per second into the SQLite persistence (one write
// in flight, as a single device publishing QoS 1 sees it; and many in flight, as a busy broker
// batches them), beside aedes-persistence's in-memory implementation measured in the same run, and
// the time setup() takes to load 100,000 retained messages and 1,000 persistent sessions.
//   npx tsc -p . && node dist/bench/persistence.js
import { createRequire } from 'node:module';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../server/core/logger.js';
import { createSqlitePersistence, type SqlitePersistence } from '../server/mqtt/persistence/sqlite-persistence.js';
import type { AsyncPersistence, StoredPacket } from '../server/mqtt/persistence/types.js';

export interface PersistenceBenchOptions {
  /** Retained publishes per throughput run. Default 20,000. */
  publishes?: number;
  /** Publishes in flight in the concurrent run. Default 256. */
  inFlight?: number;
  /** Retained messages loaded at setup. Default 100,000. */
  retained?: number;
  /** Persistent sessions loaded at setup (5 subscriptions, 2 queued messages and a will each). Default 1,000. */
  sessions?: number;
}

export interface PersistenceFigures {
  retainedPerSecSequential: number;
  retainedPerSecConcurrent: number;
  /** The reference: aedes-persistence's in-memory implementation, concurrent run. */
  retainedPerSecInMemory: number;
  transactionsInConcurrentRun: number;
  setupMs: number;
  setupRetained: number;
  setupSessions: number;
  fileBytes: number;
}

const log = createLogger('silent');
const require = createRequire(import.meta.url);
const InMemory = require('aedes-persistence/asyncPersistence.js') as new () => AsyncPersistence;

const retained = (i: number, round: number): StoredPacket => ({
  cmd: 'publish',
  topic: `home/area-${i % 50}/device-${i}/state`,
  payload: Buffer.from(JSON.stringify({ state: round % 2 ? 'ON' : 'OFF', brightness: i % 255, linkquality: 87 })),
  qos: 1,
  retain: true,
  dup: false,
  brokerId: 'bench',
  brokerCounter: i,
});

async function publishRate(persistence: AsyncPersistence, count: number, inFlight: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += inFlight) {
    const round: Array<Promise<void>> = [];
    for (let j = i; j < Math.min(count, i + inFlight); j++) round.push(persistence.storeRetained(retained(j % 5000, j)));
    await Promise.all(round);
  }
  return Math.round(count / ((performance.now() - started) / 1000));
}

async function fill(persistence: SqlitePersistence, retainedCount: number, sessions: number): Promise<void> {
  const chunk = 5000;
  for (let i = 0; i < retainedCount; i += chunk) {
    const writes: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(retainedCount, i + chunk); j++) writes.push(persistence.storeRetained(retained(j, 0)));
    await Promise.all(writes);
  }
  const writes: Array<Promise<unknown>> = [];
  for (let s = 0; s < sessions; s++) {
    const client = { id: `device-${s}` };
    writes.push(
      persistence.addSubscriptions(client, [
        { topic: `home/device-${s}/set`, qos: 1 },
        { topic: `home/device-${s}/get`, qos: 1 },
        { topic: 'home/all/set', qos: 1 },
        { topic: `home/area-${s % 50}/#`, qos: 0 },
        { topic: 'hub/status', qos: 0 },
      ]),
      persistence.outgoingEnqueueCombi([{ clientId: client.id }], { ...retained(s, 1), retain: false, brokerCounter: 2 * s }),
      persistence.outgoingEnqueueCombi([{ clientId: client.id }], { ...retained(s, 2), retain: false, brokerCounter: 2 * s + 1 }),
      persistence.putWill(client, { cmd: 'publish', topic: `home/device-${s}/availability`, payload: Buffer.from('offline'), qos: 1, retain: true }),
    );
  }
  await Promise.all(writes);
}

export async function benchPersistence(opts: PersistenceBenchOptions = {}): Promise<PersistenceFigures> {
  const { publishes = 20_000, inFlight = 256, retained: retainedCount = 100_000, sessions = 1000 } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'rumah-bench-persistence-'));
  try {
    const memory = new InMemory();
    await memory.setup({ id: 'bench' });
    const retainedPerSecInMemory = await publishRate(memory, publishes, inFlight);
    await memory.destroy();

    const throughput = createSqlitePersistence({ file: join(dir, 'throughput.db'), log });
    await throughput.setup({ id: 'bench' });
    const retainedPerSecSequential = await publishRate(throughput, Math.min(publishes, 2000), 1);
    const before = throughput.stats.transactions;
    const retainedPerSecConcurrent = await publishRate(throughput, publishes, inFlight);
    const transactionsInConcurrentRun = throughput.stats.transactions - before;
    await throughput.destroy();

    const file = join(dir, 'broker.db');
    const filled = createSqlitePersistence({ file, log });
    await filled.setup({ id: 'bench' });
    await fill(filled, retainedCount, sessions);
    await filled.destroy();
    const loaded = createSqlitePersistence({ file, log });
    const started = performance.now();
    await loaded.setup({ id: 'bench-restarted' });
    const setupMs = Math.round(performance.now() - started);
    const setupRetained = (await loaded.createRetainedStream('#').toArray()).length;
    const setupSessions = (await loaded.countOffline()).clientsCount;
    await loaded.destroy();
    const fileBytes = (await stat(file)).size;

    return {
      retainedPerSecSequential,
      retainedPerSecConcurrent,
      retainedPerSecInMemory,
      transactionsInConcurrentRun,
      setupMs,
      setupRetained,
      setupSessions,
      fileBytes,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchPersistence();
  console.log('broker persistence (SQLite, WAL, synchronous=NORMAL)');
  console.log(`  retained publishes/s, 1 in flight:    ${figures.retainedPerSecSequential}`);
  console.log(`  retained publishes/s, 256 in flight:  ${figures.retainedPerSecConcurrent} (${figures.transactionsInConcurrentRun} transactions)`);
  console.log(`  reference, in-memory persistence:     ${figures.retainedPerSecInMemory}`);
  console.log(`  setup with ${figures.setupRetained} retained + ${figures.setupSessions} sessions: ${figures.setupMs} ms (file ${(figures.fileBytes / 1e6).toFixed(1)} MB)`);
}
