import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHomeAssistantConvention } from '../../../devices/homeassistant/index.js';
import { HubView, loadFixture, message, replay, testContext } from './harness.js';

// The homeassistant-discovery fixture, replayed in order, with each `expect` asserted literally.

describe('homeassistant convention: fixture', () => {
  const entries = loadFixture('homeassistant-discovery.json');

  it('replays homeassistant-discovery.json and meets every expect', () => {
    const view = new HubView();
    const conv = createHomeAssistantConvention(testContext(view));
    replay(conv, entries, {
      0: (v) => {
        const d = v.device('kitchen-sensor-01');
        assert.equal(d.room, 'Kitchen');
        assert.equal(d.name, 'Kitchen sensor');
        const cap = v.capability('kitchen-sensor-01', 'temperature');
        assert.equal(cap.kind, 'numeric');
        assert.equal(cap.unit, '°C');
        assert.equal(cap.deviceClass, 'temperature');
        assert.equal(cap.expireAfter, 900, 'expire_after is exposed for the registry');
        assert.deepEqual(cap.access, { reported: true, settable: false, readable: false });
        assert.equal(d.availabilityTopic, 'ourhome/firstfloor/kitchen/status');
      },
      2: (v) => {
        assert.equal(v.state('kitchen-sensor-01', 'temperature'), 21.7);
        assert.equal(v.availability.get('kitchen-sensor-01'), 'online');
      },
      3: (v) => {
        const cap = v.capability('gf-lr-light', 'state');
        assert.equal(cap.kind, 'binary');
        assert.equal(cap.access.settable, true);
        assert.deepEqual(conv.encodeCommand(v.asDevice('gf-lr-light')!, 'state', true), {
          topic: 'ourhome/groundfloor/livingroom/lamp/set', payload: 'ON', qos: 0, retain: false,
        });
      },
      4: (v) => {
        const d = v.device('ha_kitchen_light');
        assert.equal(d.commandTopic, 'homeassistant/light/kitchen/set');
        assert.equal(d.topic, 'homeassistant/light/kitchen/state');
      },
      6: (v) => {
        const d = v.device('kitchen-sensor-02');
        assert.deepEqual(d.capabilities.map((c) => c.property), ['temperature', 'humidity']);
        assert.equal(v.capability('kitchen-sensor-02', 'humidity').unit, '%');
      },
      7: (v) => {
        assert.deepEqual(v.states.get('kitchen-sensor-02'), { temperature: 22.4, humidity: 51 });
      },
      8: (v) => {
        const cap = v.capability('zigbee2mqtt_0x00158d0001dc126a', 'action');
        assert.equal(cap.kind, 'event');
        assert.deepEqual(cap.values, ['single']);
        assert.deepEqual(v.device('zigbee2mqtt_0x00158d0001dc126a').aliases, ['0x00158d0001dc126a']);
      },
      9: (v, u) => {
        assert.deepEqual(u?.events, [{ deviceId: 'zigbee2mqtt_0x00158d0001dc126a', property: 'action', value: 'single' }]);
        assert.equal(u?.states, undefined, 'an event is never a state');
      },
      10: (v, u) => {
        // `removed` carries device ids: the entity ourhome_ff_kitchen_temp was its device's only entity.
        assert.deepEqual(u?.removed, ['kitchen-sensor-01']);
        assert.equal(conv.claims('ourhome/firstfloor/kitchen/temperature'), false, 'its state topic is released');
        assert.equal(conv.handle(message('ourhome/firstfloor/kitchen/temperature', '22')), undefined);
      },
    }, view);
    // The JSON-schema light's state, between the expects.
    assert.equal(view.state('ha_kitchen_light', 'state'), true);
    assert.equal(view.state('ha_kitchen_light', 'brightness'), 255);
    assert.deepEqual(view.rejections, []);
  });

  it('publishes homeassistant/status online at start so devices announce themselves again', () => {
    const conv = createHomeAssistantConvention(testContext());
    assert.deepEqual(conv.startMessages?.(), [{ topic: 'homeassistant/status', payload: 'online', qos: 1, retain: true }]);
    assert.equal(conv.handle(message('homeassistant/status', 'online')), undefined, 'our own birth is not a device');
  });
});
