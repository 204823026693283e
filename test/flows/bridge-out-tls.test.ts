import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { adminPassword, connect, startHub, tempDir } from '../helpers/hub.js';
import { freePort, mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { userPki } from '../helpers/tls.js';
import { bridge, collect, linkOf, publish, subscribe, until } from '../helpers/bridge-out.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const admin = { username: 'admin', password: adminPassword };
const skip = mosquittoBin() ? false : 'mosquitto is not installed';

test('a bridge over TLS to mosquitto: the remote\'s CA from `ca`, a client certificate from `cert`/`key`; without the CA it is refused', { skip }, async (t) => {
  const pki = await userPki();
  const dir = tempDir('bridge-tls-');
  removeWhenDone(dir);
  const server = await pki.server(dir, { name: 'remote' });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, pki.caPem);
  const clientCert = await pki.client('rumah-house');
  fs.writeFileSync(path.join(dir, 'client.crt'), clientCert.cert);
  fs.writeFileSync(path.join(dir, 'client.key'), clientCert.key, { mode: 0o600 });
  // Started as root, mosquitto drops to its own user before it reads its certificate and key.
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(server.keyFile, 0o644);
  const tlsPort = await freePort();
  const remote = await startMosquitto([`listener ${tlsPort} 127.0.0.1`, `cafile ${caFile}`, `certfile ${server.certFile}`, `keyfile ${server.keyFile}`, 'require_certificate true']);
  t.after(() => remote.stop());

  const dataDir = tempDir();
  removeWhenDone(dataDir);
  // cert and key relative to the data dir, ca absolute: both forms are read.
  fs.copyFileSync(path.join(dir, 'client.crt'), path.join(dataDir, 'bridge.crt'));
  fs.copyFileSync(path.join(dir, 'client.key'), path.join(dataDir, 'bridge.key'));
  const url = `mqtts://localhost:${tlsPort}`;
  const hub = await startHub({
    bridges: [
      bridge({ name: 'secure', url, ca: caFile, cert: 'bridge.crt', key: 'bridge.key', topics: ['tls/# out 1'] }),
      bridge({ name: 'untrusted', url, cert: 'bridge.crt', key: 'bridge.key', topics: ['tls/# out 1'] }),
    ],
  }, { dataDir });
  t.after(() => hub.stop());
  await until('the TLS bridge to connect', () => linkOf(hub.hub, 'secure').state === 'connected');

  const far = await connect(`mqtt://127.0.0.1:${remote.port}`, { clientId: 'far' });
  t.after(() => far.end(true));
  const got = collect(far);
  await subscribe(far, 'tls/#');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  await publish(local, 'tls/hello', 'over tls');
  await until('the message at the remote', () => got.length >= 1);
  assert.deepEqual(got, ['tls/hello over tls']);

  // The system CAs do not know the test CA: that bridge stays down, and says why.
  await until('the untrusted bridge to fail', () => linkOf(hub.hub, 'untrusted').lastError !== undefined);
  const untrusted = linkOf(hub.hub, 'untrusted');
  assert.notEqual(untrusted.state, 'connected');
  assert.match(untrusted.lastError!, /certificate|self.signed|issuer/i);
  assert.equal(untrusted.queueDepth, 1, 'its copy of the QoS 1 message waits');
});
