import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { fixturesDir } from '../helpers/fixtures.js';
import { loginAsAdmin, readMetrics } from '../helpers/http.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Issue 17 item 3: Home Assistant sees rumah's devices. What HA would receive is read back by a real MQTT.js
// subscriber on homeassistant/# and checked against device-based discovery (test/fixtures/ha-device-discovery-schema.json).

interface Schema {
  topic: string;
  required: string[];
  requiredDevice: string[];
  requiredOrigin: string[];
  requiredComponent: string[];
  platforms: string[];
  keys: Record<string, string>;
  deviceKeys: string[];
  originKeys: string[];
  availabilityKeys: string[];
  availabilityModes: string[];
  entityCategories: string[];
  stateClasses: string[];
}
const schema = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'ha-device-discovery-schema.json'), 'utf8')) as Schema;

/** Every problem HA's schema would find in one device-based config; empty when it is valid. */
function discoveryProblems(topic: string, config: any): string[] {
  const problems: string[] = [];
  if (!new RegExp(schema.topic).test(topic)) problems.push(`topic ${topic}`);
  for (const k of schema.required) if (config[k] === undefined) problems.push(`missing ${k}`);
  const known = new Set([...Object.keys(schema.keys), ...Object.values(schema.keys)]);
  for (const k of Object.keys(config)) if (!known.has(k)) problems.push(`unknown key ${k}`);
  for (const k of schema.requiredDevice) if (config.dev?.[k] === undefined) problems.push(`dev.${k} missing`);
  for (const k of Object.keys(config.dev ?? {})) if (!schema.deviceKeys.includes(k)) problems.push(`unknown dev.${k}`);
  for (const k of schema.requiredOrigin) if (config.o?.[k] === undefined) problems.push(`o.${k} missing`);
  for (const k of Object.keys(config.o ?? {})) if (!schema.originKeys.includes(k)) problems.push(`unknown o.${k}`);
  if (config.avty_mode !== undefined && !schema.availabilityModes.includes(config.avty_mode)) problems.push(`avty_mode ${config.avty_mode}`);
  for (const a of config.avty ?? []) {
    if (typeof (a.t ?? a.topic) !== 'string') problems.push('availability entry without a topic');
    for (const k of Object.keys(a)) if (!schema.availabilityKeys.includes(k)) problems.push(`unknown avty key ${k}`);
  }
  const ids = new Set<string>();
  for (const [key, c] of Object.entries<any>(config.cmps ?? {})) {
    for (const k of schema.requiredComponent) if (c[k] === undefined) problems.push(`cmps.${key}.${k} missing`);
    if (!schema.platforms.includes(c.p)) problems.push(`cmps.${key}.p ${c.p}`);
    for (const k of Object.keys(c)) if (!known.has(k)) problems.push(`unknown cmps.${key}.${k}`);
    if (c.ent_cat !== undefined && !schema.entityCategories.includes(c.ent_cat)) problems.push(`cmps.${key}.ent_cat`);
    if (c.stat_cla !== undefined && !schema.stateClasses.includes(c.stat_cla)) problems.push(`cmps.${key}.stat_cla`);
    for (const [k, v] of Object.entries(c)) if (k.endsWith('_t') && (typeof v !== 'string' || /[#+]/.test(v))) problems.push(`cmps.${key}.${k} is not a topic`);
    if (ids.has(c.uniq_id)) problems.push(`uniq_id ${c.uniq_id} twice`);
    ids.add(c.uniq_id);
  }
  if (Object.keys(config.cmps ?? {}).length === 0) problems.push('no components');
  return problems;
}

/** The last payload seen on each topic by a subscriber (what HA's MQTT integration would hold). */
function collect(client: MqttClient): Map<string, string> {
  const seen = new Map<string, string>();
  client.on('message', (topic, payload) => seen.set(topic, payload.toString()));
  return seen;
}

function template(config: any, key: string, field = 'val_tpl'): string {
  return config.cmps[key][field] ?? config.cmps[key].stat_val_tpl;
}

/** The property a `{{ value_json['x'] }}`-style template reads. */
function templateProperty(tpl: string): string | undefined {
  return /value_json\['([^']+)'\]/.exec(tpl)?.[1];
}

async function setup(t: { after: (fn: () => unknown) => void }, enabled = true): Promise<{ hub: TestHub; ha: MqttClient; seen: Map<string, string>; device: MqttClient; lightId: string; tempId: string }> {
  const hub = await startHub({ exports: { homeassistant: { enabled } } } as never);
  t.after(() => hub.stop());
  const haPassword = await hub.hub.store.accounts.create('homeassistant', 'admin');
  const ha = await connect(hub.mqttUrl, { username: 'homeassistant', password: haPassword });
  t.after(() => end(ha));
  const seen = collect(ha);
  await subscribe(ha, 'homeassistant/#');
  await subscribe(ha, 'rumah/#');
  const device = await connect(hub.mqttUrl, await deviceAccount(hub, 'living-room'));
  t.after(() => end(device));
  await subscribe(device, 'ourhome/groundfloor/livingroom/light/set');
  await publish(device, 'ourhome/groundfloor/livingroom/light', 'off');
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '21.5');
  const lightId = (await waitFor(() => hub.hub.registry.list().find((d) => d.topic === 'ourhome/groundfloor/livingroom/light'), 5000, 'light')).id;
  const tempId = (await waitFor(() => hub.hub.registry.list().find((d) => d.topic === 'ourhome/firstfloor/kitchen/temperature'), 5000, 'sensor')).id;
  return { hub, ha, seen, device, lightId, tempId };
}

const configOf = (seen: Map<string, string>, id: string): any => {
  const text = [...seen].find(([topic, payload]) => topic.startsWith('homeassistant/device/') && payload.includes(`"rumah_${id.replace(/[^A-Za-z0-9_-]/g, '_')}`))?.[1];
  return text ? JSON.parse(text) : undefined;
};

test('HA discovery export: native devices are announced with device-based discovery that matches HA\'s schema', async (t) => {
  const { hub, seen, lightId, tempId } = await setup(t);

  const light = await waitFor(() => configOf(seen, lightId), 5000, 'light config');
  const sensor = await waitFor(() => configOf(seen, tempId), 5000, 'sensor config');
  const topicOf = (id: string) => [...seen.keys()].find((k) => k.startsWith('homeassistant/device/') && k.includes(id.replace(/[^A-Za-z0-9_-]/g, '_')))!;
  assert.deepEqual(discoveryProblems(topicOf(lightId), light), []);
  assert.deepEqual(discoveryProblems(topicOf(tempId), sensor), []);

  // The light: a light component commanded through rumah's topic, state from rumah's state topic.
  const lc = light.cmps.light;
  assert.equal(lc.p, 'light');
  assert.equal(lc.cmd_t, `rumah/${lightId}/light/set`);
  assert.equal(light.stat_t, `rumah/${lightId}/state`);
  assert.deepEqual(light.avty.map((a: any) => a.t), ['rumah/status', `rumah/${lightId}/availability`]);
  assert.equal(light.o.name, 'rumah');
  // The sensor: device class and unit from its capability.
  const sc = sensor.cmps.temperature;
  assert.equal(sc.p, 'sensor');
  assert.equal(sc.dev_cla, 'temperature');
  assert.equal(sc.unit_of_meas, '°C');
  assert.equal(sc.stat_cla, 'measurement');

  // The state topic HA reads carries the property each template names, with rumah's value.
  const lightState = await waitFor(() => seen.get(`rumah/${lightId}/state`), 5000, 'light state');
  assert.equal(JSON.parse(lightState)[templateProperty(template(light, 'light'))!], false);
  assert.match(template(light, 'light', 'stat_val_tpl'), /'ON' if .* else 'OFF'/);
  const sensorState = await waitFor(() => seen.get(`rumah/${tempId}/state`), 5000, 'sensor state');
  assert.equal(JSON.parse(sensorState)[templateProperty(template(sensor, 'temperature'))!], 21.5);
  assert.equal(await waitFor(() => seen.get(`rumah/${lightId}/availability`)), 'online');
  assert.equal(seen.get('rumah/status'), 'online');

  // The hub does not read its own configs back as devices (its HA convention would make a second of each).
  assert.deepEqual(hub.hub.registry.list().map((d) => d.convention).sort(), ['native', 'native']);
});

test('HA discovery export: a device that came in through HA discovery is not announced again', async (t) => {
  const { hub, seen, ha, device, tempId } = await setup(t);
  await publish(ha, 'homeassistant/sensor/hadev_t/config', JSON.stringify({ name: 'T', uniq_id: 'hadev_t', stat_t: 'hadev/t', dev_cla: 'temperature', unit_of_meas: '°C', dev: { ids: ['hadev-1'], name: 'HA sensor' } }), { retain: true });
  await publish(ha, 'hadev/t', '19');
  await waitFor(() => hub.hub.registry.list().find((d) => d.convention === 'homeassistant'), 5000, 'HA device');
  // The native sensor's state changes after the HA device exists: its flush has run past the HA device too.
  const before = seen.get(`rumah/${tempId}/state`);
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '22');
  await waitFor(() => seen.get(`rumah/${tempId}/state`) !== before && seen.get(`rumah/${tempId}/state`)?.includes('22'), 5000, 'new state');
  const announced = [...seen.keys()].filter((k) => k.startsWith('homeassistant/device/'));
  assert.equal(announced.length, 2, announced.join(', '));
  assert.ok(!announced.some((k) => k.includes('hadev')));
});

