import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Device } from '../../../server/core/model.js';
import { discoveryConfig } from '../../../server/export/ha-config.js';
import { configTopic, isOwnExportTopic, objectId, parseCommandTopic } from '../../../server/export/ha-topics.js';

const access = (settable: boolean) => ({ reported: true, settable, readable: false });

function device(over: Partial<Device>): Device {
  return { id: 'd1', name: 'Thing', convention: 'zigbee2mqtt', topic: 'zigbee2mqtt/thing', capabilities: [], availability: 'online', createdAt: 0, ...over };
}

test('HA config: each capability kind becomes the component HA expects', () => {
  const built = discoveryConfig(device({
    capabilities: [
      { property: 'state', kind: 'binary', access: access(true) },
      { property: 'brightness', kind: 'numeric', access: access(true), min: 0, max: 254 },
      { property: 'effect', kind: 'enum', access: access(true), values: ['blink', 'none'] },
      { property: 'occupancy', kind: 'binary', access: access(false) },
      { property: 'power', kind: 'numeric', access: access(false), unit: 'W' },
      { property: 'energy', kind: 'numeric', access: access(false), unit: 'kWh' },
      { property: 'mode', kind: 'enum', access: access(false), values: ['a', 'b'] },
      { property: 'action', kind: 'event', access: access(false) },
      { property: 'bad/name', kind: 'numeric', access: access(false) },
    ],
  }), { name: 'rumah', sw: '1' })!;
  const c = built.config.cmps as Record<string, any>;
  // A dimmable light: one light entity whose brightness is commanded through its own rumah topic.
  assert.equal(c.state.p, 'light');
  assert.equal(c.state.cmd_t, 'rumah/d1/state/set');
  assert.deepEqual([c.state.bri_cmd_t, c.state.bri_stat_t, c.state.bri_val_tpl, c.state.bri_scl], ['rumah/d1/brightness/set', 'rumah/d1/state', "{{ value_json['brightness'] }}", 254]);
  assert.equal(c.brightness, undefined);
  assert.deepEqual([c.effect.p, c.effect.ops], ['select', ['blink', 'none']]);
  assert.deepEqual([c.occupancy.p, c.occupancy.dev_cla, c.occupancy.cmd_t], ['binary_sensor', 'occupancy', undefined]);
  assert.deepEqual([c.power.p, c.power.dev_cla, c.power.unit_of_meas, c.power.stat_cla], ['sensor', 'power', 'W', 'measurement']);
  // An energy counter's state class only the device knows (total_increasing or total): not guessed.
  assert.equal(c.energy.stat_cla, undefined);
  assert.deepEqual([c.mode.dev_cla, c.mode.ops], ['enum', ['a', 'b']]);
  assert.equal(c.action, undefined);
  assert.deepEqual(built.skipped, ['bad/name']);
  assert.equal(new Set(Object.values(c).map((x) => x.uniq_id)).size, Object.keys(c).length);
});

test('HA config: a plug is a switch; a settable number that is not a dimmer is a number', () => {
  const built = discoveryConfig(device({
    capabilities: [
      { property: 'state', kind: 'binary', access: access(true) },
      { property: 'countdown', kind: 'numeric', access: access(true), min: 0, max: 3600, step: 1, unit: 's' },
    ],
  }), { name: 'rumah' })!;
  const c = built.config.cmps as Record<string, any>;
  assert.equal(c.state.p, 'switch');
  assert.equal(c.state.bri_cmd_t, undefined);
  assert.deepEqual([c.countdown.p, c.countdown.min, c.countdown.max, c.countdown.step, c.countdown.unit_of_meas], ['number', 0, 3600, 1, 's']);
});

test('HA config: a device with nothing HA can show is not announced', () => {
  assert.equal(discoveryConfig(device({ capabilities: [{ property: 'action', kind: 'event', access: access(false) }] }), { name: 'rumah' }), undefined);
});

test('HA topics: object ids HA accepts, distinct for ids that differ only in . and :', () => {
  assert.equal(objectId('kitchen-light'), 'rumah_kitchen-light');
  assert.match(objectId('a.b'), /^rumah_a_b_[0-9a-f]{8}$/);
  assert.notEqual(objectId('a.b'), objectId('a:b'));
  assert.match(configTopic('a.b'), /^homeassistant\/device\/[a-zA-Z0-9_-]+\/config$/);
  assert.deepEqual(parseCommandTopic('rumah/d1/power/set'), { deviceId: 'd1', property: 'power' });
  assert.equal(parseCommandTopic('rumah/d1/set'), undefined);
  assert.ok(isOwnExportTopic('rumah/d1/power/set'));
  assert.ok(isOwnExportTopic(configTopic('d1')));
  // A native home called "rumah" keeps its device topics.
  assert.ok(!isOwnExportTopic('rumah/ground/kitchen/light'));
  assert.ok(!isOwnExportTopic('homeassistant/device/other/config'));
});
