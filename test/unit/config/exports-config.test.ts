import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../server/config/load.js';
import { tempDir } from '../../helpers/hub.js';

test('exports: off by default; influx needs a url when enabled; the rest keep their defaults', () => {
  const dir = tempDir();
  const none = loadConfig({ argv: ['--data', dir], env: {} });
  assert.equal(none.exports.homeassistant.enabled, false);
  assert.deepEqual(none.exports.homeassistant.skipConventions, ['homeassistant']);
  assert.equal(none.exports.influx.enabled, false);
  assert.equal(none.exports.prometheus.deviceStates, false);

  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'exports:\n  influx:\n    enabled: true\n  homeassistant:\n    enabled: yes-please\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), (err: Error) => {
    assert.match(err.message, /exports\.influx\.url: give url when enabled is true/);
    assert.match(err.message, /rumah\.yaml:5: exports\.homeassistant\.enabled/);
    return true;
  });
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'exports:\n  influx:\n    enabled: true\n    url: ftp://x/write\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), /exports\.influx\.url/);

  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'exports:\n  influx:\n    enabled: true\n    url: http://127.0.0.1:8428/write\n  homeassistant:\n    skipConventions: [homeassistant, zigbee2mqtt]\n');
  const on = loadConfig({ argv: ['--data', dir], env: {} });
  assert.equal(on.exports.influx.url, 'http://127.0.0.1:8428/write');
  assert.equal(on.exports.influx.batchSize, 5000);
  assert.deepEqual(on.exports.homeassistant.skipConventions, ['homeassistant', 'zigbee2mqtt']);
  fs.rmSync(dir, { recursive: true, force: true });
});