test('HA discovery export: HA commands a native light through rumah, and only an allowed account may', async (t) => {
  const { hub, ha, device, lightId } = await setup(t);
  await waitFor(async () => (await readMetrics(hub)).includes('rumah_export_ha_announced_total 2'), 5000, 'announced');

  const got = nextMessage(device, (topic) => topic === 'ourhome/groundfloor/livingroom/light/set');
  await publish(ha, `rumah/${lightId}/light/set`, 'ON');
  // The native encoder answers in the device's own word ("off" was reported, so "on").
  assert.equal((await got).payload, 'on');

  // A device account may publish on a topic no device owns, but not command the house through rumah.
  const other = await connect(hub.mqttUrl, await deviceAccount(hub, 'intruder'));
  t.after(() => end(other));
  await publish(other, `rumah/${lightId}/light/set`, 'OFF');
  await waitFor(async () => (await readMetrics(hub)).includes('rumah_export_ha_commands_refused_total 1'), 5000, 'refused');
  const next = nextMessage(device, (topic) => topic === 'ourhome/groundfloor/livingroom/light/set');
  await publish(ha, `rumah/${lightId}/light/set`, 'OFF');
  assert.equal((await next).payload, 'off');
  // The command topic never became a device.
  assert.equal(hub.hub.registry.size, 2);
});

