import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';

const admin = { username: 'admin', password: 'test-admin-password' };

test('join window: an unknown client becomes a candidate, is accepted with its own password, and its telemetry appears', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const device = { username: 'porch-sensor', password: 'chosen-by-the-device' };
  // Window closed: unknown clients are refused.
  await assert.rejects(connect(hub.mqttUrl, device), /Bad username or password/);

  const opened = await api.post('/api/pairing/open', { seconds: 60 });
  assert.equal(opened.body.open, true);
  assert.ok(opened.body.remaining > 55);
  const candidate = await connect(hub.mqttUrl, { ...device, clientId: 'porch-1' });
  // Another client presenting the same name with another password does not become (or take over) that candidate.
  await assert.rejects(connect(hub.mqttUrl, { username: device.username, password: 'someone-else', clientId: 'porch-x' }), /Bad username or password/);
  await publish(candidate, 'ourhome/groundfloor/porch/motion', 'false');
  const state = await waitFor(async () => {
    const s = (await api.get('/api/pairing')).body;
    return s.candidates[0]?.topics.length ? s : undefined;
  });
  assert.deepEqual(state.candidates.map((c: any) => [c.username, c.clientId, c.topics]), [['porch-sensor', 'porch-1', ['ourhome/groundfloor/porch/motion']]]);
  assert.equal(hub.hub.registry.get('ourhome-groundfloor-porch-motion'), undefined, 'a candidate\'s messages are routed nowhere');

  const closed = new Promise<void>((resolve) => candidate.once('close', () => resolve()));
  const accepted = await api.post('/api/pairing/candidates/porch-sensor/accept', {});
  assert.equal(accepted.status, 200);
  assert.equal(accepted.body.account.username, 'porch-sensor');
  await closed; // it reconnects as a device
  await end(candidate);
  await api.post('/api/pairing/close', {});

  const paired = await connect(hub.mqttUrl, device);
  t.after(() => end(paired));
  await publish(paired, 'ourhome/groundfloor/porch/motion', 'true');
  const d = await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-porch-motion'));
  assert.equal(d.owner, 'porch-sensor');
  assert.equal((await api.get('/api/pairing')).body.candidates.length, 0);
});

test('rejected and late clients are refused; the Zigbee2MQTT bridge is told to permit joining', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const watcher = await connect(hub.mqttUrl, admin);
  t.after(() => end(watcher));
  await subscribe(watcher, 'zigbee2mqtt/bridge/request/permit_join');
  const permit = nextMessage(watcher, (topic) => topic === 'zigbee2mqtt/bridge/request/permit_join');
  await api.post('/api/pairing/open', { seconds: 2 });
  assert.deepEqual(JSON.parse((await permit).payload), { time: 2 });

  const intruder = await connect(hub.mqttUrl, { username: 'intruder', password: 'whatever-1' });
  const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
  assert.equal((await api.post('/api/pairing/candidates/intruder/reject', {})).status, 200);
  await closed;
  await end(intruder);
  await assert.rejects(connect(hub.mqttUrl, { username: 'intruder', password: 'whatever-1' }), /Bad username or password/);
  // A known account with a wrong password never becomes a candidate.
  const known = await deviceAccount(hub, 'known-device');
  await assert.rejects(connect(hub.mqttUrl, { username: known.username, password: 'guess' }), /Bad username or password/);
  await waitFor(async () => !(await api.get('/api/pairing')).body.open, 5000, 'window closes by itself');
  await assert.rejects(connect(hub.mqttUrl, { username: 'latecomer', password: 'whatever-2' }), /Bad username or password/);
});

test('credentials made ahead of time; rotate; revoke disconnects the device at once', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const created = await api.post('/api/accounts', { username: 'garage-door' });
  assert.equal(created.status, 201);
  assert.equal(created.body.ports.mqtt, Number(new URL(hub.mqttUrl).port), 'where to connect comes with the credentials');
  delete created.body.ports;
  const client = await connect(hub.mqttUrl, created.body);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const revoked = await api.del('/api/accounts/garage-door');
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.disconnected, 1);
  await closed;
  await end(client);
  await assert.rejects(connect(hub.mqttUrl, created.body), /Bad username or password/);
  const rotated = await api.post('/api/accounts/garage-door/rotate', {});
  assert.equal(rotated.status, 200);
  await assert.rejects(connect(hub.mqttUrl, created.body), /Bad username or password/, 'the old password stays dead');
  const back = await connect(hub.mqttUrl, rotated.body);
  await end(back);
  const bad = await api.post('/api/accounts', { username: 'x', acl: ['ourhome/#/bad'] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /acl\[0\]/);
});

