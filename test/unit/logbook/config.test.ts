import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../server/config/load.js';
import { tempDir } from '../../helpers/hub.js';
import { removeWhenDone } from '../../helpers/remove-when-done.js';

// The logbook's keys (server/config/schema.ts, README Configuration): defaults, set in rumah.yaml, bounds checked.
test('logbook settings: defaults, rumah.yaml, and out-of-range values reported with their path', (t) => {
  const dir = tempDir();
  removeWhenDone(dir);
  assert.deepEqual({ ...loadConfig({ argv: ['--data', dir], env: {} }).logbook }, { maxEntries: 100_000, days: 30, maxPerSource: 20_000, sourceRatePerMinute: 20, sourceBurst: 60 });
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'logbook:\n  days: 7\n  maxPerSource: 500\n');
  const set = loadConfig({ argv: ['--data', dir], env: {} }).logbook;
  assert.equal(set.days, 7);
  assert.equal(set.maxPerSource, 500);
  assert.equal(set.maxEntries, 100_000, 'untouched defaults stay');
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'logbook:\n  maxEntries: 5\n  sourceBurst: 0\n  colour: red\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RUMAH_ERR_CONFIG_INVALID');
    assert.match(err.message, /logbook\.maxEntries/);
    assert.match(err.message, /logbook\.sourceBurst/);
    assert.match(err.message, /colour/);
    return true;
  });
});
