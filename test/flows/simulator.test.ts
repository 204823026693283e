import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceAccount, startHub, waitFor, type TestHub } from '../helpers/hub.js';
import { loadFixture } from '../helpers/fixtures.js';
import { layoutDevices, startSimulation, type Simulation, type SimulationOptions } from '../../devices/simulator/index.js';

// The device simulator against a real hub: native devices register, report at the requested rate, obey commands
// from the hub's API and go offline when stopped; pairing through the join window. Every other convention is
// checked twice: its messages against the fixtures' shapes, and its devices through the hub's parser.

const fast = { initialMs: 50, maxMs: 400 };

async function simulate(t: { after(fn: () => unknown): void }, hub: TestHub, opts: Partial<SimulationOptions> = {}): Promise<Simulation> {
  const sim = await startSimulation({
    url: hub.mqttUrl, devices: 10, seed: 42, rate: 20, backoff: fast,
    // Each connection its own account, as `--data` does with the CLI.
    credentials: (i) => deviceAccount(hub, `sim-${i + 1}`),
    ...opts,
  });
  t.after(() => sim.stop({ abrupt: true }));
  return sim;
}

const nativeDevices = (hub: TestHub) => hub.hub.registry.list().filter((d) => d.convention === 'native' && d.home === 'ourhome');

test('the same seed lays out the same home; readings drift slowly, energy only grows', () => {
  const a = layoutDevices({ count: 30, seed: 9, now: 0 });
  const b = layoutDevices({ count: 30, seed: 9, now: 0 });
  assert.deepEqual(a.map((d) => [d.slug, d.mac, d.model.values()]), b.map((d) => [d.slug, d.mac, d.model.values()]));
  assert.equal(new Set(a.map((d) => d.slug)).size, 30);
  const sensor = a.find((d) => d.kind === 'temperature')!.model;
  const plug = a.find((d) => d.kind === 'plug')!.model;
  plug.set('state', true, 0);
  let [t0, e0] = [sensor.values().temperature as number, plug.values().energy as number];
  for (let minute = 1; minute <= 60; minute++) {
    sensor.tick(minute * 60_000);
    plug.tick(minute * 60_000);
    const [t1, e1] = [sensor.values().temperature as number, plug.values().energy as number];
    assert.ok(Math.abs(t1 - t0) < 1, `${t0} → ${t1} °C in a minute`);
    assert.ok(e1 >= e0, 'energy never decreases');
    [t0, e0] = [t1, e1];
  }
  assert.ok((plug.values().power as number) > 0);
  plug.set('state', false, 3_600_000);
  assert.equal(plug.values().power, 0, 'power follows the relay');
});

test('ten native devices appear in the registry, spread over the floors and rooms, online', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sim = await simulate(t, hub);
  await waitFor(() => nativeDevices(hub).length === 10, 10_000, '10 native devices');
  await waitFor(() => nativeDevices(hub).every((d) => d.availability === 'online'), 5000, 'all online');

  const devices = nativeDevices(hub);
  assert.deepEqual(new Set(devices.map((d) => d.floor)), new Set(['Ground floor', 'First floor']), 'topic levels made areas, prettified');
  assert.equal(new Set(devices.map((d) => d.room)).size, 10, 'ten devices, ten rooms');
  // One of each kind, each under its own account.
  assert.deepEqual(devices.map((d) => d.topic.split('/')[3]).sort(), ['button', 'contact', 'dimmer', 'humidity', 'light', 'motion', 'plug', 'switch', 'temperature', 'thermostat']);
  assert.equal(new Set(devices.map((d) => d.owner)).size, 10);
  // The simulator counts a device once its announcements are acknowledged, which may be just after the hub read them.
  await waitFor(() => sim.stats.connected === 10, 5000, 'the simulator to count 10 connected');

  const plug = devices.find((d) => d.topic.endsWith('/plug'))!;
  assert.deepEqual(plug.capabilities.map((c) => [c.property, c.kind, c.unit]), [['state', 'binary', undefined], ['power', 'numeric', 'W'], ['energy', 'numeric', 'kWh']]);
  const temperature = devices.find((d) => d.topic.endsWith('/temperature'))!;
  await waitFor(() => typeof hub.hub.states.value(temperature.id, 'temperature') === 'number', 5000, 'a temperature reading');
});

