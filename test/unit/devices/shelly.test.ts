import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createShellyConvention, shellyConventionWith } from '../../../devices/shelly/index.js';
import { HubView, commands, loadFixture, message, replay, session, testContext } from './harness.js';

const ID = 'shellyplus1-a8032ab12345';

describe('shelly convention: fixture', () => {
  const entries = loadFixture('shelly-gen2.json');

  it('replays shelly-gen2.json and meets every expect', () => {
    const view = new HubView();
    const conv = createShellyConvention(testContext(view));
    replay(conv, entries, {
      0: (v) => assert.equal(v.availability.get(ID), 'online'),
      1: (v) => {
        const cap = v.capability(ID, 'switch:0');
        assert.equal(cap.kind, 'binary');
        assert.equal(cap.access.settable, true);
        assert.equal(v.state(ID, 'switch:0'), false);
        assert.equal(v.state(ID, 'switch:0_temperature'), 41.2);
        assert.deepEqual(v.device(ID).aliases, ['A8032AB12345'], 'the MAC from sys, for merging with other conventions');
      },
      2: (v) => assert.equal(v.state(ID, 'switch:0'), true),
      6: (v) => assert.equal(v.availability.get(ID), 'offline'),
    }, view);
    assert.equal(view.state(ID, 'switch:0_temperature'), 42, 'status/switch:0 updates too');

    const [rpc, simple] = commands(entries);
    const out = conv.encodeCommand(view.asDevice(ID)!, 'switch:0', false);
    assert.deepEqual({ topic: out?.topic, payload: out?.payload }, rpc);
    const next = conv.encodeCommand(view.asDevice(ID)!, 'switch:0', true);
    assert.equal(JSON.parse(next!.payload).id, 2, 'each RPC call has its own id');

    const simpleConv = shellyConventionWith({ control: 'simple' })(testContext(view));
    for (const e of entries.slice(0, 3)) simpleConv.handle(message(e.topic, typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload)));
    const s = simpleConv.encodeCommand(view.asDevice(ID)!, 'switch:0', false);
    assert.deepEqual({ topic: s?.topic, payload: s?.payload }, simple);
  });
});

describe('shelly convention: behaviour', () => {
  const setup = () => session(createShellyConvention);

  it('claims events/rpc anywhere, online/status only for Shelly prefixes', () => {
    const { conv, send } = setup();
    assert.ok(conv.claims('home/garage/events/rpc'));
    assert.ok(!conv.claims('home/garage/online'));
    assert.ok(conv.claims('shellyplus2pm-c4d8d5001122/online'));
    assert.ok(!conv.claims('esphome-node/online'));
    send('home/garage/events/rpc', { src: 'shellypro4pm-aa', method: 'NotifyStatus', params: { 'switch:1': { id: 1, output: true } } });
    assert.ok(conv.claims('home/garage/online'), 'a prefix seen once is claimed');
    assert.ok(conv.claims('home/garage/status/switch:1'));
  });

  it('meters, covers, lights and button events', () => {
    const { view, conv, send } = setup();
    send('shellypro-1/events/rpc', { src: 'shellypro-1', method: 'NotifyFullStatus', params: {
      'switch:0': { output: true, apower: 12.5, voltage: 230.1, current: 0.05, aenergy: { total: 1000 } },
      'cover:0': { state: 'stopped', current_pos: 40 }, 'light:0': { output: false, brightness: 30 }, 'input:0': { state: null }, wifi: { rssi: -50 },
    } });
    send('shellypro-1/events/rpc', { src: 'shellypro-1', method: 'NotifyEvent', params: { events: [{ component: 'input:0', id: 0, event: 'double_push' }] } });
    assert.deepEqual(view.states.get('shellypro-1'), {
      'switch:0': true, 'switch:0_power': 12.5, 'switch:0_voltage': 230.1, 'switch:0_current': 0.05, 'switch:0_energy': 1000,
      'cover:0': 'stopped', 'cover:0_position': 40, 'light:0': false, 'light:0_brightness': 30,
    });
    assert.deepEqual(view.events, [{ deviceId: 'shellypro-1', property: 'input:0_event', value: 'double_push' }]);
    const dev = view.asDevice('shellypro-1')!;
    const rpc = (p: string, v: string | number | boolean) => JSON.parse(conv.encodeCommand(dev, p, v)?.payload ?? 'null');
    assert.deepEqual(rpc('cover:0', 'closed'), { id: 1, src: 'rumah', method: 'Cover.Close', params: { id: 0 } });
    assert.deepEqual(rpc('cover:0_position', 75).params, { id: 0, pos: 75 });
    assert.deepEqual(rpc('light:0_brightness', 80).params, { id: 0, on: true, brightness: 80 });
    assert.equal(rpc('switch:0', 'toggle').method, 'Switch.Toggle');
    assert.equal(conv.encodeCommand(dev, 'switch:0_power', 5), undefined, 'a meter is not settable');
  });

  it('rejects bad payloads with reasons', () => {
    const { send } = setup();
    assert.match(send(`${ID}/online`, 'yes')?.rejected?.reason ?? '', /expected true or false/);
    assert.match(send(`${ID}/events/rpc`, 'not json')?.rejected?.reason ?? '', /invalid JSON/);
    assert.match(send(`${ID}/events/rpc`, { method: 'NotifyStatus', params: [] })?.rejected?.reason ?? '', /params must be an object/);
    assert.match(send(`${ID}/events/rpc`, { pad: 'x'.repeat(1 << 20) })?.rejected?.reason ?? '', /exceeds/);
  });
});