test('HA discovery export: homeassistant/status online re-announces; disabling or forgetting a device clears its config', async (t) => {
  const { hub, ha, seen, lightId, tempId } = await setup(t);
  await waitFor(() => configOf(seen, lightId) && configOf(seen, tempId), 5000, 'configs');
  const configTopics = [...seen.keys()].filter((k) => k.startsWith('homeassistant/device/'));
  assert.equal(configTopics.length, 2);

  for (const k of configTopics) seen.delete(k);
  await publish(ha, 'homeassistant/status', 'online');
  await waitFor(() => configTopics.every((k) => seen.get(k)?.startsWith('{')), 5000, 're-announced configs');

  const api = await loginAsAdmin(hub.httpUrl);
  const tempTopic = configTopics.find((k) => seen.get(k)!.includes(`/${tempId}/state`))!;
  // Disabled, it leaves HA as a forgotten device does; enabled, it is announced again.
  assert.equal((await api.patch(`/api/devices/${tempId}`, { disabled: true })).status, 200);
  await waitFor(() => seen.get(tempTopic) === '', 5000, 'config removed while disabled');
  assert.equal((await api.patch(`/api/devices/${tempId}`, { disabled: false })).status, 200);
  await waitFor(() => seen.get(tempTopic)?.startsWith('{'), 5000, 'announced again once enabled');
  assert.equal((await api.del(`/api/devices/${tempId}`)).status, 200);
  await waitFor(() => seen.get(tempTopic) === '', 5000, 'empty config');
  assert.equal(await waitFor(() => seen.get(`rumah/${tempId}/state`) === '' || undefined), true);

  // Retained: a subscriber that comes later (HA after a restart) sees the light only.
  const admin = await hub.hub.store.accounts.create('ha2', 'admin');
  const ha2 = await connect(hub.mqttUrl, { username: 'ha2', password: admin });
  t.after(() => end(ha2));
  const seen2 = collect(ha2);
  await subscribe(ha2, 'homeassistant/device/+/config');
  // An own marker after the retained ones: once it arrives, every retained config has been delivered.
  await subscribe(ha2, 'marker/done');
  await publish(ha, 'marker/done', 'x');
  await waitFor(() => seen2.has('marker/done'), 5000, 'marker');
  assert.deepEqual([...seen2.keys()].filter((k) => k.startsWith('homeassistant/')), configTopics.filter((k) => k !== tempTopic));
});

