import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'aedes';
import { connect, end, nextMessage, publish, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { runCli } from '../helpers/process.js';
import { run, startTlsHub, userPki, type TlsTestHub } from '../helpers/tls.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const admin = { username: 'admin', password: 'test-admin-password' };

/** The identity the broker gave each connected client, by client id. */
function identities(hub: TlsTestHub): Map<string, unknown> {
  const clients = (hub.hub.broker.aedes as unknown as { clients: Record<string, Client> }).clients;
  return new Map(Object.values(clients).map((c) => [c.id, hub.hub.broker.identities.get(c)]));
}

test('client certificates: `devices cert NAME` issues one; mosquitto_pub and MQTT.js log in with it and get the account\'s identity and ACL', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const hub = await startTlsHub({ clientCertificates: true }, {}, { dataDir });
  t.after(() => hub.stop());
  await hub.hub.store.accounts.create('garage-door', 'device');
  await hub.hub.store.accounts.setAcl('garage-door', ['ourhome/garage/#']);
  const password = await hub.hub.store.accounts.create('garage-pw', 'device');
  await hub.hub.store.accounts.setAcl('garage-pw', ['ourhome/garage/#']);

  const out = path.join(dataDir, 'certs');
  const issued = await runCli(['devices', 'cert', 'garage-door', '--out', out, '--json', '--data', dataDir]);
  assert.equal(issued.code, 0, issued.stderr);
  const files = JSON.parse(issued.stdout) as { cert: string; key: string; ca: string };
  assert.equal(fs.statSync(files.key).mode & 0o777, 0o600);
  assert.equal(fs.readFileSync(files.ca, 'utf8'), hub.ca, 'the folder carries the hub\'s CA');
  assert.equal((await runCli(['devices', 'cert', 'nobody', '--out', out, '--data', dataDir])).code, 1, 'only for an existing account');

  const listener = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca });
  t.after(() => end(listener));
  await subscribe(listener, 'ourhome/#');
  const got = nextMessage(listener, (topic) => topic.startsWith('ourhome/'), 10_000);
  // No -u, no -P: the certificate is the login.
  const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.tlsPort), '--cafile', files.ca, '--cert', files.cert, '--key', files.key, '-i', 'garage-mosquitto', '-q', '1', '-t', 'ourhome/garage/door/contact', '-m', 'closed']);
  assert.equal(pub.code, 0, pub.stderr);
  assert.deepEqual(await got, { topic: 'ourhome/garage/door/contact', payload: 'closed' });

  // The same identity as a password login of an account with the same filters, so the same ACL decisions.
  const byCert = await connect(hub.mqttsUrl, { ca: hub.ca, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), clientId: 'by-cert' });
  t.after(() => end(byCert));
  const byPassword = await connect(hub.mqttsUrl, { ca: hub.ca, username: 'garage-pw', password, clientId: 'by-password' });
  t.after(() => end(byPassword));
  const ids = identities(hub);
  assert.deepEqual(ids.get('by-cert'), { username: 'garage-door', kind: 'device', acl: ['ourhome/garage/#'] });
  assert.deepEqual(ids.get('by-password'), { username: 'garage-pw', kind: 'device', acl: ['ourhome/garage/#'] });
  for (const client of [byCert, byPassword]) {
    await publish(client, 'ourhome/kitchen/light', 'on'); // outside the filters: acknowledged and dropped
    const allowed = nextMessage(listener, () => true);
    await publish(client, 'ourhome/garage/light', client === byCert ? 'cert' : 'password');
    assert.equal((await allowed).topic, 'ourhome/garage/light', 'the denied publish never reached the listener');
  }
  assert.equal(hub.hub.pairing.acl.denied.get('garage-door')?.publish, 1);
  assert.equal(hub.hub.pairing.acl.denied.get('garage-pw')?.publish, 1);

  // A username may come along, but it must be the certificate's name; a password still means a password login.
  await assert.rejects(connect(hub.mqttsUrl, { ca: hub.ca, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), username: 'garage-pw' }), /Not authorized/i);
  const named = await connect(hub.mqttsUrl, { ca: hub.ca, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), username: 'garage-door' });
  await end(named);

  // Revoking the account withdraws its certificate too.
  const revoked = await runCli(['devices', 'revoke', 'garage-door', '--data', dataDir]);
  assert.equal(revoked.code, 0, revoked.stderr);
  await waitFor(() => !byCert.connected, 5000, 'revoked client disconnected');
  await assert.rejects(connect(hub.mqttsUrl, { ca: hub.ca, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) }), /Not authorized/i);
});

test('client certificates the hub does not trust are ignored: no login without a password, and the password path still works', async (t) => {
  const hub = await startTlsHub({ clientCertificates: true });
  t.after(() => hub.stop());
  const password = await hub.hub.store.accounts.create('porch-light', 'device');
  const foreign = await (await userPki()).client('porch-light'); // right name, wrong CA
  await assert.rejects(connect(hub.mqttsUrl, { ca: hub.ca, ...foreign }), /Not authorized/i);
  const withPassword = await connect(hub.mqttsUrl, { ca: hub.ca, ...foreign, username: 'porch-light', password });
  await end(withPassword);
  assert.ok(hub.hub.broker.counters.refusedLogins >= 1);
});

test('without tls.clientCertificates no certificate is asked for: a certificate alone is an anonymous client, refused', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  await hub.hub.store.accounts.create('shed-sensor', 'device');
  const out = path.join(hub.dataDir, 'certs');
  const issued = JSON.parse((await runCli(['devices', 'cert', 'shed-sensor', '--out', out, '--json', '--data', hub.dataDir])).stdout) as { cert: string; key: string };
  await assert.rejects(connect(hub.mqttsUrl, { ca: hub.ca, cert: fs.readFileSync(issued.cert), key: fs.readFileSync(issued.key) }), /Not authorized/i);
});
