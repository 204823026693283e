import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHomeAssistantConvention } from '../../../devices/homeassistant/index.js';
import { createZigbee2mqttConvention, zigbee2mqttConventionWith } from '../../../devices/zigbee2mqtt/index.js';
import { HubView, commands, loadFixture, message, payloadOf, replay, session, testContext } from './harness.js';

const CEILING = 'zigbee2mqtt_0x0017880104e45517';
const CLIMATE = 'zigbee2mqtt_0x00158d0001e1a2b3';

describe('zigbee2mqtt convention: fixture', () => {
  const entries = loadFixture('zigbee2mqtt.json');

  it('replays zigbee2mqtt.json and meets every expect', () => {
    const view = new HubView();
    const conv = createZigbee2mqttConvention(testContext(view));
    replay(conv, entries, {
      1: (v) => {
        // Devices are listed by friendly name; their ids are the IEEE-based ones (stable across renames).
        assert.deepEqual([...v.devices.values()].map((d) => d.name), ['livingroom/ceiling', 'kitchen/climate']);
        assert.deepEqual([...v.devices.keys()], [CEILING, CLIMATE]);
        assert.ok(![...v.devices.values()].some((d) => d.name === 'Coordinator'), 'coordinator ignored');
        const state = v.capability(CEILING, 'state');
        assert.deepEqual({ kind: state.kind, on: state.on, off: state.off, access: state.access },
          { kind: 'binary', on: 'ON', off: 'OFF', access: { reported: true, settable: true, readable: true } });
        assert.deepEqual(v.capability(CEILING, 'color_temp'), {
          property: 'color_temp', access: { reported: true, settable: true, readable: true }, kind: 'numeric', unit: 'mired', min: 153, max: 500,
        });
        assert.equal(v.capability(CLIMATE, 'pressure').unit, 'hPa');
        assert.equal(v.capability(CLIMATE, 'temperature').access.settable, false);
        assert.deepEqual(v.device(CEILING).aliases, ['0x0017880104e45517']);
        assert.equal(v.device(CEILING).commandTopic, 'zigbee2mqtt/livingroom/ceiling/set');
      },
      5: (v) => {
        assert.equal(v.availability.get(CLIMATE), 'offline');
        assert.equal(v.availability.get(CEILING), 'online');
      },
    }, view);
    assert.deepEqual(view.states.get(CEILING), { state: true, brightness: 215, color_temp: 325, linkquality: 87 });
    assert.deepEqual(view.states.get(CLIMATE), { temperature: 27.34, humidity: 44.72, pressure: 1008.2, battery: 91 });

    const [turnOff, permitJoin] = commands(entries);
    const out = conv.encodeCommand(view.asDevice(CEILING)!, 'state', false);
    assert.deepEqual({ topic: out?.topic, payload: out?.payload }, turnOff);
    const [open] = conv.joinWindowMessages!(true, 254);
    assert.deepEqual({ topic: open?.topic, payload: open?.payload }, permitJoin);
    assert.deepEqual(conv.joinWindowMessages!(false, 0)[0]?.payload, '{"time":0}');
    assert.deepEqual(conv.joinWindowMessages!(true, 600)[0]?.payload, '{"time":254}', 'clamped to the bridge maximum');
  });

  it('a device announced by both conventions has the same id (one device after merging)', () => {
    const view = new HubView();
    const z2m = createZigbee2mqttConvention(testContext(view));
    const ha = createHomeAssistantConvention(testContext(view));
    view.apply(z2m.handle(message('zigbee2mqtt/bridge/devices', payloadOf(entries[1]!))));
    view.apply(ha.handle(message('homeassistant/sensor/0x00158d0001e1a2b3/temperature/config', {
      uniq_id: '0x00158d0001e1a2b3_temperature_zigbee2mqtt', stat_t: 'zigbee2mqtt/kitchen/climate', val_tpl: '{{ value_json.temperature }}',
      unit_of_meas: '°C', dev_cla: 'temperature', dev: { ids: ['zigbee2mqtt_0x00158d0001e1a2b3'], name: 'kitchen/climate' },
    })));
    assert.equal(view.devices.size, 2, 'the HA entity joined the Zigbee device, no third device');
    assert.deepEqual(view.device(CLIMATE).aliases, ['0x00158d0001e1a2b3']);
    assert.equal(view.capability(CLIMATE, 'temperature').unit, '°C');
  });
});