test('HA discovery export: off by default; the admin switch announces, and switching off removes every config', async (t) => {
  const { hub, seen, device, lightId } = await setup(t, false);
  const token = await hub.hub.store.apiTokens.create('admin-switch');
  const call = (method: string, body?: unknown) => fetch(`${hub.httpUrl}/api/settings/ha-discovery`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.deepEqual(await (await call('GET')).json(), { enabled: false });
  assert.equal((await call('PUT', { enabled: 'yes' })).status, 400);

  assert.deepEqual(await (await call('PUT', { enabled: true })).json(), { enabled: true });
  const light = await waitFor(() => configOf(seen, lightId), 5000, 'light config after the switch');
  const topic = [...seen.keys()].find((k) => seen.get(k) === JSON.stringify(light))!;
  assert.deepEqual(await (await call('PUT', { enabled: false })).json(), { enabled: false });
  await waitFor(() => seen.get(topic) === '', 5000, 'config removed');
  assert.equal(await waitFor(() => seen.get('rumah/status') === '' || undefined), true);

  // On again: announced again, and its state follows the device as before.
  assert.deepEqual(await (await call('PUT', { enabled: true })).json(), { enabled: true });
  await waitFor(() => seen.get(topic)?.startsWith('{'), 5000, 'config again');
  await publish(device, 'ourhome/groundfloor/livingroom/light', 'on');
  await waitFor(() => JSON.parse(seen.get(`rumah/${lightId}/state`) || '{}').light === true, 5000, 'state after switching on again');
});

test('HA discovery export: started again with the export off, the hub removes what it announced before (no ghost devices in HA)', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const first = await startHub({ exports: { homeassistant: { enabled: true } } } as never, { dataDir });
  const device = await connect(first.mqttUrl, await deviceAccount(first, 'hall'));
  await publish(device, 'ourhome/groundfloor/hall/light', 'on');
  await waitFor(async () => (await readMetrics(first)).includes('rumah_export_ha_announced_total 1'), 5000, 'announced');
  await end(device);
  await first.stop();

  const second = await startHub({}, { dataDir });
  t.after(() => second.stop());
  const password = await second.hub.store.accounts.create('ha', 'admin');
  const ha = await connect(second.mqttUrl, { username: 'ha', password });
  t.after(() => end(ha));
  const seen = collect(ha);
  await subscribe(ha, 'homeassistant/device/+/config');
  await subscribe(ha, 'rumah/#');
  await subscribe(ha, 'marker/done');
  await publish(ha, 'marker/done', 'x');
  await waitFor(() => seen.has('marker/done'), 5000, 'marker');
  // Nothing retained is left: HA would otherwise show the device for ever.
  assert.deepEqual([...seen.keys()].filter((k) => k !== 'marker/done'), []);
});

test('HA discovery export: a burst of reports ends with HA holding the last value', async (t) => {
  const { seen, device, tempId } = await setup(t);
  await waitFor(() => seen.get(`rumah/${tempId}/state`), 5000, 'first state');
  for (let i = 1; i <= 20; i++) await publish(device, 'ourhome/firstfloor/kitchen/temperature', String(20 + i / 10));
  await waitFor(() => JSON.parse(seen.get(`rumah/${tempId}/state`) ?? '{}').temperature === 22, 5000, 'last value on the state topic');
});

test('HA discovery export: availability is published when it changes, not with every state', async (t) => {
  const { ha, seen, device, tempId } = await setup(t);
  const sent = { state: 0, availability: 0 };
  ha.on('message', (topic) => {
    if (topic === `rumah/${tempId}/state`) sent.state++;
    if (topic === `rumah/${tempId}/availability`) sent.availability++;
  });
  await waitFor(() => seen.get(`rumah/${tempId}/availability`), 5000, 'first availability');
  const before = { ...sent };
  // Three changes a state interval (1 s) apart: three state publishes, the same availability throughout.
  for (const value of ['22.5', '23.5', '24.5']) {
    await publish(device, 'ourhome/firstfloor/kitchen/temperature', value);
    await waitFor(() => JSON.parse(seen.get(`rumah/${tempId}/state`) ?? '{}').temperature === Number(value), 5000, `state ${value}`);
  }
  assert.ok(sent.state - before.state >= 3, `state published ${sent.state - before.state} times`);
  assert.equal(sent.availability - before.availability, 0, 'availability not published again while it stays online');
  assert.equal(seen.get(`rumah/${tempId}/availability`), 'online');
});