test('telemetry flows at the requested rate and every message reaches the hub', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  let received = 0;
  hub.hub.bus.on('message', 'test', (msg) => {
    if (msg.clientId?.startsWith('sim-')) received++;
  });
  const rate = 50;
  const sim = await simulate(t, hub, { rate });
  await waitFor(() => sim.stats.connected === 10, 10_000, 'connected');
  const before = { telemetry: sim.stats.telemetry, at: Date.now() };
  await waitFor(() => sim.stats.telemetry - before.telemetry >= 2 * rate, 10_000, `${2 * rate} telemetry messages`);
  const seconds = (Date.now() - before.at) / 1000;
  const sent = sim.stats.telemetry - before.telemetry;
  // Counts over the time it took: the rate is a ceiling (the bucket holds a fifth of a second), never caught up.
  assert.ok(sent <= rate * seconds + rate / 5 + 3, `${sent} messages in ${seconds} s is over ${rate} msg/s`);
  assert.ok(seconds < 2 * 2.5, `${2 * rate} messages took ${seconds} s at ${rate} msg/s`);
  await waitFor(() => received >= sim.stats.published, 5000, `the hub to receive all ${sim.stats.published} messages (has ${received})`);
});

test('commands sent through the hub are obeyed and confirmed by the devices', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sim = await simulate(t, hub);
  await waitFor(() => nativeDevices(hub).length === 10, 10_000, '10 native devices');
  const id = (thing: string) => nativeDevices(hub).find((d) => d.topic.endsWith(`/${thing}`))!.id;
  const user = { kind: 'user' as const, id: 'admin' };
  const value = (device: string, property: string) => hub.hub.states.value(device, property);

  // A light that says ON/OFF: the command is a request until the device reports the new state.
  const light = id('light');
  await waitFor(() => value(light, 'light') !== undefined, 5000, 'light state');
  const wanted = !value(light, 'light');
  await hub.hub.devices.command(light, 'light', wanted, user);
  await waitFor(() => value(light, 'light') === wanted, 5000, `light ${wanted}`);

  // A dimmer that reports JSON: a level turns it on; the device confirms both.
  const dimmer = id('dimmer');
  await hub.hub.devices.command(dimmer, 'brightness', 100, user);
  await waitFor(() => value(dimmer, 'brightness') === 100 && value(dimmer, 'state') === 'ON', 5000, 'dimmer at 100');
  await hub.hub.devices.command(dimmer, 'state', false, user);
  await waitFor(() => value(dimmer, 'state') === 'OFF', 5000, 'dimmer off');

  // Power follows the plug's relay at once.
  const plug = id('plug');
  await hub.hub.devices.command(plug, 'state', false, user);
  await waitFor(() => value(plug, 'state') === 'OFF' && value(plug, 'power') === 0, 5000, 'plug off, 0 W');

  // A thermostat takes a set point in its own 0.5 °C steps.
  const thermostat = id('thermostat');
  await hub.hub.devices.command(thermostat, 'setpoint', 23.5, user);
  await waitFor(() => value(thermostat, 'setpoint') === 23.5, 5000, 'set point 23.5');

  assert.equal(sim.stats.commandsReceived, 5);
  assert.equal(sim.stats.confirmations, 5);
  const light2 = hub.hub.states.get(light)!.light!;
  assert.equal(light2.cause.kind, 'device', 'the state comes from the device, not from the command');
});

test('stopping: a clean stop publishes offline first; an abrupt one leaves it to the wills', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const accounts = await Promise.all(Array.from({ length: 10 }, (_, i) => deviceAccount(hub, `sim-${i + 1}`)));
  const allAre = (availability: string) => () => nativeDevices(hub).length === 10 && nativeDevices(hub).every((d) => d.availability === availability);

  const clean = await simulate(t, hub, { credentials: accounts });
  await waitFor(allAre('online'), 10_000, 'online');
  await clean.stop();
  await waitFor(allAre('offline'), 5000, 'offline after a clean stop');
  assert.equal(clean.stats.connected, 0);

  // The same seed is the same home: the devices come back online, then vanish without a word.
  const abrupt = await simulate(t, hub, { credentials: accounts });
  await waitFor(allAre('online'), 10_000, 'online again');
  const before = abrupt.stats.published;
  await abrupt.stop({ abrupt: true });
  assert.equal(abrupt.stats.published, before, 'an abrupt stop publishes nothing itself');
  await waitFor(allAre('offline'), 5000, 'offline through the wills');
});

test('devices sharing connections: one will per connection, every device offline on a clean stop', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sim = await simulate(t, hub, { connections: 2 });
  assert.equal(sim.stats.connections, 2);
  await waitFor(() => nativeDevices(hub).length === 10 && sim.stats.connected === 10, 10_000, '10 devices over 2 connections');
  assert.equal(new Set(nativeDevices(hub).map((d) => d.owner)).size, 2);
  await sim.stop();
  await waitFor(() => nativeDevices(hub).every((d) => d.availability === 'offline'), 5000, 'all offline');
});

