import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { connect, end, nextMessage, publish, startHub, subscribe, waitFor, type TestHub } from '../helpers/hub.js';
import { loadFixture, payloadText } from '../helpers/fixtures.js';

// Every convention's fixture replayed through the real broker by a real client; then the hub controls a device
// and the fixture's hub-to-device message must come out on the broker, topic and payload exact.

const admin = { username: 'admin', password: 'test-admin-password' };

async function replay(hub: TestHub, client: MqttClient, file: string): Promise<void> {
  for (const entry of loadFixture(file)) {
    if ((entry as { direction?: string }).direction === 'hub-to-device') continue;
    await publish(client, entry.topic, payloadText(entry.payload), { retain: entry.retain ?? false });
  }
  await waitFor(() => hub.hub.registry.list().some((d) => d.convention !== 'native'));
}

function settable(hub: TestHub, convention: string, property: string) {
  const device = hub.hub.registry.list().find((d) => d.convention === convention && d.capabilities.some((c) => c.property === property && c.access.settable));
  assert.ok(device, `a ${convention} device with settable ${property}; have ${hub.hub.registry.list().map((d) => `${d.id}(${d.convention})`).join(', ')}`);
  return device;
}

const cases = [
  { file: 'zigbee2mqtt.json', convention: 'zigbee2mqtt', property: 'state', value: false, topic: 'zigbee2mqtt/livingroom/ceiling/set', json: { state: 'OFF' } },
  { file: 'tasmota.json', convention: 'tasmota', property: 'power', value: false, topic: 'cmnd/tasmota_F17F56/POWER', text: 'OFF' },
  { file: 'homie5.json', convention: 'homie', property: 'brightness', value: 40, topic: 'homie/5/kitchen-light/light/brightness/set', text: '40' },
  { file: 'homeassistant-discovery.json', convention: 'homeassistant', property: 'state', value: true, topic: 'ourhome/groundfloor/livingroom/lamp/set', text: 'ON' },
  { file: 'shelly-gen2.json', convention: 'shelly', property: 'switch:0', value: false, topic: 'shellyplus1-a8032ab12345/rpc' },
] as const;

// Device firmware speaks 3.1.1 (4); a bridge such as Zigbee2MQTT may speak MQTT 5: each fixture is sent both ways.
for (const c of cases) for (const protocolVersion of [4, 5] as const) {
  test(`${c.convention} over MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: the fixture's devices appear through the broker, and a command from the hub publishes ${c.topic}`, async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const client = await connect(hub.mqttUrl, { ...admin, protocolVersion });
    t.after(() => end(client));
    await replay(hub, client, c.file);
    await subscribe(client, c.topic);
    const device = await waitFor(() => {
      try {
        return settable(hub, c.convention, c.property);
      } catch {
        return undefined;
      }
    }, 3000).catch(() => settable(hub, c.convention, c.property));
    const out = nextMessage(client, (topic) => topic === c.topic);
    await hub.hub.devices.command(device.id, c.property, c.value, { kind: 'user', id: 'test' });
    const msg = await out;
    if ('json' in c) assert.deepEqual(JSON.parse(msg.payload), c.json);
    else if ('text' in c) assert.equal(msg.payload, c.text);
    else {
      const rpc = JSON.parse(msg.payload);
      assert.equal(rpc.method, 'Switch.Set');
      assert.deepEqual(rpc.params, { id: 0, on: false });
    }
  });
}

test('a Zigbee2MQTT device that also announces Home Assistant discovery appears once', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, admin);
  t.after(() => end(client));
  await replay(hub, client, 'zigbee2mqtt.json');
  const before = hub.hub.registry.size;
  // What Zigbee2MQTT's own HA integration announces for the ceiling light.
  await publish(client, 'homeassistant/light/0x0017880104e45517/light/config', JSON.stringify({
    name: null, unique_id: '0x0017880104e45517_light_zigbee2mqtt', schema: 'json', brightness: true,
    command_topic: 'zigbee2mqtt/livingroom/ceiling/set', state_topic: 'zigbee2mqtt/livingroom/ceiling',
    device: { identifiers: ['zigbee2mqtt_0x0017880104e45517'], name: 'livingroom/ceiling', manufacturer: 'Philips' },
    origin: { name: 'Zigbee2MQTT' },
  }), { retain: true });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hub.hub.registry.size, before, 'no second device');
  assert.ok(hub.hub.registry.get('zigbee2mqtt_0x0017880104e45517'));
});

test('bad discovery payloads are rejected with a reason in the device\'s and the account\'s log; the hub goes on', async (t) => {
  const hub = await startHub({ mqtt: { maxPacketSize: 2_000_000 } as never });
  t.after(() => hub.stop());
  const creds = { username: 'bad-bridge', password: await hub.hub.store.accounts.create('bad-bridge', 'device') };
  const client = await connect(hub.mqttUrl, creds);
  t.after(() => end(client));
  const bad: Array<[string, string]> = [
    ['homeassistant/sensor/broken1/config', JSON.stringify({ name: 'No state topic', uniq_id: 'broken1', dev: { ids: ['broken-dev'] } })],
    ['homeassistant/teleporter/x1/config', JSON.stringify({ name: 'Unknown component', uniq_id: 'x1', stat_t: 'a/b' })],
    ['homeassistant/sensor/wrongtype/config', JSON.stringify({ name: 5, uniq_id: 'wrongtype', stat_t: 42 })],
    ['homeassistant/sensor/huge/config', JSON.stringify({ name: 'Huge', uniq_id: 'huge', stat_t: 'x/y', pad: 'x'.repeat(1_000_000) })],
    ['homeassistant/sensor/notjson/config', '{"name": '],
  ];
  for (const [topic, payload] of bad) await publish(client, topic, payload);
  const api = (await import('../helpers/http.js')).loginAsAdmin;
  const admin = await api(hub.httpUrl);
  const log = await waitFor(async () => {
    const entries = (await admin.get('/api/accounts/bad-bridge/log')).body.entries as Array<{ topic: string; reason: string }>;
    return entries.length >= bad.length ? entries : undefined;
  }, 5000, 'a log entry per bad payload');
  assert.deepEqual(log.map((e) => e.topic), bad.map(([topic]) => topic));
  for (const e of log) assert.ok(e.reason.length > 10, `a reason: ${e.reason}`);
  assert.equal(hub.hub.registry.list().filter((d) => d.convention === 'homeassistant').length, 0);
  // The hub still works, and a known device's own log shows what it sent wrong.
  await publish(client, 'ourhome/groundfloor/hall/light', 'on');
  await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-hall-light'));
  await publish(client, 'ourhome/groundfloor/hall/light/status', 'gone fishing');
  const deviceLog = await waitFor(async () => (await admin.get('/api/devices/ourhome-groundfloor-hall-light/log')).body.entries[0]);
  assert.match(deviceLog.reason, /availability payload must be "online" or "offline", got "gone fishing"/);
});
