import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHomeAssistantConvention } from '../../../devices/homeassistant/index.js';
import { MAX_CAPABILITIES_PER_DEVICE, MAX_PAYLOAD_BYTES } from '../../../devices/shared/limits.js';
import { HubView, message, testContext } from './harness.js';

// Bad discovery input: each case is rejected with a reason that says what is wrong, and nothing throws.

const conv = () => createHomeAssistantConvention(testContext());
const sensor = (extra: Record<string, unknown> = {}) => ({ stat_t: 'x/temp', uniq_id: 'u1', dev: { ids: ['dev-1'] }, ...extra });

function reason(topic: string, payload: string | Buffer | object): string {
  const u = conv().handle(message(topic, payload, true));
  assert.ok(u?.rejected, `rejected: ${topic}`);
  assert.equal(u.devices, undefined, 'a rejected config creates no device');
  return u.rejected.reason;
}

describe('homeassistant convention: bad input', () => {
  it('rejects a payload over the size limit before parsing it', () => {
    const huge = JSON.stringify({ stat_t: 'x', pad: 'a'.repeat(1024 * 1024) });
    assert.ok(huge.length > MAX_PAYLOAD_BYTES);
    assert.match(reason('homeassistant/sensor/big/config', huge), /exceeds the 262144-byte limit/);
  });

  it('rejects invalid JSON and JSON that is not an object', () => {
    assert.match(reason('homeassistant/sensor/a/config', '{"stat_t": '), /invalid JSON/);
    assert.match(reason('homeassistant/sensor/a/config', '[1,2]'), /expected a JSON object, got an array/);
    assert.match(reason('homeassistant/sensor/a/config', '42'), /expected a JSON object, got a number/);
  });

  it('rejects missing required keys, naming each', () => {
    assert.match(reason('homeassistant/sensor/a/config', { name: 'x' }), /state_topic: is required/);
    assert.match(reason('homeassistant/switch/a/config', { stat_t: 'x' }), /command_topic: is required/);
    assert.match(reason('homeassistant/select/a/config', { cmd_t: 'x' }), /options: is required/);
    const trigger = reason('homeassistant/device_automation/a/config', { atype: 'trigger', t: 'x' });
    assert.match(trigger, /type: is required/);
    assert.match(trigger, /subtype: is required/);
    assert.match(trigger, /device: is required/);
  });

  it('rejects wrong types with the path of each', () => {
    const r = reason('homeassistant/sensor/a/config', sensor({ unit_of_meas: 5, qos: 7, dev: { ids: [{}] } }));
    assert.match(r, /unit_of_measurement: expected a string, got a number/);
    assert.match(r, /device\.identifiers\[0\]: expected a string, got an object/);
    assert.match(reason('homeassistant/sensor/a/config', { stat_t: ['a'] }), /state_topic: expected a string, got an array/);
    assert.match(reason('homeassistant/number/a/config', { cmd_t: 'x', min: 'low' }), /min: expected a number, got a string/);
  });

  it('rejects unknown and unsupported components', () => {
    assert.match(reason('homeassistant/teleporter/a/config', sensor()), /unknown component "teleporter"/);
    assert.match(reason('homeassistant/vacuum/a/config', sensor()), /component "vacuum" is not supported by rumah yet/);
  });

  it('rejects a broken template when the config arrives, not at every message', () => {
    assert.match(reason('homeassistant/sensor/a/config', sensor({ val_tpl: '{{ value_json.x ' })), /value_template: invalid template/);
    assert.match(reason('homeassistant/sensor/a/config', sensor({ val_tpl: '{% for x in y %}{% endfor %}' })), /unsupported statement/);
  });

  it('rejects a device-based config without origin or with a component lacking unique_id', () => {
    const base = { dev: { ids: 'd2' }, stat_t: 's', cmps: { t: { p: 'sensor', unit_of_meas: '°C', uniq_id: 't1' } } };
    assert.match(reason('homeassistant/device/d2/config', base), /origin: is required/);
    const u = conv().handle(message('homeassistant/device/d2/config', { ...base, o: { name: 'fw' }, cmps: { ...base.cmps, h: { p: 'sensor' , unit_of_meas: '%' } } }));
    assert.match(u?.rejected?.reason ?? '', /components\.h\.unique_id: is required/);
    assert.deepEqual(u?.devices?.[0]?.capabilities.map((c) => c.property), ['t'], 'the valid component still applies');
  });

  it('caps a flood of discovery configs for one device', () => {
    const c = conv();
    const view = new HubView();
    for (let i = 0; i < MAX_CAPABILITIES_PER_DEVICE + 20; i++) {
      view.apply(c.handle(message(`homeassistant/sensor/flood_${i}/config`, { stat_t: `f/${i}`, uniq_id: `f${i}`, unit_of_meas: 'W', dev: { ids: ['flooder'] } })));
    }
    assert.equal(view.device('flooder').capabilities.length, MAX_CAPABILITIES_PER_DEVICE);
    assert.equal(view.rejections.length, 20);
    assert.match(view.rejections[0]!.reason, /device flooder already has 256 entities; refusing more/);
    assert.equal(view.rejections[0]!.deviceId, 'flooder');
  });

  it('never throws, whatever arrives on a discovery or state topic', () => {
    const c = conv();
    c.handle(message('homeassistant/sensor/ok/config', sensor({ val_tpl: '{{ value_json.t | float }}' })));
    const junk: (string | Buffer | object)[] = [
      Buffer.from([0xff, 0xfe, 0x00, 0x80]), 'null', 'true', '{"__proto__": {"polluted": 1}, "stat_t": "p"}',
      { stat_t: 'x', dev: 'not-an-object' }, { stat_t: 'x', avty: 'nope' }, { stat_t: 'x', avty: [{ t: 5 }] },
      { cmps: 'x' }, '{"a":'.repeat(5000),
    ];
    for (const payload of junk) {
      for (const topic of ['homeassistant/sensor/j/config', 'homeassistant/device/j/config', 'x/temp']) {
        assert.doesNotThrow(() => c.handle(message(topic, payload)));
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    const u = c.handle(message('x/temp', '{"t": "warm"}'));
    assert.match(u?.rejected?.reason ?? '', /template failed: float got invalid input/);
  });

  it('ignores topics under the prefix that are not configs, and refuses malformed ids', () => {
    const c = conv();
    assert.equal(c.handle(message('homeassistant/sensor/a/b/c/config', sensor())), undefined);
    assert.equal(c.handle(message('homeassistant/sensor/bad id/config', sensor())), undefined);
  });
});
