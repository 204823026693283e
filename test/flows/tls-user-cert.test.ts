import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, end, tempDir, waitFor } from '../helpers/hub.js';
import { runMain } from '../helpers/process.js';
import { presentedCertificate, request, startTlsHub, userPki } from '../helpers/tls.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const admin = { username: 'admin', password: 'test-admin-password' };

/** Starts `node dist/server/main.js` with TLS and the given user files; the process must refuse to start. */
function refusedStart(dataDir: string, certFile: string, keyFile: string): Promise<{ code: number | null; stderr: string }> {
  return runMain(['--data', dataDir, '--tls', '--tls-mqtt-port', '0', '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1', '--log-level', 'fatal'], {
    RUMAH_TLS_CERT: certFile, RUMAH_TLS_KEY: keyFile, RUMAH_ADMIN_PASSWORD: 'test-admin-password',
  });
}

test('an expired user certificate, a key that does not match, or a missing file: the start stops with RUMAH_ERR_TLS_CERT and exit code 2', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const pki = await userPki();
  const expired = await pki.server(dataDir, { expired: true, name: 'expired' });
  const good = await pki.server(dataDir, { name: 'good' });
  const other = await pki.server(dataDir, { name: 'other' });

  const a = await refusedStart(dataDir, expired.certFile, expired.keyFile);
  assert.equal(a.code, 2, a.stderr);
  assert.match(a.stderr, /RUMAH_ERR_TLS_CERT: TLS certificate .*expired\.crt.* cannot be used: expired on \d{4}-\d\d-\d\dT/);

  const b = await refusedStart(dataDir, good.certFile, other.keyFile);
  assert.equal(b.code, 2, b.stderr);
  assert.match(b.stderr, /RUMAH_ERR_TLS_CERT: .*the key does not belong to the certificate/);

  const c = await refusedStart(dataDir, path.join(dataDir, 'nope.crt'), good.keyFile);
  assert.equal(c.code, 2, c.stderr);
  assert.match(c.stderr, /tls\.certFile .*nope\.crt does not exist/);

  const d = await refusedStart(dataDir, good.keyFile, good.keyFile);
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stderr, /not a PEM certificate/);
  assert.equal(fs.existsSync(path.join(dataDir, 'rumah.db')), false, 'nothing was opened before the check');
});

test('a user certificate replaces the generated one; a changed file is reloaded without a restart (a new client sees the new serial), a broken one is not', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const pki = await userPki();
  const first = await pki.server(dataDir, { name: 'hub' });
  // Relative paths are read from the data directory.
  const hub = await startTlsHub({ certFile: 'hub.crt', keyFile: 'hub.key' }, {}, { dataDir });
  t.after(() => hub.stop());
  assert.equal(fs.existsSync(path.join(dataDir, 'tls', 'ca.key')), false, 'no local CA is made for a user certificate');
  assert.equal(hub.hub.runtime?.tls?.source, 'user');
  assert.equal((await request(`${hub.httpsUrl}/ca.crt`, { ca: pki.caPem })).status, 404, 'the user\'s CA is not the hub\'s to serve');
  assert.equal((await presentedCertificate(hub.tlsPort, pki.caPem)).serialNumber, first.serialNumber);
  const early = await connect(hub.mqttsUrl, { ...admin, ca: pki.caPem });
  t.after(() => end(early));

  // Renewal as certbot does it: new files written in place (here: a new key, then the new certificate).
  const tmp = tempDir();
  removeWhenDone(tmp);
  const renewed = await pki.server(tmp, { name: 'hub' });
  fs.copyFileSync(renewed.keyFile, path.join(dataDir, 'hub.key'));
  fs.copyFileSync(renewed.certFile, path.join(dataDir, 'hub.crt'));
  await waitFor(async () => (await presentedCertificate(hub.tlsPort, pki.caPem)).serialNumber === renewed.serialNumber, 5000, 'the new certificate on MQTT over TLS');
  await waitFor(async () => (await presentedCertificate(hub.webPort, pki.caPem)).serialNumber === renewed.serialNumber, 5000, 'the new certificate on HTTPS');
  assert.equal(hub.hub.runtime?.tls?.fingerprint256, (await presentedCertificate(hub.webPort, pki.caPem)).fingerprint256, 'runtime.json follows (the CLI pins it)');
  assert.equal(early.connected, true, 'open connections keep going');
  const late = await connect(hub.mqttsUrl, { ...admin, ca: pki.caPem });
  await end(late);

  // A broken replacement (expired) is logged and ignored: the hub keeps serving the last good certificate.
  const expired = await pki.server(tmp, { name: 'old', expired: true });
  fs.copyFileSync(expired.keyFile, path.join(dataDir, 'hub.key'));
  fs.copyFileSync(expired.certFile, path.join(dataDir, 'hub.crt'));
  assert.equal(await hub.hub.tls!.reload(), false);
  assert.equal((await presentedCertificate(hub.tlsPort, pki.caPem)).serialNumber, renewed.serialNumber);
});
