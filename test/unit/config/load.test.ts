import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../server/config/load.js';
import { tempDir } from '../../helpers/hub.js';

test('defaults < rumah.yaml < RUMAH_* env < CLI flags', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), '# my hub\nmqtt:\n  port: 1884\n  allowAnonymous: false\nhttp:\n  port: 8081\nhistory:\n  rawDays: 7\n');
  const fromFile = loadConfig({ argv: ['--data', dir], env: {} });
  assert.equal(fromFile.mqtt.port, 1884);
  assert.equal(fromFile.http.port, 8081);
  assert.equal(fromFile.history.rawDays, 7);
  assert.equal(fromFile.history.hourlyDays, 730, 'untouched defaults stay');
  const fromEnv = loadConfig({ argv: ['--data', dir], env: { RUMAH_MQTT_PORT: '1885', RUMAH_HTTP_PORT: '0' } });
  assert.equal(fromEnv.mqtt.port, 1885);
  assert.equal(fromEnv.http.port, 0);
  const fromFlags = loadConfig({ argv: ['--data', dir, '--mqtt-port', '1886'], env: { RUMAH_MQTT_PORT: '1885' } });
  assert.equal(fromFlags.mqtt.port, 1886);
  assert.equal(fromFlags.dataDir, path.resolve(dir));
  assert.ok(Object.isFrozen(fromFlags.mqtt), 'config is frozen');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every invalid value is reported with its path, all at once', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'mqtt:\n  port: -1\n  maxPacketSize: "big"\nunknownKey: 1\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RUMAH_ERR_CONFIG_INVALID');
    assert.match(err.message, /mqtt\.port/);
    assert.match(err.message, /mqtt\.maxPacketSize/);
    assert.match(err.message, /unknownKey/);
    return true;
  });
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'mqtt: [\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), /rumah\.yaml:\d+/);
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: { RUMAH_ALLOW_ANONYMOUS: 'perhaps' } }), /RUMAH_ALLOW_ANONYMOUS: expected true or false/);
  assert.throws(() => loadConfig({ argv: ['--bogus'] }), /Unknown option '--bogus'/);
  fs.rmSync(dir, { recursive: true, force: true });
});
