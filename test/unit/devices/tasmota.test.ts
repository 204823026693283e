import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTasmotaConvention } from '../../../devices/tasmota/index.js';
import { HubView, commands, loadFixture, payloadOf, replay, session, testContext } from './harness.js';

const MAC = 'E09806F17F56';

describe('tasmota convention: fixture', () => {
  const entries = loadFixture('tasmota.json');

  it('replays tasmota.json and meets every expect', () => {
    const view = new HubView();
    const conv = createTasmotaConvention(testContext(view));
    replay(conv, entries, {
      0: (v, u) => {
        const d = v.device(MAC);
        assert.equal(d.commandTopic, 'cmnd/tasmota_F17F56/POWER');
        assert.equal(d.availabilityTopic, 'tele/tasmota_F17F56/LWT');
        const relays = d.capabilities.filter((c) => c.kind === 'binary');
        assert.equal(relays.length, 1, 'rl [1, 0]: one relay');
        assert.deepEqual(relays[0], { property: 'power', kind: 'binary', access: { reported: true, settable: true, readable: true }, on: 'ON', off: 'OFF' });
        assert.deepEqual(u?.publish, [{ topic: 'cmnd/tasmota_F17F56/STATE', payload: '', qos: 1, retain: false }], 'asks for the current state once');
      },
      2: (v) => assert.equal(v.availability.get(MAC), 'online'),
      4: (v) => assert.equal(v.state(MAC, 'power'), true),
      5: (v) => {
        assert.equal(v.state(MAC, 'power_w'), 52);
        assert.equal(v.state(MAC, 'energy_kwh'), 12.351);
        assert.equal(v.capability(MAC, 'power_w').unit, 'W');
        assert.equal(v.capability(MAC, 'energy_kwh').unit, 'kWh');
      },
      8: (v) => assert.equal(v.availability.get(MAC), 'offline'),
    }, view);
    assert.deepEqual(view.device(MAC).capabilities.map((c) => c.property), ['power', 'energy_kwh', 'power_w', 'voltage_v', 'current_a']);
    const [turnOff] = commands(entries);
    const out = conv.encodeCommand(view.asDevice(MAC)!, 'power', false);
    assert.deepEqual({ topic: out?.topic, payload: out?.payload }, turnOff);
    assert.equal(out?.retain, false, 'never a retained command (ghost switching)');
  });
});

describe('tasmota convention: behaviour', () => {
  const config = { ip: '10.0.0.9', dn: 'Cellar', fn: ['A', 'B'], mac: 'A4CF12345678', t: 'cellar', ft: '%prefix%/home/%topic%/', tp: ['cmnd', 'stat', 'tele'], rl: [1, 1, 2], lt_st: 1, state: ['AUS', 'AN', 'UM', 'HALT'], ver: 1 };
  const setup = () => {
    const { view, conv, send } = session(createTasmotaConvention);
    send('tasmota/discovery/A4CF12345678/config', config);
    return { view, conv, send };
  };

  it('several relays, a custom FullTopic and custom state words', () => {
    const { view, conv, send } = setup();
    assert.deepEqual(view.device('A4CF12345678').capabilities.map((c) => c.property), ['power1', 'power2', 'power3', 'dimmer']);
    assert.ok(conv.claims('stat/home/cellar/RESULT'));
    assert.ok(!conv.claims('stat/cellar/RESULT'));
    send('stat/home/cellar/RESULT', { POWER2: 'AN', Dimmer: 40 });
    send('stat/home/cellar/POWER1', 'AUS');
    send('tele/home/cellar/STATE', { POWER3: 'AN', Wifi: { RSSI: 70 } });
    assert.deepEqual(view.states.get('A4CF12345678'), { power2: true, dimmer: 40, power1: false, power3: true });
    const dev = view.asDevice('A4CF12345678')!;
    assert.deepEqual(conv.encodeCommand(dev, 'power2', true), { topic: 'cmnd/home/cellar/POWER2', payload: 'AN', qos: 1, retain: false });
    assert.equal(conv.encodeCommand(dev, 'power1', 'toggle')?.payload, 'UM');
    assert.equal(conv.encodeCommand(dev, 'dimmer', 55)?.topic, 'cmnd/home/cellar/Dimmer');
    assert.equal(conv.encodeCommand(dev, 'dimmer', 155), undefined);
  });

  it('learns sensors from SENSOR telemetry and removes the device on an empty config', () => {
    const { view, send } = setup();
    const u = send('tele/home/cellar/SENSOR', { Time: 't', DS18B20: { Temperature: 12.5 }, AM2301: { Temperature: 11, Humidity: 80 }, TempUnit: 'C' });
    assert.ok(u?.devices, 'new properties re-announce the device');
    assert.equal(view.capability('A4CF12345678', 'am2301_humidity').unit, '%');
    assert.equal(view.state('A4CF12345678', 'ds18b20_temperature'), 12.5);
    assert.equal(send('tele/home/cellar/SENSOR', { DS18B20: { Temperature: 12.6 } })?.devices, undefined, 'known properties do not');
    assert.deepEqual(send('tasmota/discovery/A4CF12345678/config', '')?.removed, ['A4CF12345678']);
    assert.equal(send('stat/home/cellar/POWER1', 'AN'), undefined, 'its topics are released');
  });

  it('rejects bad discovery and telemetry with reasons', () => {
    const { send } = setup();
    assert.match(send('tasmota/discovery/A4CF12345678/config', { ...config, mac: 'zz', t: 5 })?.rejected?.reason ?? '', /t: expected a string.*mac: expected 12 hex digits/);
    assert.match(send('tasmota/discovery/A4CF12345678/config', { ...config, mac: '001122334455' })?.rejected?.reason ?? '', /does not match the topic/);
    assert.match(send('tasmota/discovery/A4CF12345678/config', { ...config, ft: '%topic%/' })?.rejected?.reason ?? '', /FullTopic must contain %prefix%/);
    assert.match(send('tele/home/cellar/LWT', 'Maybe')?.rejected?.reason ?? '', /LWT must be Online or Offline/);
    assert.match(send('tele/home/cellar/SENSOR', '{oops')?.rejected?.reason ?? '', /SENSOR: expected a JSON object/);
    assert.match(send('tasmota/discovery/A4CF12345678/config', payloadOf({ payload: { ...config, pad: 'x'.repeat(1 << 20) } }))?.rejected?.reason ?? '', /exceeds/);
  });
});
