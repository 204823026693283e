import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCodes, RumahError } from '../../../server/core/errors.js';
import { openStore } from '../../../server/store/index.js';
import { change, silentLog, tempDir } from './helpers.js';

test('openStore creates <dataDir>/rumah.db; close flushes the writer and survives a reopen', async (t) => {
  const dir = path.join(tempDir(), 'data', 'nested');
  const store = await openStore(dir, silentLog(), { history: { intervalMs: 60_000 } });
  assert.ok(fs.existsSync(path.join(dir, 'rumah.db')));
  for (let i = 0; i < 100; i++) store.writer.enqueue(change('d', 'p', i, i));
  await Promise.all([store.close(), store.close()]);
  const again = await openStore(dir, silentLog());
  t.after(() => again.close());
  assert.equal(await again.history.count(), 100);
  assert.equal((await again.state.all())[0]?.state.value, 99);
});

test('a corrupt rumah.db gives DB_OPEN with the file name and what to do', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'rumah.db');
  fs.writeFileSync(file, Buffer.from('this is not a database, just garbage bytes '.repeat(200)));
  await assert.rejects(openStore(dir, silentLog()), (err: unknown) => {
    assert.ok(err instanceof RumahError, String(err));
    assert.equal(err.code, ErrorCodes.DB_OPEN);
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.message, /restore a backup/);
    return true;
  });
});

test('a data folder that cannot be created gives DATA_DIR_UNWRITABLE', async (t) => {
  const blocker = path.join(tempDir(), 'a-file');
  fs.writeFileSync(blocker, '');
  await assert.rejects(
    openStore(path.join(blocker, 'data'), silentLog()),
    (err: unknown) => err instanceof RumahError && err.code === ErrorCodes.DATA_DIR_UNWRITABLE && err.message.includes(blocker),
  );
});
