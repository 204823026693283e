import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';

// Issue 15 item 4: command topics of other accounts stay private. A wildcard subscription is granted only where no
// topic owned by another account can match it, and a device account never receives another account's topic, even
// through a wildcard granted before that account's device appeared. Join-window candidates get exact topics only.

test('a device account cannot follow a room\'s commands, nor receive those of a device that appears later', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const kitchen = await connect(hub.mqttUrl, await deviceAccount(hub, 'kitchen'));
  t.after(() => end(kitchen));
  const snoop = await connect(hub.mqttUrl, await deviceAccount(hub, 'snoop'));
  t.after(() => end(snoop));
  await publish(kitchen, 'ourhome/firstfloor/kitchen/fan', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-firstfloor-kitchen-fan'));

  await assert.rejects(subscribe(snoop, 'ourhome/firstfloor/kitchen/+/set'), /Subscribe error/);
  await assert.rejects(subscribe(snoop, 'ourhome/firstfloor/+/+/set'), /Subscribe error/);
  await assert.rejects(subscribe(snoop, 'ourhome/firstfloor/kitchen/fan/set'), /Subscribe error/);
  // Its own device's commands, and a wildcard over a room where nobody else owns anything yet, are fine.
  await publish(snoop, 'ourhome/groundfloor/study/lamp', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-study-lamp'));
  await subscribe(snoop, 'ourhome/groundfloor/study/+/set');
  await subscribe(snoop, 'ourhome/firstfloor/hall/+/set');
  const got: string[] = [];
  snoop.on('message', (topic, payload) => got.push(`${topic}=${payload}`));

  // A device of another account appears in that room afterwards: its commands do not reach the earlier wildcard.
  const hall = await connect(hub.mqttUrl, await deviceAccount(hub, 'hall'));
  t.after(() => end(hall));
  await publish(hall, 'ourhome/firstfloor/hall/lamp', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-firstfloor-hall-lamp'));
  await subscribe(hall, 'ourhome/firstfloor/hall/lamp/set');
  await subscribe(kitchen, 'ourhome/firstfloor/kitchen/fan/set');
  const toHall = nextMessage(hall, (topic) => topic.endsWith('/set'));
  const toKitchen = nextMessage(kitchen, (topic) => topic.endsWith('/set'));
  await hub.hub.devices.command('ourhome-firstfloor-hall-lamp', 'lamp', true, { kind: 'user', id: 'test' });
  await hub.hub.devices.command('ourhome-firstfloor-kitchen-fan', 'fan', true, { kind: 'user', id: 'test' });
  // The snoop's own command is delivered after the others were: once it is here, they would have been too.
  const own = nextMessage(snoop, (topic) => topic === 'ourhome/groundfloor/study/lamp/set');
  await Promise.all([toHall, toKitchen]);
  await hub.hub.devices.command('ourhome-groundfloor-study-lamp', 'lamp', true, { kind: 'user', id: 'test' });
  await own;
  assert.deepEqual(got, ['ourhome/groundfloor/study/lamp/set=on']);
});

test('a join-window candidate gets exact, unowned command topics only', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const kitchen = await connect(hub.mqttUrl, await deviceAccount(hub, 'kitchen'));
  t.after(() => end(kitchen));
  await publish(kitchen, 'ourhome/firstfloor/kitchen/fan', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-firstfloor-kitchen-fan'));
  await api.post('/api/pairing/open', { seconds: 60 });
  const candidate = await connect(hub.mqttUrl, { username: 'anybody', password: 'any-password-1' });
  t.after(() => end(candidate));

  for (const filter of ['+/+/+/+/set', 'cmnd/#', '+/rpc', 'ourhome/firstfloor/kitchen/+/set', '#', 'zigbee2mqtt/bridge/request/#']) {
    await assert.rejects(subscribe(candidate, filter), /Subscribe error/, filter);
  }
  await assert.rejects(subscribe(candidate, 'ourhome/firstfloor/kitchen/fan/set'), /Subscribe error/, 'a paired device\'s command topic');
  await subscribe(candidate, 'cmnd/tasmota_NEW/POWER');
  await subscribe(candidate, 'homeassistant/status');
  const got: string[] = [];
  candidate.on('message', (topic) => got.push(topic));
  const own = nextMessage(candidate, (topic) => topic === 'cmnd/tasmota_NEW/POWER');
  await hub.hub.devices.command('ourhome-firstfloor-kitchen-fan', 'fan', true, { kind: 'user', id: 'test' });
  await hub.hub.broker.publish({ topic: 'cmnd/tasmota_NEW/POWER', payload: 'ON', qos: 1 });
  await own;
  assert.ok(!got.some((topic) => topic.startsWith('ourhome/')), `received ${got.join(', ')}`);
});
