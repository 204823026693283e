import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../server/config/load.js';
import { tempDir } from '../helpers/hub.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

test('tls settings: off by default; --tls, RUMAH_TLS*, rumah.yaml; certFile without keyFile and bad host names are reported with their paths', (t) => {
  const dir = tempDir();
  removeWhenDone(dir);
  const off = loadConfig({ argv: ['--data', dir], env: {} });
  assert.deepEqual(off.tls, { enabled: false, mqttPort: 8883, hostnames: [], plainMqtt: true, plainHttp: true, clientCertificates: false });
  assert.equal(loadConfig({ argv: ['--data', dir, '--tls', '--tls-mqtt-port', '8884'], env: {} }).tls.mqttPort, 8884);
  assert.equal(loadConfig({ argv: ['--data', dir, '--tls'], env: {} }).tls.enabled, true);
  const fromEnv = loadConfig({ argv: ['--data', dir], env: { RUMAH_TLS: 'on', RUMAH_TLS_CERT: 'hub.crt', RUMAH_TLS_KEY: 'hub.key' } });
  assert.deepEqual([fromEnv.tls.enabled, fromEnv.tls.certFile, fromEnv.tls.keyFile], [true, 'hub.crt', 'hub.key']);

  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'tls:\n  enabled: true\n  plainMqtt: false\n  clientCertificates: true\n  hostnames: [hub.home.lan, 192.168.1.20]\n');
  const fromFile = loadConfig({ argv: ['--data', dir], env: {} });
  assert.deepEqual([fromFile.tls.plainMqtt, fromFile.tls.clientCertificates, fromFile.tls.hostnames], [false, true, ['hub.home.lan', '192.168.1.20']]);

  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'tls:\n  enabled: true\n  certFile: hub.crt\n  hostnames: ["bad name/x"]\n  colour: blue\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RUMAH_ERR_CONFIG_INVALID');
    assert.match(err.message, /tls\.certFile: give both certFile and keyFile/);
    assert.match(err.message, /tls\.hostnames\.0: a DNS name or an IP address/);
    assert.match(err.message, /tls: Unrecognized key.*colour/);
    return true;
  });
});