test('HA discovery export: a device account can neither read another device\'s exported state nor write it', async (t) => {
  const { hub, seen, ha, lightId, tempId } = await setup(t);
  const lightState = await waitFor(() => seen.get(`rumah/${lightId}/state`), 5000, 'light state');
  const other = await connect(hub.mqttUrl, await deviceAccount(hub, 'curious'));
  t.after(() => end(other));
  for (const filter of [`rumah/${tempId}/state`, `rumah/${lightId}/availability`, 'rumah/status']) {
    // SUBACK 0x80 (failure): MQTT.js reports it as an error.
    const answer = await new Promise<string>((resolve) => other.subscribe(filter, { qos: 1 }, (err, g) => resolve(err ? err.message : String(g![0]!.qos))));
    assert.match(answer, /^(Subscribe error: Unspecified error|128)$/, filter);
  }
  await publish(other, `rumah/${lightId}/state`, JSON.stringify({ light: true }), { retain: true });
  await subscribe(ha, 'marker/done');
  await publish(ha, 'marker/done', 'x');
  await waitFor(() => seen.has('marker/done'), 5000, 'marker');
  assert.equal(seen.get(`rumah/${lightId}/state`), lightState);
});

test('HA discovery export: a dimmable native light is one HA light; its brightness is commanded through rumah', async (t) => {
  const { hub, ha, seen } = await setup(t);
  const dimmer = await connect(hub.mqttUrl, await deviceAccount(hub, 'bedroom'));
  t.after(() => end(dimmer));
  await subscribe(dimmer, 'ourhome/firstfloor/bedroom/lamp/set');
  await publish(dimmer, 'ourhome/firstfloor/bedroom/lamp', JSON.stringify({ state: 'OFF', brightness: 10 }));
  const id = (await waitFor(() => hub.hub.registry.list().find((d) => d.topic === 'ourhome/firstfloor/bedroom/lamp'), 5000, 'lamp')).id;
  const config = await waitFor(() => configOf(seen, id), 5000, 'lamp config');
  const topic = [...seen.keys()].find((k) => seen.get(k) === JSON.stringify(config))!;
  assert.deepEqual(discoveryProblems(topic, config), []);
  assert.deepEqual(Object.keys(config.cmps), ['state']);
  const light = config.cmps.state;
  assert.equal(light.p, 'light');
  const state = JSON.parse(await waitFor(() => seen.get(`rumah/${id}/state`), 5000, 'lamp state'));
  assert.equal(state[templateProperty(light.bri_val_tpl)!], 10);

  // HA sets the brightness: one number on the topic it was given; the lamp gets it in its own JSON shape.
  const got = nextMessage(dimmer, (t) => t === 'ourhome/firstfloor/bedroom/lamp/set');
  await publish(ha, light.bri_cmd_t, '128');
  assert.deepEqual(JSON.parse((await got).payload), { brightness: 128 });
  const on = nextMessage(dimmer, (t) => t === 'ourhome/firstfloor/bedroom/lamp/set');
  await publish(ha, light.cmd_t, 'ON');
  assert.deepEqual(JSON.parse((await on).payload), { state: 'ON' });
});

test('HA discovery export: switching on announces every device in a few broker.db commits, each config before its state', async (t) => {
  const { hub, ha, device } = await setup(t, false);
  for (let i = 0; i < 40; i++) await publish(device, `ourhome/firstfloor/room${i}/temperature`, String(20 + i));
  await waitFor(() => hub.hub.registry.list().length >= 42 || undefined, 5000, '42 devices');
  const order: string[] = [];
  ha.on('message', (topic, payload) => {
    if (payload.length > 0) order.push(topic);
  });
  const before = hub.hub.persistence!.stats.transactions;
  const token = await hub.hub.store.apiTokens.create('admin-switch');
  const res = await fetch(`${hub.httpUrl}/api/settings/ha-discovery`, {
    method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }),
  });
  assert.equal(res.status, 200);
  await waitFor(() => order.filter((topic) => topic.endsWith('/availability')).length >= 42 || undefined, 10_000, '42 availabilities');
  // 42 configs, states and availabilities are 126 retained writes; one publish waiting for the last one's commit made
  // them 126 transactions in a row.
  const commits = hub.hub.persistence!.stats.transactions - before;
  assert.ok(commits <= 10, `${commits} broker.db transactions for announcing 42 devices`);
  for (const d of hub.hub.registry.list()) {
    const config = order.findIndex((topic) => topic.startsWith('homeassistant/device/') && topic.includes(d.id.replace(/[^A-Za-z0-9_-]/g, '_')));
    const state = order.indexOf(`rumah/${d.id}/state`);
    assert.ok(config >= 0 && state > config, `${d.id}: config at ${config}, state at ${state}`);
  }
});