test('pairing: refused while the join window is closed, a candidate while open, back with the same credentials once accepted', async (t) => {
  // The login throttle would soon refuse every client from 127.0.0.1 after the refusals this test provokes.
  const hub = await startHub({ mqtt: { loginFailures: 1000 } });
  t.after(() => hub.stop());
  const sim = await simulate(t, hub, { devices: 2, credentials: undefined, pair: true });
  const usernames = sim.connections().map((c) => c.username!);
  assert.ok(usernames.every((u) => /^sim-[0-9a-f]{8}$/.test(u)), usernames.join());
  await waitFor(() => sim.stats.refused >= 2, 5000, 'refused while the window is closed');
  assert.equal(sim.stats.connected, 0);

  hub.hub.pairing.open(60);
  await waitFor(() => hub.hub.pairing.candidates.list().filter((c) => c.connected).length === 2, 5000, 'two candidates');
  // Candidates are recorded and routed nowhere: no device yet.
  assert.equal(nativeDevices(hub).length, 0);
  const attempts = sim.stats.attempts;
  for (const username of usernames) await hub.hub.pairing.accept(username);
  hub.hub.pairing.close();
  await waitFor(() => nativeDevices(hub).filter((d) => d.availability === 'online').length === 2, 5000, 'accepted devices online');
  assert.ok(sim.stats.attempts > attempts, 'reconnected after the accept');
  assert.deepEqual(sim.connections().map((c) => c.username), usernames, 'with the same credentials');
  assert.deepEqual(new Set(nativeDevices(hub).map((d) => d.owner)), new Set(usernames));
});

// ---- The other conventions, through their parsers in devices/conventions.ts -----------------------------

interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

const json = (s: Seen): any => JSON.parse(s.payload);
const keys = (o: object): string[] => Object.keys(o).sort();
/** The keys of the fixture's payload that `actual` has too: equal to all of them when the shapes agree. */
const shared = (actual: object, fixture: object): string[] => keys(fixture).filter((k) => k in actual);
const fixture = (file: string, topic: RegExp): any => loadFixture(file).find((m) => topic.test(m.topic))!.payload;

