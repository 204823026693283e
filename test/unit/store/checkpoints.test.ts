import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Database } from '../../../server/store/database.js';
import { openStore, type Store } from '../../../server/store/index.js';
import { silentLog, tempDir } from './helpers.js';

/**
 * What a power cut would leave: rumah.db without its -wal (commits not yet checkpointed are only in the WAL, in the
 * page cache). The token names found in such a copy.
 */
async function tokensOnDisk(store: Store, dir: string): Promise<string[]> {
  const copy = path.join(dir, `copy-${Math.random().toString(36).slice(2)}.db`);
  fs.copyFileSync(store.db.file, copy);
  const db = await Database.open(copy, silentLog());
  try {
    const table = await db.get("SELECT 1 FROM sqlite_schema WHERE name = 'api_tokens'");
    // Not even the schema: the migrations themselves are still only in the WAL.
    if (!table) return [];
    return (await db.all<{ name: string }>('SELECT name FROM api_tokens ORDER BY name')).map((r) => r.name);
  } finally {
    await db.close();
  }
}

test('with checkpoints (the hub), a commit is in rumah.db itself within about a second; without (the CLI), only in the WAL', async (t) => {
  const hubDir = path.join(tempDir(), 'hub');
  const hub = await openStore(hubDir, silentLog(), { checkpointIntervalMs: 200 });
  t.after(() => hub.close());
  const cliDir = path.join(tempDir(), 'cli');
  const cli = await openStore(cliDir, silentLog());
  t.after(() => cli.close());

  await hub.apiTokens.create('kept');
  await cli.apiTokens.create('kept');
  const deadline = Date.now() + 5000;
  while (!(await tokensOnDisk(hub, hubDir)).includes('kept') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await tokensOnDisk(hub, hubDir), ['kept']);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await tokensOnDisk(cli, cliDir), [], 'SQLite alone leaves a small commit in the WAL');
});
