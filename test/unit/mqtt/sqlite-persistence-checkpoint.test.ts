// The checkpointer bounds what a power cut can lose: commits sit in broker.db-wal (no fsync with
// synchronous=NORMAL) until a checkpoint syncs them and copies them into broker.db. Observable from
// outside: broker.db itself grows only when a checkpoint ran.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { openPersistence, tempDir } from './persistence-fixtures.js';

const retained = (i: number) => ({ cmd: 'publish', topic: `home/device-${i}/state`, payload: Buffer.alloc(500, 0x62), qos: 1, retain: true });

async function writeSome(persistence: Awaited<ReturnType<typeof openPersistence>>): Promise<void> {
  await Promise.all(Array.from({ length: 200 }, (_, i) => persistence.storeRetained(retained(i))));
}

test('committed writes reach broker.db within checkpointIntervalMs', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file, { checkpointIntervalMs: 50 });
  t.after(() => persistence.destroy());
  const before = (await stat(dir.file)).size;
  await writeSome(persistence);
  await sleep(300);
  assert.ok((await stat(dir.file)).size > before + 100_000, 'the checkpoint copied them into broker.db');
});

test('with checkpointIntervalMs 0, only SQLite (at ~4 MB of WAL) or a clean close checkpoints', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file, { checkpointIntervalMs: 0 });
  const before = (await stat(dir.file)).size;
  await writeSome(persistence);
  await sleep(300);
  assert.equal((await stat(dir.file)).size, before);
  await persistence.destroy();
  assert.ok((await stat(dir.file)).size > before + 100_000, 'closing checkpoints');
});
