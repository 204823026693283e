// A client id belongs to the account that holds it (issue 15, item 3): another device account logging in under it —
// while its owner is connected, or while the owner is away with a persistent session holding queued commands — is
// refused (3.1.1 CONNACK 2, MQTT 5 0x85), counted and logged; the owner keeps its connection, subscriptions and queue,
// also across a restart of the hub (the owner is in broker.db).
import fs from 'node:fs';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions } from 'mqtt';
import { adminPassword, connect, connectKeeping, deviceAccount, end, publish, startHub, subscribe, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { readMetrics } from '../helpers/http.js';

const victimId = 'DVES_A1B2C3'; // Tasmota's predictable form: DVES_ + the last bytes of the MAC
const command = 'ourhome/ground/kitchen/lamp/set';


/** The CONNACK code a refused CONNECT gets (MQTT.js puts the return / reason code on the error). */
async function refusedWith(url: string, opts: IClientOptions): Promise<number | undefined> {
  try {
    const c = await connect(url, opts);
    await end(c);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

async function attacker(t: TestContext, hub: TestHub): Promise<(opts: IClientOptions) => Promise<number | undefined>> {
  const b = await deviceAccount(hub, 'attacker');
  t.diagnostic(`attacker account ${b.username}`);
  return (opts) => refusedWith(hub.mqttUrl, { username: b.username, password: b.password, clientId: victimId, ...opts });
}

test('while its owner is connected, another account under the same client id is refused; the owner stays', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const a = await deviceAccount(hub, 'lamp');
  const owner = await connectKeeping(hub.mqttUrl, { username: a.username, password: a.password, clientId: victimId, clean: false });
  let closes = 0;
  owner.client.on('close', () => closes++);
  t.after(() => end(owner.client));
  await subscribe(owner.client, command, 1);
  const as = await attacker(t, hub);

  assert.equal(await as({ protocolVersion: 4, clean: true }), 2, '3.1.1: CONNACK 2 identifier rejected');
  assert.equal(await as({ protocolVersion: 4, clean: false }), 2);
  assert.equal(await as({ protocolVersion: 5, clean: true }), 0x85, 'MQTT 5: 0x85 Client Identifier not valid');

  const admin = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'admin-tool' });
  t.after(() => end(admin));
  await publish(admin, command, 'ON', { qos: 1 });
  await waitFor(() => owner.got.includes('ON'), 5000, 'the owner still gets its commands');
  assert.equal(closes, 0, 'the owner was never disconnected');
  assert.equal(owner.client.connected, true);
  assert.equal(hub.hub.broker.counters.clientIdRefused, 3);
  assert.match(await readMetrics(hub), /^rumah_mqtt_client_id_refused_total 3$/m);
  // The owner itself may come back under its id (a reconnect replaces its own connection, as before).
  const again = await connect(hub.mqttUrl, { username: a.username, password: a.password, clientId: victimId, clean: false });
  await end(again);
});

test('while its owner is away with queued QoS 1 commands, another account is refused, also after a restart', async (t) => {
  const dataDir = tempDir();
  let hub = await startHub({}, { dataDir });
  t.after(async () => {
    await hub.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const a = await deviceAccount(hub, 'lamp');
  const first = await connect(hub.mqttUrl, { username: a.username, password: a.password, clientId: victimId, clean: false });
  await subscribe(first, command, 1);
  await end(first);
  const admin = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'admin-tool' });
  await publish(admin, command, 'cmd-1', { qos: 1 });
  await publish(admin, command, 'cmd-2', { qos: 1 });
  await end(admin);

  const as = await attacker(t, hub);
  assert.equal(await as({ protocolVersion: 4, clean: false }), 2, 'would have received the queued commands');
  assert.equal(await as({ protocolVersion: 4, clean: true }), 2, 'would have deleted the session');
  assert.equal(await as({ protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } }), 0x85);
  assert.equal(await as({ protocolVersion: 5, clean: true }), 0x85);

  // The owner of the session is in broker.db: a restart does not free the client id.
  await hub.stop();
  hub = await startHub({}, { dataDir });
  const b = await deviceAccount(hub, 'attacker-2');
  assert.equal(await refusedWith(hub.mqttUrl, { username: b.username, password: b.password, clientId: victimId, clean: true }), 2);
  assert.equal(await refusedWith(hub.mqttUrl, { username: b.username, password: b.password, clientId: victimId, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } }), 0x85);
  assert.equal(hub.hub.broker.counters.clientIdRefused, 2);

  // The owner gets its queue, in order, and its subscription still routes.
  const back = await connectKeeping(hub.mqttUrl, { username: a.username, password: a.password, clientId: victimId, clean: false });
  t.after(() => end(back.client));
  await waitFor(() => back.got.length >= 2, 5000, 'the queued commands');
  assert.deepEqual(back.got, ['cmd-1', 'cmd-2']);
  const admin2 = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'admin-tool' });
  t.after(() => end(admin2));
  await publish(admin2, command, 'cmd-3', { qos: 1 });
  await waitFor(() => back.got.includes('cmd-3'), 5000, 'a live command on the kept subscription');
});

test('an admin may take over a device\'s client id; the id stays the device\'s', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const a = await deviceAccount(hub, 'lamp');
  const device = await connect(hub.mqttUrl, { username: a.username, password: a.password, clientId: victimId, clean: false });
  await subscribe(device, command, 1);
  await end(device);
  const admin = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: victimId, clean: false });
  await end(admin);
  // Ownership did not move to the admin: the device may come back, another device still may not.
  const as = await attacker(t, hub);
  assert.equal(await as({ protocolVersion: 4, clean: false }), 2);
  const back = await connect(hub.mqttUrl, { username: a.username, password: a.password, clientId: victimId, clean: false });
  await end(back);
});
