import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/hub.js';
import { runCli, spawnHub } from '../helpers/process.js';
import { request, startTlsHub } from '../helpers/tls.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const login = JSON.stringify({ username: 'admin', password: 'test-admin-password' });

test('HTTPS: the session cookie is Secure; plain HTTP on the same port gets a 308 to the same URL over HTTPS', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  const res = await request(`${hub.httpsUrl}/api/auth/login`, { ca: hub.ca, method: 'POST', headers: { 'content-type': 'application/json' }, body: login });
  assert.equal(res.status, 200);
  const cookie = String(res.headers['set-cookie']);
  assert.match(cookie, /rumah_session=/);
  assert.match(cookie, /;\s*Secure/i, 'a browser never sends it over plain HTTP');
  assert.match(cookie, /HttpOnly/i);
  const session = cookie.split(';')[0]!;
  assert.equal((await request(`${hub.httpsUrl}/api/devices`, { ca: hub.ca, headers: { cookie: session } })).status, 200);

  const plain = await request(`http://127.0.0.1:${hub.webPort}/api/devices?x=1`, { headers: { cookie: session } });
  assert.equal(plain.status, 308);
  assert.equal(plain.headers.location, `https://127.0.0.1:${hub.webPort}/api/devices?x=1`);
  assert.equal(plain.headers['strict-transport-security'], undefined, 'no HSTS for a local CA (see docs/tls.md)');
  // A POST keeps method and body through a 308; the plain side never runs the API.
  const plainPost = await request(`http://127.0.0.1:${hub.webPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login });
  assert.equal(plainPost.status, 308);
  assert.equal(plainPost.headers['set-cookie'], undefined);
  // An odd Host header is not echoed into a redirect.
  assert.equal((await request(`http://127.0.0.1:${hub.webPort}/`, { headers: { host: 'evil.example/x?' } })).status, 400);
});

test('a hub process with --tls: the banner shows the CA fingerprint and /ca.crt; the CLI reaches it over HTTPS, pinning its certificate', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const hub = await spawnHub(dataDir, ['--tls', '--tls-mqtt-port', '0']);
  t.after(() => hub.child.kill('SIGKILL'));
  const runtime = JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8'));
  const ca = fs.readFileSync(path.join(dataDir, 'tls', 'ca.crt'), 'utf8');
  await waitForText(hub.stderr, /CA SHA-256/);
  assert.match(hub.stderr(), new RegExp(`dashboard\\s+https://[^\\s]+:${runtime.httpPort}/`));
  assert.match(hub.stderr(), new RegExp(`MQTT over TLS\\s+mqtts://[^\\s]+:${runtime.tls.mqttPort}`));
  assert.match(hub.stderr(), new RegExp(`CA certificate\\s+https://[^\\s]+:${runtime.httpPort}/ca\\.crt`));
  assert.ok(hub.stderr().includes(runtime.tls.caFingerprint256), 'the banner shows the fingerprint runtime.json has');
  assert.equal((await request(`https://127.0.0.1:${runtime.httpPort}/ca.crt`, { ca })).body, ca);

  const pair = await runCli(['pair', '--for', '30', '--data', dataDir]);
  assert.equal(pair.code, 0, pair.stderr);
  assert.match(pair.stdout, /join window open for 30 s/);

  // A different server on the hub's port is refused before the token is sent: the pin is the hub's certificate.
  fs.writeFileSync(path.join(dataDir, 'runtime.json'), JSON.stringify({ ...runtime, tls: { ...runtime.tls, fingerprint256: 'AA:BB' } }));
  const refused = await runCli(['pair', '--close', '--data', dataDir]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not the hub that wrote runtime\.json/);
  hub.child.kill('SIGTERM');
  assert.equal((await hub.exited).code, 0);
});

async function waitForText(text: () => string, pattern: RegExp, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(text())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in: ${text()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
