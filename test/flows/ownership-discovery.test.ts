import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';
import { loadFixture, payloadText } from '../helpers/fixtures.js';

// Issue 15 item 2: HA discovery cannot take over another account's device. A config on the attacker's own topic
// whose `device.identifiers` names the victim's device would have merged into it: the victim's command topic
// becoming the attacker's, the attacker's state topic setting the victim's properties. Refused, in the device log.

const plugConfig = {
  name: 'Plug', unique_id: 'victim_plug_switch', state_topic: 'victim/plug/state', command_topic: 'victim/plug/set',
  device: { identifiers: ['victim-plug'], name: 'Victim plug' },
};
const takeover = {
  name: 'Evil', unique_id: 'evil_switch', state_topic: 'evil/state', command_topic: 'evil/set',
  device: { identifiers: ['victim-plug'], name: 'Victim plug' },
};

async function victimPlug(hub: TestHub, creds: { username: string; password: string }) {
  const victim = await connect(hub.mqttUrl, creds);
  await publish(victim, 'homeassistant/switch/victim_plug/config', JSON.stringify(plugConfig), { retain: true });
  await publish(victim, 'victim/plug/state', 'ON');
  await waitFor(() => hub.hub.states.value('victim-plug', 'state') === true, 5000, 'the victim\'s plug on');
  return victim;
}

