import { test } from 'node:test';
import { prettify } from '../../server/core/prettify.js';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { loadFixture, payloadText } from '../helpers/fixtures.js';
import { loginAsAdmin } from '../helpers/http.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

test('native home topics: every message of the native fixture behaves as its expect says', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub, 'kitchen-sensor');
  const device = await connect(hub.mqttUrl, creds);
  t.after(() => end(device));
  const api = await loginAsAdmin(hub.httpUrl);

  let last: { topic: string } | undefined;
  for (const msg of loadFixture('native.json')) {
    await publish(device, msg.topic, payloadText(msg.payload), { retain: msg.retain ?? false });
    last = msg;
    const base = msg.topic.replace(/\/status$/, '');
    const found = await waitFor(async () => {
      const { body } = await api.get('/api/devices');
      return body.devices.find((d: any) => d.topic === base);
    }, 5000, `device for ${msg.topic}`);
    const expect = msg.expect;
    if (!expect) continue;
    const { body } = await api.get(`/api/devices/${found.id}`);
    const d = body.device;
    if (expect.device) assert.equal(d.topic, expect.device);
    // The topic's levels become areas, prettified once (server/core/prettify.ts; issue 18).
    if (expect.floor) assert.equal(d.floor, prettify(String(expect.floor)));
    if (expect.room) assert.equal(d.room, prettify(String(expect.room)));
    if (expect.command_topic) assert.equal(d.commandTopic, expect.command_topic);
    if (expect.state) {
      for (const [property, value] of Object.entries(expect.state as Record<string, unknown>)) {
        assert.deepEqual(d.state[property]?.value, value, `${msg.topic}: ${property}`);
      }
    }
    if (expect.kind) {
      const thing = msg.topic.split('/').pop()!;
      const cap = d.capabilities.find((c: any) => c.property === thing);
      assert.equal(cap.kind, expect.kind);
      assert.equal(d.state[thing].value, expect.value);
    }
  }
  assert.ok(last);

  const { body } = await api.get('/api/devices');
  const byTopic = (topic: string) => body.devices.find((d: any) => d.topic === topic);
  // JSON {value, unit}: one numeric reading with its unit.
  const humidity = byTopic('ourhome/firstfloor/kitchen/humidity');
  assert.equal(humidity.state.humidity.value, 48.2);
  assert.equal(humidity.capabilities[0].unit, '%');
  assert.equal(byTopic('ourhome/firstfloor/kitchen/temperature').state.temperature.value, 29.1);
  assert.equal(byTopic('ourhome/groundfloor/frontdoor/contact').state.contact.value, true);
  assert.equal(byTopic('ourhome/groundfloor/hall/motion').state.motion.value, true);
  assert.equal(byTopic('ourhome/groundfloor/hall/light').state.light.value, false);
  // The last will on <topic>/status: the light is now unavailable.
  await waitFor(async () => (await api.get('/api/devices/ourhome-groundfloor-livingroom-light')).body.device.availability === 'offline', 5000, 'light offline');
  const light = byTopic('ourhome/groundfloor/livingroom/light');
  assert.equal(light.home, 'ourhome');
  assert.equal(light.owner, 'kitchen-sensor');
});

test('a command from the API reaches the device on <topic>/set in its own words', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await subscribe(device, 'ourhome/groundfloor/hall/light/set');
  await subscribe(device, 'ourhome/firstfloor/bedroom/light/set');
  await publish(device, 'ourhome/groundfloor/hall/light', 'OFF');
  await publish(device, 'ourhome/firstfloor/bedroom/light', '{"state":"ON","brightness":180}');
  const api = await loginAsAdmin(hub.httpUrl);
  await waitFor(async () => (await api.get('/api/devices/ourhome-firstfloor-bedroom-light')).status === 200);

  const plain = nextMessage(device, (topic) => topic === 'ourhome/groundfloor/hall/light/set');
  const res = await api.post('/api/devices/ourhome-groundfloor-hall-light/command', { property: 'light', value: true });
  assert.equal(res.status, 202);
  assert.deepEqual(await plain, { topic: 'ourhome/groundfloor/hall/light/set', payload: 'ON' });

  const json = nextMessage(device, (topic) => topic === 'ourhome/firstfloor/bedroom/light/set');
  assert.equal((await api.post('/api/devices/ourhome-firstfloor-bedroom-light/command', { property: 'brightness', value: 90 })).status, 202);
  assert.deepEqual(JSON.parse((await json).payload), { brightness: 90 });

  // The command is a request: the state changes only when the device confirms.
  assert.equal((await api.get('/api/devices/ourhome-groundfloor-hall-light')).body.device.state.light.value, false);
  await publish(device, 'ourhome/groundfloor/hall/light', 'ON');
  await waitFor(async () => (await api.get('/api/devices/ourhome-groundfloor-hall-light')).body.device.state.light.value === true);

  const bad = await api.post('/api/devices/ourhome-groundfloor-hall-light/command', { property: 'light', value: 'maybe' });
  assert.equal(bad.status, 422);
  assert.match(bad.body.error.message, /expected true or false/);
  const sensor = await api.post('/api/devices/ourhome-firstfloor-bedroom-light/command', { property: 'nope', value: 1 });
  assert.equal(sensor.status, 404);
});

