import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir } from '../helpers/hub.js';
import { request, run, startTlsHub } from '../helpers/tls.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const admin = { username: 'admin', password: 'test-admin-password' };

test('first start with TLS: a local CA (10 years) and a server certificate for this host, keys 0600, the same CA after a restart', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const first = await startTlsHub({ hostnames: ['hub.example.lan', '192.0.2.7'] }, {}, { dataDir });
  t.after(() => first.stop());
  const tlsDir = path.join(dataDir, 'tls');
  assert.equal(fs.statSync(tlsDir).mode & 0o777, 0o700);
  for (const key of ['ca.key', 'server.key']) assert.equal(fs.statSync(path.join(tlsDir, key)).mode & 0o777, 0o600, `${key} is private`);
  const ca = new crypto.X509Certificate(first.ca);
  assert.equal(ca.ca, true);
  assert.ok(ca.checkIssued(ca), 'the CA is self-signed');
  const years = (Date.parse(ca.validTo) - Date.now()) / (365 * 86_400_000);
  assert.ok(years > 9.9 && years < 10.1, `CA valid ${years} years`);
  const server = new crypto.X509Certificate(fs.readFileSync(path.join(tlsDir, 'server.crt')));
  assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'the server certificate is signed by the CA');
  assert.equal(server.ca, false);
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', `DNS:${os.hostname().toLowerCase()}`, 'DNS:hub.example.lan', 'IP Address:192.0.2.7']) {
    assert.ok(server.subjectAltName?.split(', ').includes(name), `${name} in ${server.subjectAltName}`);
  }
  const days = (Date.parse(server.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 824 && days < 826, `server certificate valid ${days} days`);
  assert.equal(first.hub.runtime?.tls?.caFingerprint256, ca.fingerprint256, 'runtime.json (and the banner) show the CA fingerprint');

  // /ca.crt is public: over HTTPS trusting the CA, and over plain HTTP on the same port for a device that does not yet.
  const overHttps = await request(`${first.httpsUrl}/ca.crt`, { ca: first.ca });
  assert.equal(overHttps.status, 200);
  assert.equal(overHttps.headers['content-type'], 'application/x-x509-ca-cert');
  assert.equal(overHttps.body, first.ca);
  assert.equal((await request(`http://127.0.0.1:${first.webPort}/ca.crt`)).body, first.ca);
  await first.stop();

  const again = await startTlsHub({ hostnames: ['hub.example.lan', '192.0.2.7'] }, {}, { dataDir });
  t.after(() => again.stop());
  assert.equal(again.ca, first.ca, 'the CA is kept: devices that trust it keep working');
  const serverAgain = new crypto.X509Certificate(fs.readFileSync(path.join(tlsDir, 'server.crt')));
  assert.equal(serverAgain.serialNumber, server.serialNumber, 'a server certificate that still fits is kept');
});

test('mosquitto_pub --cafile publishes over TLS; mosquitto without the CA fails the handshake', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const listener = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca });
  t.after(() => end(listener));
  await subscribe(listener, 'ourhome/#');
  const got = nextMessage(listener, (topic) => topic === 'ourhome/garage/door/contact', 10_000);
  const ok = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.tlsPort), '--cafile', hub.caFile, '-u', creds.username, '-P', creds.password, '-q', '1', '-t', 'ourhome/garage/door/contact', '-m', 'open']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await got).payload, 'open');

  // The system's trust store does not know the hub's CA: OpenSSL refuses the certificate.
  const untrusted = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.tlsPort), '--capath', '/etc/ssl/certs', '-u', creds.username, '-P', creds.password, '-t', 'ourhome/garage/door/contact', '-m', 'x']);
  assert.notEqual(untrusted.code, 0);
  assert.match(untrusted.stderr, /certificate verify failed|protocol error|TLS/i);
  // The host name is checked too: the certificate names 127.0.0.1 and localhost, not this one.
  const wrongName = await run('mosquitto_pub', ['-h', 'localhost', '-p', String(hub.tlsPort), '--cafile', hub.caFile, '-u', creds.username, '-P', creds.password, '-t', 'ourhome/garage/door/contact', '-m', 'y']);
  assert.equal(wrongName.code, 0, `localhost is in the certificate: ${wrongName.stderr}`);
});

test('MQTT.js over mqtts:// and wss:// with the CA; a client that does not trust the CA is refused at the handshake', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const sub = await connect(hub.wssUrl, { ...admin, ca: hub.ca });
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#');
  const device = await connect(hub.mqttsUrl, { ...creds, ca: hub.ca });
  t.after(() => end(device));
  const got = nextMessage(sub, (topic) => topic === 'ourhome/hall/light');
  await publish(device, 'ourhome/hall/light', 'on');
  assert.equal((await got).payload, 'on', 'mqtts:// in, wss:// out');

  await assert.rejects(connect(hub.mqttsUrl, { ...creds }), /self[- ]signed|unable to verify|UNABLE_TO_VERIFY/i);
  await assert.rejects(connect(hub.wssUrl, { ...creds }), /self[- ]signed|unable to verify|UNABLE_TO_VERIFY/i);
  const otherCa = (await startHubCa(t)).ca;
  await assert.rejects(connect(hub.mqttsUrl, { ...creds, ca: otherCa }), /self[- ]signed|unable to verify|UNABLE_TO_VERIFY/i, 'another hub\'s CA is not this one');
});

/** A second hub's CA: trusting it must not make this hub's certificate acceptable. */
async function startHubCa(t: { after(fn: () => Promise<void>): void }): Promise<{ ca: string }> {
  const other = await startTlsHub();
  t.after(() => other.stop());
  return { ca: other.ca };
}

test('plain listeners can be turned off: no plain MQTT, and plain HTTP on the web port is closed without an answer', async (t) => {
  const hub = await startTlsHub({ plainMqtt: false, plainHttp: false });
  t.after(() => hub.stop());
  assert.equal(hub.hub.runtime?.mqttPort, 0, 'runtime.json says there is no plain MQTT port');
  const reply = await new Promise<string>((resolve) => {
    const socket = net.connect(hub.webPort, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('error', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
  assert.equal(reply, '', 'closed without a redirect');
  const client = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca });
  await end(client);
});

test('TLS off (the default): no tls folder is made and /ca.crt is 404', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  assert.equal(fs.existsSync(path.join(hub.dataDir, 'tls')), false);
  assert.equal((await request(`${hub.httpUrl}/ca.crt`)).status, 404);
  assert.equal(hub.hub.runtime?.tls, undefined);
});