describe('zigbee2mqtt convention: behaviour', () => {
  const devices = loadFixture('zigbee2mqtt.json')[1]!;
  const setup = () => session(createZigbee2mqttConvention);

  it('keeps state and availability that arrive before bridge/devices', () => {
    const { view, send } = setup();
    send('zigbee2mqtt/kitchen/climate/availability', 'online');
    send('zigbee2mqtt/kitchen/climate', { temperature: 20 });
    send('zigbee2mqtt/bridge/devices', payloadOf(devices));
    assert.equal(view.availability.get(CLIMATE), 'online', 'legacy plain availability');
    assert.equal(view.state(CLIMATE, 'temperature'), 20);
  });

  it('removes devices that leave, follows renames, and marks devices offline with the bridge', () => {
    const { view, send } = setup();
    send('zigbee2mqtt/bridge/devices', payloadOf(devices));
    send('zigbee2mqtt/livingroom/ceiling/availability', { state: 'online' });
    const list = JSON.parse(payloadOf(devices)) as { friendly_name: string }[];
    list[1]!.friendly_name = 'lounge/ceiling';
    const u = send('zigbee2mqtt/bridge/devices', JSON.stringify(list.slice(0, 2)));
    assert.deepEqual(u?.removed, [CLIMATE]);
    assert.equal(view.device(CEILING).topic, 'zigbee2mqtt/lounge/ceiling');
    send('zigbee2mqtt/bridge/state', { state: 'offline' });
    assert.equal(view.availability.get(CEILING), 'offline');
    send('zigbee2mqtt/bridge/state', 'online');
    assert.equal(view.availability.get(CEILING), 'online');
  });

  it('turns action into events, ignores its "" reset, /set echoes and the /action helper', () => {
    const { view, send } = setup();
    const remote = [{ ieee_address: '0x00158d0001dc126a', type: 'EndDevice', friendly_name: 'Hall button', interview_completed: true,
      definition: { exposes: [{ type: 'enum', name: 'action', property: 'action', access: 1, values: ['single', 'double'] }] } }];
    send('zigbee2mqtt/bridge/devices', remote);
    send('zigbee2mqtt/Hall button', { action: 'double' });
    send('zigbee2mqtt/Hall button', { action: '' });
    assert.equal(send('zigbee2mqtt/Hall button/action', 'double'), undefined);
    assert.equal(send('zigbee2mqtt/Hall button/set', { state: 'ON' }), undefined);
    assert.deepEqual(view.events, [{ deviceId: 'zigbee2mqtt_0x00158d0001dc126a', property: 'action', value: 'double' }]);
    assert.deepEqual(view.capability('zigbee2mqtt_0x00158d0001dc126a', 'action').kind, 'event');
  });

  it('refuses commands that the exposes do not allow', () => {
    const { view, conv, send } = setup();
    send('zigbee2mqtt/bridge/devices', payloadOf(devices));
    const ceiling = view.asDevice(CEILING)!;
    assert.equal(conv.encodeCommand(ceiling, 'linkquality', 3), undefined, 'not settable');
    assert.equal(conv.encodeCommand(ceiling, 'brightness', 300), undefined, 'above value_max');
    assert.equal(conv.encodeCommand(ceiling, 'brightness', 100)?.payload, '{"brightness":100}');
    assert.equal(conv.encodeCommand(ceiling, 'state', 'toggle')?.payload, '{"state":"TOGGLE"}');
  });

  it('rejects bad bridge and state payloads with a reason, never throwing', () => {
    const { send } = setup();
    assert.match(send('zigbee2mqtt/bridge/devices', { not: 'a list' })?.rejected?.reason ?? '', /expected a list, got an object/);
    assert.match(send('zigbee2mqtt/bridge/devices', [{ ieee_address: 'nope', friendly_name: 'x' }])?.rejected?.reason ?? '', /ieee_address/);
    send('zigbee2mqtt/bridge/devices', payloadOf(devices));
    assert.match(send('zigbee2mqtt/kitchen/climate', 'hot')?.rejected?.reason ?? '', /state must be a JSON object/);
    assert.match(send('zigbee2mqtt/kitchen/climate/availability', 'maybe')?.rejected?.reason ?? '', /availability must be/);
    assert.match(send('zigbee2mqtt/kitchen/climate', 'x'.repeat(300 * 1024))?.rejected?.reason ?? '', /exceeds/);
  });

  it('honours a custom base topic', () => {
    const conv = zigbee2mqttConventionWith({ baseTopic: 'z2m-attic' })(testContext());
    assert.ok(conv.claims('z2m-attic/bridge/devices'));
    assert.ok(!conv.claims('zigbee2mqtt/bridge/devices'));
    assert.equal(conv.handle(message('z2m-attic/bridge/devices', payloadOf(devices)))?.devices?.[0]?.topic, 'z2m-attic/livingroom/ceiling');
  });
});