test('history records every change and answers by property and time range', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  const t0 = Date.now();
  for (const v of [20, 20.5, 20.5, 21, 22.25]) await publish(device, 'ourhome/firstfloor/kitchen/temperature', String(v));
  const api = await loginAsAdmin(hub.httpUrl);
  const id = 'ourhome-firstfloor-kitchen-temperature';
  const res = await waitFor(async () => {
    const r = await api.get(`/api/devices/${id}/history?property=temperature&from=${t0}`);
    return r.body.points?.length === 4 ? r : undefined;
  }, 5000, '4 history points');
  // 20.5 reported twice is one change.
  assert.deepEqual(res.body.points.map((p: any) => p.value), [20, 20.5, 21, 22.25]);
  const none = await api.get(`/api/devices/${id}/history?property=temperature&from=${t0}&to=${t0 - 1}`);
  assert.equal(none.status, 400);
  assert.match(none.body.error.message, /is after to/);
  const missing = await api.get(`/api/devices/${id}/history`);
  assert.equal(missing.status, 400);
  assert.match(missing.body.error.message, /property/);
});

test('a device\'s last raw messages are kept (10, payloads cut at 256 characters) for its page', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  for (let i = 0; i < 12; i++) await publish(device, 'ourhome/firstfloor/kitchen/power', String(100 + i));
  await publish(device, 'ourhome/firstfloor/kitchen/power/status', 'online', { retain: true });
  await publish(device, 'ourhome/firstfloor/kitchen/power', `{"power": 1, "note": "${'x'.repeat(400)}"}`);
  const api = await loginAsAdmin(hub.httpUrl);
  const messages = await waitFor(async () => {
    const m = (await api.get('/api/devices/ourhome-firstfloor-kitchen-power/messages')).body.messages;
    return m?.length === 10 && m[9].topic === 'ourhome/firstfloor/kitchen/power' && m[9].payload.startsWith('{') ? m : undefined;
  });
  assert.deepEqual(messages.slice(0, 8).map((m: any) => m.payload), ['104', '105', '106', '107', '108', '109', '110', '111']);
  assert.deepEqual([messages[8].topic, messages[8].payload, messages[8].retain], ['ourhome/firstfloor/kitchen/power/status', 'online', true]);
  assert.equal(messages[9].payload.length, 256);
});

test('topics whose names slug alike (spaces and dashes, names in other scripts) are separate devices, also after a restart', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const topics = ['ourhome/ground floor/living room/light', 'ourhome/ground-floor/living-room/light', 'ourhome/一楼/客厅/灯', 'ourhome/二楼/卧室/灯'];
  const states = (hub: TestHub) => topics.map((topic) => {
    const device = hub.hub.registry.list().find((d) => d.topic === topic);
    return device && { id: device.id, light: Object.values(hub.hub.states.get(device.id) ?? {})[0]?.value };
  });
  const first = await startHub({}, { dataDir });
  const client = await connect(first.mqttUrl, await deviceAccount(first));
  for (const [i, topic] of topics.entries()) await publish(client, topic, i % 2 === 0 ? 'on' : 'off');
  await end(client);
  const before = states(first);
  assert.equal(new Set(before.map((s) => s?.id)).size, 4, JSON.stringify(before));
  assert.deepEqual(before.map((s) => s?.light), [true, false, true, false]);
  await first.stop();
  const second = await startHub({}, { dataDir });
  t.after(() => second.stop());
  const again = await connect(second.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(again));
  // Reported in the other order this time: the ids do not move.
  for (const [i, topic] of [...topics.entries()].reverse()) await publish(again, topic, i % 2 === 0 ? 'off' : 'on');
  assert.deepEqual(states(second).map((s) => s?.id), before.map((s) => s?.id));
  assert.deepEqual(states(second).map((s) => s?.light), [false, true, false, true]);
  assert.equal(second.hub.registry.size, 4);
});