test('a discovery config from another account naming a device\'s identifiers neither merges into it nor re-points it; logged; also after a restart', async (t) => {
  const dir = tempDir();
  const hubs: TestHub[] = [];
  t.after(async () => {
    for (const h of hubs) await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const first = await startHub({}, { dataDir: dir });
  hubs.push(first);
  let hub = first;
  const victimCreds = await deviceAccount(hub, 'victim');
  const victim = await victimPlug(hub, victimCreds);
  t.after(() => end(victim));
  const before = structuredClone(hub.hub.registry.get('victim-plug')!);
  assert.equal(before.owner, 'victim');
  assert.equal(before.commandTopic, 'victim/plug/set');

  const attacker = await connect(hub.mqttUrl, await deviceAccount(hub, 'attacker'));
  t.after(() => end(attacker));
  await subscribe(attacker, 'evil/set');
  const stolen: string[] = [];
  attacker.on('message', (topic) => stolen.push(topic));
  await publish(attacker, 'homeassistant/switch/evil/config', JSON.stringify(takeover), { retain: true });
  const api = await loginAsAdmin(hub.httpUrl);
  const log = await waitFor(async () => (await api.get('/api/devices/victim-plug/log')).body.entries[0], 5000, 'an entry in the device\'s log');
  assert.equal(log.topic, 'homeassistant/switch/evil/config');
  assert.match(log.reason, /belongs to account victim/);
  assert.match(log.reason, /attacker/);
  assert.match((await api.get('/metrics')).body, /^rumah_device_messages_foreign_total [1-9]\d*$/m);

  // The attacker's state topic does not set the victim's properties.
  await publish(attacker, 'evil/state', 'OFF');
  // A client's messages reach the registry in the order sent: once this marker is a device, the state was read.
  await publish(attacker, 'attackerhome/a/b/marker', 'on');
  await waitFor(() => hub.hub.registry.get('attackerhome-a-b-marker'), 5000, 'the attacker\'s marker');
  const after = hub.hub.registry.get('victim-plug')!;
  assert.deepEqual(after.capabilities, before.capabilities);
  assert.equal(after.commandTopic, 'victim/plug/set');
  assert.equal(hub.hub.states.value('victim-plug', 'state'), true);

  // The hub's command goes to the victim's topic, not to the attacker.
  await subscribe(victim, 'victim/plug/set');
  const cmd = nextMessage(victim, (topic) => topic === 'victim/plug/set');
  await hub.hub.devices.command('victim-plug', 'state', false, { kind: 'user', id: 'test' });
  assert.equal((await cmd).payload, 'OFF');
  assert.deepEqual(stolen, []);

  // The refused config is not kept retained: a restart (which replays retained configs without their publisher) keeps the device.
  await Promise.all([end(victim), end(attacker)]);
  await first.stop();
  hub = await startHub({}, { dataDir: dir });
  hubs.push(hub);
  const restarted = hub.hub.registry.get('victim-plug')!;
  assert.equal(restarted.commandTopic, 'victim/plug/set');
  assert.deepEqual(restarted.capabilities.map((c) => c.property), before.capabilities.map((c) => c.property));
  const victimAgain = await connect(hub.mqttUrl, { username: 'victim', password: await hub.hub.store.accounts.rotate('victim') });
  t.after(() => end(victimAgain));
  await subscribe(victimAgain, 'victim/plug/set');
  const cmd2 = nextMessage(victimAgain, (topic) => topic === 'victim/plug/set');
  await hub.hub.devices.command('victim-plug', 'state', true, { kind: 'user', id: 'test' });
  assert.equal((await cmd2).payload, 'ON');
});

test('a discovery config from another account naming a Zigbee2MQTT bridge\'s device is refused and logged in that device\'s log', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const bridge = await connect(hub.mqttUrl, await deviceAccount(hub, 'zigbee-bridge'));
  t.after(() => end(bridge));
  for (const entry of loadFixture('zigbee2mqtt.json')) {
    if ((entry as { direction?: string }).direction === 'hub-to-device') continue;
    await publish(bridge, entry.topic, payloadText(entry.payload), { retain: entry.retain ?? false });
  }
  const id = 'zigbee2mqtt_0x0017880104e45517';
  const device = await waitFor(() => hub.hub.registry.get(id));
  const commandTopic = device.commandTopic;
  const attacker = await connect(hub.mqttUrl, await deviceAccount(hub, 'attacker'));
  t.after(() => end(attacker));
  const config = (unique: string, commandTo: string) => JSON.stringify({
    name: null, unique_id: unique, schema: 'json', command_topic: commandTo, state_topic: `${commandTo}/state`,
    device: { identifiers: [id], name: 'livingroom/ceiling' }, origin: { name: 'x' },
  });
  await publish(attacker, 'homeassistant/light/evil_ceiling/light/config', config('evil_light', 'evil/ceiling'), { retain: true });
  const entry = await waitFor(() => hub.hub.deviceLog.forDevice(id)[0], 5000, 'an entry in the device\'s log');
  assert.match(entry.reason, /belongs to account zigbee-bridge/);
  assert.equal(hub.hub.registry.get(id)!.commandTopic, commandTopic);
});

test('a discovery config may not give a new device another account\'s command or state topic', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const victim = await victimPlug(hub, await deviceAccount(hub, 'victim'));
  t.after(() => end(victim));
  const attacker = await connect(hub.mqttUrl, await deviceAccount(hub, 'attacker'));
  t.after(() => end(attacker));
  // Its own light, whose brightness would send the hub's commands to the victim's plug (a click on the wrong device).
  await publish(attacker, 'homeassistant/light/evil_relay/config', JSON.stringify({
    name: 'Light', unique_id: 'evil_relay', state_topic: 'evil/light/state', command_topic: 'evil/light/set',
    brightness_command_topic: 'victim/plug/set', brightness_state_topic: 'evil/light/brightness', device: { identifiers: ['evil-relay'] },
  }), { retain: true });
  await publish(attacker, 'homeassistant/sensor/evil_mirror/config', JSON.stringify({
    name: 'Mirror', unique_id: 'evil_mirror', state_topic: 'victim/plug/state', device: { identifiers: ['evil-mirror'] },
  }), { retain: true });
  const log = await waitFor(() => {
    const entries = hub.hub.deviceLog.forAccount('attacker');
    return entries.length >= 2 ? entries : undefined;
  }, 5000, 'two entries in the attacker\'s log');
  assert.match(log[0]!.reason, /victim\/plug\/set belongs to a device of account victim/);
  assert.match(log[1]!.reason, /victim\/plug\/state belongs to a device of account victim/);
  assert.equal(hub.hub.registry.get('evil-relay'), undefined);
  assert.equal(hub.hub.registry.get('evil-mirror'), undefined);
});
