import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';
import { client, loginAsAdmin } from '../helpers/http.js';

test('MQTT-SN bindings over REST: an admin binds, lists and unbinds; the gateway admits exactly what is bound', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'porch-sn');
  const api = await loginAsAdmin(hub.httpUrl);

  // Bad input: 4xx with a message, nothing stored.
  const cases: Array<[unknown, number, RegExp]> = [
    [{ clientId: 'porch-1' }, 400, /account/],
    [{ clientId: 'has space', account: account.username }, 400, /printable ASCII/],
    [{ clientId: 'x'.repeat(24), account: account.username }, 400, /clientId/],
    [{ clientId: 'porch-1', account: account.username, addresses: ['not-an-ip'] }, 400, /not an IPv4 or IPv6 address/],
    [{ clientId: 'porch-1', account: 'nobody' }, 404, /no active MQTT account "nobody"/],
    [{ clientId: 'porch-1', account: account.username, extra: 1 }, 400, /extra/],
  ];
  for (const [body, status, message] of cases) {
    const res = await api.post('/api/mqttsn/clients', body);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.match(res.body.error.message, message);
  }
  assert.equal((await api.del('/api/mqttsn/clients/never-bound')).status, 404);
  assert.deepEqual((await api.get('/api/mqttsn/clients')).body, { enabled: true, bindings: [] });

  // Not for anonymous callers nor members.
  assert.equal((await client(hub.httpUrl).get('/api/mqttsn/clients')).status, 401);
  await hub.hub.users.create('mia', 'member-password', 'member');
  const login = await fetch(`${hub.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mia', password: 'member-password' }) });
  const member = client(hub.httpUrl, { cookie: login.headers.get('set-cookie')!.split(';')[0]! });
  assert.equal((await member.get('/api/mqttsn/clients')).status, 403);
  assert.equal((await member.post('/api/mqttsn/clients', { clientId: 'porch-1', account: account.username })).status, 403);

  // Bound from the dashboard: one client from any address, one only from an address it does not come from.
  const bound = await api.post('/api/mqttsn/clients', { clientId: 'porch-1', account: account.username });
  assert.equal(bound.status, 201);
  assert.deepEqual([bound.body.binding.clientId, bound.body.binding.account, bound.body.binding.addresses], ['porch-1', 'porch-sn', undefined]);
  assert.equal((await api.post('/api/mqttsn/clients', { clientId: 'porch-far', account: account.username, addresses: ['192.0.2.9', '2001:db8::9'] })).status, 201);
  const listed = (await api.get('/api/mqttsn/clients')).body.bindings as Array<{ clientId: string; account: string; addresses?: string[] }>;
  assert.deepEqual(listed.map((b) => [b.clientId, b.account, b.addresses]), [['porch-1', 'porch-sn', undefined], ['porch-far', 'porch-sn', ['192.0.2.9', '2001:db8::9']]]);

  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#', 1);
  const seen: string[] = [];
  sub.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('porch-far'), 0x03, 'restricted to other addresses');
  assert.equal(await sn.connect('porch-1'), 0, 'bound from the dashboard');
  const id = await sn.register('ourhome/outside/porch/temperature');
  sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId: 1, data: Buffer.from('7.5') });
  await sn.next('puback', (p) => p.msgId === 1);
  await waitFor(() => seen.includes('ourhome/outside/porch/temperature 7.5'), 5000, 'the publish');
  sn.send({ type: 'disconnect' });
  await sn.next('disconnect');

  // Unbound from the dashboard: the next CONNECT is refused; the CLI sees the same table.
  assert.deepEqual((await api.del('/api/mqttsn/clients/porch-1')).body, { clientId: 'porch-1', removed: true });
  assert.equal(await sn.connect('porch-1'), 0x03);
  assert.deepEqual((await hub.bindings.list()).map((b) => b.clientId), ['porch-far']);
});

test('the bindings can be made while the gateway is off: the list says so', async (t) => {
  const { startHub } = await import('../helpers/hub.js');
  const hub = await startHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'later-sn');
  const api = await loginAsAdmin(hub.httpUrl);
  assert.equal((await api.post('/api/mqttsn/clients', { clientId: 'later-1', account: account.username })).status, 201);
  const view = (await api.get('/api/mqttsn/clients')).body;
  assert.equal(view.enabled, false);
  assert.deepEqual(view.bindings.map((b: { clientId: string }) => b.clientId), ['later-1']);
});
