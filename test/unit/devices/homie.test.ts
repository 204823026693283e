import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHomieConvention } from '../../../devices/homie/index.js';
import { HubView, commands, loadFixture, replay, session, testContext } from './harness.js';

const ID = 'kitchen-light';

describe('homie convention: fixture', () => {
  const entries = loadFixture('homie5.json');

  it('replays homie5.json and meets every expect', () => {
    const view = new HubView();
    const conv = createHomieConvention(testContext(view));
    replay(conv, entries, {
      1: (v) => {
        assert.equal(v.device(ID).name, 'Kitchen light');
        assert.equal(v.capability(ID, 'power').kind, 'binary');
        const bri = v.capability(ID, 'brightness');
        assert.deepEqual({ kind: bri.kind, min: bri.min, max: bri.max, unit: bri.unit, settable: bri.access.settable },
          { kind: 'numeric', min: 0, max: 100, unit: '%', settable: true });
        assert.equal(v.availability.get(ID), 'unknown', '$state init, remembered until the description came');
      },
      4: (v) => {
        assert.equal(v.availability.get(ID), 'online');
        assert.deepEqual(v.states.get(ID), { power: true, brightness: 80 });
      },
      6: (v) => assert.equal(v.availability.get(ID), 'offline'),
    }, view);
    const [dim] = commands(entries);
    const out = conv.encodeCommand(view.asDevice(ID)!, 'brightness', 40);
    assert.deepEqual({ topic: out?.topic, payload: out?.payload }, dim);
    assert.equal(out?.retain, false);
  });
});

describe('homie convention: behaviour', () => {
  const description = {
    homie: '5.0', version: 1, name: 'Hall',
    nodes: {
      left: { properties: { state: { datatype: 'boolean', settable: true }, mode: { datatype: 'enum', format: 'eco,comfort', settable: true } } },
      right: { properties: { state: { datatype: 'boolean' }, temp: { datatype: 'float', format: ':40', unit: '°C' } } },
      button: { properties: { press: { datatype: 'enum', format: 'single,double', retained: false }, label: { datatype: 'string', settable: true } } },
    },
  };
  const setup = () => session(createHomieConvention);

  it('qualifies property ids shared by nodes, maps non-retained properties to events, buffers early values', () => {
    const { view, conv, send } = setup();
    send('homie/5/hall/right/temp', '21.5');
    send('homie/5/hall/$description', description);
    assert.deepEqual(view.device('hall').capabilities.map((c) => [c.property, c.kind]), [
      ['left-state', 'binary'], ['mode', 'enum'], ['right-state', 'binary'], ['temp', 'numeric'], ['press', 'event'], ['label', 'text'],
    ]);
    assert.equal(view.capability('hall', 'temp').max, 40);
    assert.equal(view.state('hall', 'temp'), 21.5, 'a value that came before the description is kept');
    send('homie/5/hall/button/press', 'double');
    assert.deepEqual(view.events, [{ deviceId: 'hall', property: 'press', value: 'double' }]);
    send('homie/5/hall/button/label', '\u0000');
    assert.equal(view.state('hall', 'label'), '', 'a 0x00 byte is the empty string');
    const dev = view.asDevice('hall')!;
    assert.deepEqual(conv.encodeCommand(dev, 'left-state', false), { topic: 'homie/5/hall/left/state/set', payload: 'false', qos: 2, retain: false });
    assert.equal(conv.encodeCommand(dev, 'mode', 'turbo'), undefined);
    assert.equal(conv.encodeCommand(dev, 'right-state', true), undefined, 'not settable');
    assert.equal(conv.encodeCommand(dev, 'label', '')?.payload, '\u0000');
  });

  it('ignores /set echoes and $target, and removes a device on an empty $state', () => {
    const { send } = setup();
    send('homie/5/hall/$description', description);
    assert.equal(send('homie/5/hall/left/state/set', 'true'), undefined);
    assert.equal(send('homie/5/hall/left/state/$target', 'true'), undefined);
    assert.deepEqual(send('homie/5/hall/$state', '')?.removed, ['hall']);
  });

  it('rejects bad descriptions and values with reasons', () => {
    const { send } = setup();
    assert.match(send('homie/5/old/$description', { homie: '4.0.0', nodes: {} })?.rejected?.reason ?? '', /expected a 5\.x version/);
    const bad = send('homie/5/x/$description', { homie: '5.0', nodes: { Bad_Node: {}, n: { properties: { p: { datatype: 'decimal' } } } } });
    assert.match(bad?.rejected?.reason ?? '', /nodes\.Bad_Node: ids use only/);
    assert.match(bad?.rejected?.reason ?? '', /nodes\.n\.properties\.p\.datatype: expected one of integer/);
    send('homie/5/hall/$description', description);
    assert.match(send('homie/5/hall/left/state', 'yes')?.rejected?.reason ?? '', /expected true or false, got "yes"/);
    assert.match(send('homie/5/hall/left/mode', 'turbo')?.rejected?.reason ?? '', /expected one of eco, comfort/);
    assert.match(send('homie/5/hall/right/temp', 'warm')?.rejected?.reason ?? '', /expected a number/);
    assert.match(send('homie/5/hall/nope/none', '1')?.rejected?.reason ?? '', /not in the device's \$description/);
    assert.match(send('homie/5/hall/$state', 'dancing')?.rejected?.reason ?? '', /unknown state "dancing"/);
    assert.match(send('homie/5/hall/$description', '{"homie":"5.0","pad":"' + 'x'.repeat(1 << 20) + '"}')?.rejected?.reason ?? '', /exceeds/);
  });
});
