// Memory of the broker store at start with N MiB of retained messages in broker.db (issue 15, item 7: "a full quota
// must still start on a 1 GB machine"). The reference is the same store opened on an empty broker.db, measured in
// the same run: each is set up in a fresh process (so nothing of the writing phase is counted), after a GC.
//
//   node dist/bench/retained-memory.js [--mib 64] [--payload-kib 16]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createSqlitePersistence } from '../server/mqtt/persistence/sqlite-persistence.js';

const log = pino({ level: 'silent' });
const broker = { id: 'bench-retained-memory' };

interface Sample {
  rss: number;
  heapUsed: number;
  setupMs: number;
  matched: number;
}

/** In the child: set the store up, read one retained message back, GC, report memory. */
async function child(file: string): Promise<void> {
  const t0 = performance.now();
  const persistence = createSqlitePersistence({ file, log, checkpointIntervalMs: 0 });
  await persistence.setup(broker);
  const setupMs = performance.now() - t0;
  const matched = ((await persistence.createRetainedStreamCombi(['bench/retained/0/state']).toArray()) as unknown[]).length;
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();

  await persistence.destroy();
  process.stdout.write(JSON.stringify({ rss, heapUsed, setupMs, matched } satisfies Sample));
}

function measure(file: string): Sample {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--expose-gc', self, '--child', file], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Sample;
}

async function fill(file: string, mib: number, payloadKib: number): Promise<number> {
  const persistence = createSqlitePersistence({ file, log, checkpointIntervalMs: 0 });
  await persistence.setup(broker);
  const count = Math.round((mib * 1024) / payloadKib);
  const payload = Buffer.alloc(payloadKib * 1024, 0x61);
  for (let i = 0; i < count; i += 256) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 256); j++) batch.push(persistence.storeRetained({ cmd: 'publish', topic: `bench/retained/${j}/state`, payload, qos: 1, retain: true }, 'bench-account'));
    await Promise.all(batch);
  }
  await persistence.destroy();
  return count;
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { child: { type: 'string' }, mib: { type: 'string' }, 'payload-kib': { type: 'string' } } });
  if (values.child) return child(values.child);
  const mib = Number(values.mib ?? 64);
  const payloadKib = Number(values['payload-kib'] ?? 16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rumah-bench-retained-'));
  try {
    const empty = path.join(dir, 'empty.db');
    const full = path.join(dir, 'full.db');
    await fill(empty, 0, payloadKib);
    const count = await fill(full, mib, payloadKib);
    const reference = measure(empty);
    const loaded = measure(full);
    const extra = loaded.rss - reference.rss;
    console.log(`retained in broker.db: ${count} × ${payloadKib} KiB = ${mib} MiB of payload (file ${mb(fs.statSync(full).size)})`);
    console.log(`RSS after setup, empty broker.db (reference): ${mb(reference.rss)} (heap ${mb(reference.heapUsed)}), setup ${reference.setupMs.toFixed(0)} ms`);
    console.log(`RSS after setup, ${mib} MiB retained:          ${mb(loaded.rss)} (heap ${mb(loaded.heapUsed)}), setup ${loaded.setupMs.toFixed(0)} ms, read back ${loaded.matched}`);
    console.log(`RSS for the retained messages: ${mb(extra)} = ${(extra / (mib * 1048576)).toFixed(2)}× their payload; ${(loaded.rss / reference.rss).toFixed(2)}× the reference`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