test('ACL: a device cannot publish on, command or follow another account\'s devices; denials are counted', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const kitchen = await connect(hub.mqttUrl, await deviceAccount(hub, 'kitchen'));
  t.after(() => end(kitchen));
  const hall = await connect(hub.mqttUrl, await deviceAccount(hub, 'hall'));
  t.after(() => end(hall));
  await publish(kitchen, 'ourhome/firstfloor/kitchen/fan', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-firstfloor-kitchen-fan'));
  const watcher = await connect(hub.mqttUrl, admin);
  t.after(() => end(watcher));
  await subscribe(watcher, 'ourhome/#');
  const seen: string[] = [];
  watcher.on('message', (topic, payload) => seen.push(`${topic}=${payload}`));

  await publish(hall, 'ourhome/firstfloor/kitchen/fan', 'on'); // spoofed state: acknowledged, dropped
  await publish(hall, 'ourhome/firstfloor/kitchen/fan/set', 'on'); // commanding another's device: dropped
  await assert.rejects(subscribe(hall, 'ourhome/#'), /Subscribe error/);
  await publish(hall, 'ourhome/groundfloor/hall/light', 'on'); // its own: fine
  await waitFor(() => seen.includes('ourhome/groundfloor/hall/light=on'));
  assert.deepEqual(seen, ['ourhome/groundfloor/hall/light=on']);
  assert.equal(hub.hub.states.value('ourhome-firstfloor-kitchen-fan', 'fan'), false);
  const accounts = (await api.get('/api/accounts')).body.accounts;
  const hallAccount = accounts.find((a: any) => a.username === 'hall');
  assert.deepEqual([hallAccount.denied.publish, hallAccount.denied.subscribe], [2, 1]);
  // The owner may subscribe to its command topic and receives the hub's command.
  await subscribe(kitchen, 'ourhome/firstfloor/kitchen/fan/set');
  const cmd = nextMessage(kitchen, (topic) => topic.endsWith('/set'));
  await api.post('/api/devices/ourhome-firstfloor-kitchen-fan/command', { property: 'fan', value: true });
  assert.equal((await cmd).payload, 'on');
});

test('a retained message on a command topic is delivered but never stored (no ghost switching)', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  await publish(pub, 'cmnd/tasmota_1/POWER', 'ON', { retain: true });
  await publish(pub, 'ourhome/groundfloor/hall/light/set', 'on', { retain: true });
  const late = await connect(hub.mqttUrl, admin);
  t.after(() => end(late));
  const got: string[] = [];
  late.on('message', (topic) => got.push(topic));
  await subscribe(late, 'cmnd/#');
  await subscribe(late, 'ourhome/#');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(got, []);
  assert.equal(hub.hub.broker.counters.retainStripped, 2);
});

test('repeated failed MQTT logins from one address are throttled', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  for (let i = 0; i < 5; i++) await assert.rejects(connect(hub.mqttUrl, { username: 'admin', password: `wrong-${i}` }), /Bad username or password/);
  // Now even the right password is refused for a while, without being checked.
  await assert.rejects(connect(hub.mqttUrl, admin), /Not authorized/);
  assert.ok(hub.hub.broker.counters.throttledLogins >= 1);
});

test('ACL: command wildcards under a device\'s own root are allowed, across the house they are not', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub, 'homie-lamp'));
  t.after(() => end(device));
  await subscribe(device, 'homie/5/kitchen-light/+/+/set'); // Homie 5: every settable property of this device
  await subscribe(device, 'cmnd/tasmota_A1/#');
  await subscribe(device, 'shellyplus1-abc/command/+');
  await subscribe(device, 'zigbee2mqtt/bridge/request/#');
  await assert.rejects(subscribe(device, 'ourhome/+/+/light/set'), /Subscribe error/);
  await assert.rejects(subscribe(device, 'cmnd/#'), /Subscribe error/);
  await assert.rejects(subscribe(device, '#'), /Subscribe error/);
});
