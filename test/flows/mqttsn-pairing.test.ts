import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';
import { loginAsAdmin } from '../helpers/http.js';

interface CandidateRow { username: string; clientId: string; address: string; protocol?: string; connected: boolean }

test('MQTT-SN from the join window: an unbound CONNECT is a candidate; accepted, its next CONNECT is admitted and its PUBLISH routed', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());

  // Window closed: refused and not a candidate.
  assert.equal(await sn.connect('shed-1'), 0x03);
  assert.deepEqual((await api.get('/api/pairing')).body.candidates, []);

  assert.equal((await api.post('/api/pairing/open', { seconds: 120 })).status, 200);
  // Until accepted it is answered as an unbound client; retries change nothing.
  assert.equal(await sn.connect('shed-1'), 0x03);
  assert.equal(await sn.connect('shed-1'), 0x03);
  const listed = (await api.get('/api/pairing')).body.candidates as CandidateRow[];
  assert.deepEqual(listed.map((c) => [c.username, c.clientId, c.address, c.protocol, c.connected]), [['shed-1', 'shed-1', '127.0.0.1', 'MQTT-SN', false]]);
  assert.equal(hub.hub.mqttsn!.clients, 0);

  const accepted = await api.post('/api/pairing/candidates/shed-1/accept', { acl: ['ourhome/outside/shed/#'] });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.deepEqual([accepted.body.account.username, accepted.body.account.kind, accepted.body.account.acl], ['shed-1', 'device', ['ourhome/outside/shed/#']]);
  assert.deepEqual((await api.get('/api/pairing')).body.candidates, []);
  // Bound to the account of its name, from the address it came from.
  assert.deepEqual((await api.get('/api/mqttsn/clients')).body.bindings.map((b: { clientId: string; account: string; addresses?: string[] }) => [b.clientId, b.account, b.addresses]), [['shed-1', 'shed-1', ['127.0.0.1']]]);

  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#', 1);
  const seen: string[] = [];
  sub.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  assert.equal(await sn.connect('shed-1'), 0, 'admitted right after acceptance');
  const id = await sn.register('ourhome/outside/shed/temperature');
  sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId: 5, data: Buffer.from('4.5') });
  assert.equal((await sn.next('puback', (p) => p.msgId === 5)).returnCode, 0);
  await waitFor(() => seen.includes('ourhome/outside/shed/temperature 4.5'), 5000, 'the MQTT-SN publish at the MQTT subscriber');
  assert.ok(hub.hub.mqttsn!.list().some((c) => c.clientId === 'shed-1' && c.state === 'active'));
});

test('MQTT-SN from the join window: rejected is refused and not listed again this window; a client id naming an account is not offered', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  await deviceAccount(hub, 'taken-1');
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  await api.post('/api/pairing/open', { seconds: 120 });
  assert.equal(await sn.connect('intruder'), 0x03);
  assert.equal(await sn.connect('taken-1'), 0x03);
  const names = async (): Promise<string[]> => ((await api.get('/api/pairing')).body.candidates as CandidateRow[]).map((c) => c.username);
  assert.deepEqual(await names(), ['intruder']);
  assert.deepEqual((await api.post('/api/pairing/candidates/intruder/reject', {})).body, { ok: true });
  assert.equal(await sn.connect('intruder'), 0x03);
  assert.deepEqual(await names(), []);
  assert.equal((await api.post('/api/pairing/candidates/intruder/accept', {})).status, 404);
  assert.equal(await hub.hub.store.accounts.exists('intruder'), false);
  assert.deepEqual(await hub.bindings.list(), []);
  // A new window is a new chance.
  await api.post('/api/pairing/open', { seconds: 120 });
  assert.equal(await sn.connect('intruder'), 0x03);
  assert.deepEqual(await names(), ['intruder']);
});