/** Per convention: what its messages must look like next to the fixtures (as published: the hub's bus sees the retain flag). */
const shapes: Record<string, (seen: Seen[], sim: Simulation) => void> = {
  homeassistant(seen) {
    const configs = seen.filter((s) => /^homeassistant\/.+\/config$/.test(s.topic));
    assert.ok(configs.length >= 10 && configs.every((s) => s.retain), 'retained configs');
    const sensor = configs.map(json).find((c) => c.dev_cla === 'temperature');
    const want = fixture('homeassistant-discovery.json', /^homeassistant\/sensor\//);
    assert.deepEqual(shared(sensor, want), keys(want).filter((k) => k !== 'exp_aft'));
    const light = configs.find((s) => s.topic.startsWith('homeassistant/light/') && !('schema' in json(s)))!;
    assert.deepEqual(shared(json(light), fixture('homeassistant-discovery.json', /gf_livingroom_light/)), keys(fixture('homeassistant-discovery.json', /gf_livingroom_light/)));
    assert.ok(configs.some((s) => s.topic.startsWith('homeassistant/device/') && 'cmps' in json(s)), 'device-based config (the plug)');
    const trigger = configs.find((s) => s.topic.includes('/device_automation/'))!;
    assert.deepEqual(keys(json(trigger)), keys(fixture('homeassistant-discovery.json', /device_automation/)));
  },
  zigbee2mqtt(seen, sim) {
    assert.equal(sim.stats.connections, 1, 'one bridge');
    const list = json(seen.find((s) => s.topic === 'zigbee2mqtt/bridge/devices' && s.retain)!) as any[];
    const want = (fixture('zigbee2mqtt.json', /bridge\/devices/) as any[])[1];
    assert.equal(list.length, 11, 'the coordinator and ten devices');
    assert.deepEqual(shared(list[1], want), keys(want));
    assert.deepEqual(shared(list[1].definition, want.definition), keys(want.definition));
    assert.ok(seen.some((s) => s.topic === 'zigbee2mqtt/bridge/state' && s.payload === '{"state":"online"}' && s.retain));
    assert.ok(seen.some((s) => s.topic === `zigbee2mqtt/${list[1].friendly_name}/availability` && s.payload === '{"state":"online"}' && s.retain));
  },
  tasmota(seen) {
    const configs = seen.filter((s) => /^tasmota\/discovery\/[0-9A-F]{12}\/config$/.test(s.topic) && s.retain);
    assert.equal(configs.length, 10);
    assert.deepEqual(shared(json(configs[0]!), fixture('tasmota.json', /config$/)), keys(fixture('tasmota.json', /config$/)));
    assert.ok(seen.some((s) => s.topic === `tele/${json(configs[0]!).t}/LWT` && s.payload === 'Online' && s.retain));
    assert.ok(seen.some((s) => /^tele\/.+\/SENSOR$/.test(s.topic) && typeof json(s).ENERGY?.Power === 'number'));
  },
  shelly(seen) {
    const full = seen.filter((s) => s.topic.endsWith('/events/rpc') && json(s).method === 'NotifyFullStatus');
    assert.equal(full.length, 10);
    assert.deepEqual(keys(json(full[0]!)), keys(fixture('shelly-gen2.json', /events\/rpc/)));
    assert.ok(seen.some((s) => s.topic === `${json(full[0]!).src}/online` && s.payload === 'true' && s.retain));
  },
  homie(seen, sim) {
    const root = `homie/5/${sim.devices[4]!.slug}`; // the dimmer
    assert.deepEqual(seen.filter((s) => s.topic === `${root}/$state`).map((s) => s.payload), ['init', 'ready']);
    const description = json(seen.find((s) => s.topic === `${root}/$description` && s.retain)!);
    assert.deepEqual(keys(description), keys(fixture('homie5.json', /\$description/)));
    assert.equal(description.nodes.light.properties.brightness.format, '0:100');
  },
};

for (const convention of Object.keys(shapes)) {
  test(`${convention}: fixture-shaped messages; every device registered, every settable property obeyed; offline by will and by clean stop`, async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const seen: Seen[] = [];
    hub.hub.bus.on('message', 'test', (m) => void seen.push({ topic: m.topic, payload: m.payload.toString(), retain: m.retain }));
    const accounts = await Promise.all(Array.from({ length: 10 }, (_, i) => deviceAccount(hub, `sim-${i + 1}`)));
    const options = { convention: convention as SimulationOptions['convention'], rate: 50, credentials: accounts };
    const sim = await simulate(t, hub, options);
    await waitFor(() => sim.stats.connected === 10 && sim.stats.telemetry >= 20, 10_000, 'announced and reporting');
    // Which device reports when is random: give every kind time to have reported (a busy machine is slower),
    // then check the shapes, failing with the real assertion if they never hold.
    const holds = (): boolean => {
      try {
        shapes[convention]!(seen, sim);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(holds, 10_000).catch(() => undefined);
    shapes[convention]!(seen, sim);

    const mine = () => hub.hub.registry.list().filter((d) => d.convention === convention);
    await waitFor(() => mine().length === 10 && mine().every((d) => d.availability === 'online'), 5000, `10 ${convention} devices online`);
    assert.deepEqual(hub.hub.registry.list().filter((d) => d.convention !== convention), [], 'no device claimed twice');

    // Everything the hub says can be set: a binary flipped, a number set to 40 % of its range; the state follows.
    let commands = 0;
    for (const device of mine()) {
      for (const cap of device.capabilities.filter((c) => c.access.settable && (c.kind === 'binary' || c.kind === 'numeric'))) {
        const now = hub.hub.states.value(device.id, cap.property);
        const value = cap.kind === 'binary'
          ? !(now === true || now === cap.on)
          : Math.round((cap.min ?? 0) + ((cap.max ?? 100) - (cap.min ?? 0)) * 0.4);
        const expected = cap.kind === 'binary' ? (value ? cap.on ?? true : cap.off ?? false) : value;
        await hub.hub.devices.command(device.id, cap.property, value, { kind: 'user', id: 'admin' });
        commands++;
        await waitFor(() => { const v = hub.hub.states.value(device.id, cap.property); return v === expected || v === value; }, 5000, `${device.id}.${cap.property} = ${String(value)}`);
      }
    }
    assert.ok(commands >= 5, `${commands} settable properties`);
    // Besides them, the hub's own requests in reply to discovery (Tasmota: `State` once per device, ConventionUpdate.publish).
    const requests = seen.filter((s) => /^cmnd\/[^/]+\/STATE$/.test(s.topic)).length;
    assert.equal(sim.stats.commandsReceived, commands + requests);

    await sim.stop({ abrupt: true });
    await waitFor(() => mine().every((d) => d.availability === 'offline'), 5000, 'offline through the will(s)');
    // The same home again, stopped cleanly this time: each device says it is going.
    const again = await simulate(t, hub, options);
    await waitFor(() => again.stats.connected === 10 && mine().every((d) => d.availability === 'online'), 10_000, 'back online');
    await again.stop();
    await waitFor(() => mine().every((d) => d.availability === 'offline'), 5000, 'offline after a clean stop');
  });
}
