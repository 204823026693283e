import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createNativeConvention, uniqueNativeId } from '../../../devices/native/index.js';
import { parseNativePayload } from '../../../devices/native/payload.js';
import type { Device } from '../../../server/core/model.js';

const convention = createNativeConvention({ log: pino({ level: 'silent' }), now: () => 0, getDevice: () => undefined });
const msg = (topic: string, payload: string) => ({ topic, payload: Buffer.from(payload), qos: 0 as const, retain: false });

test('native claims home topics and their /status and /set, nothing else', () => {
  assert.ok(convention.claims('ourhome/groundfloor/livingroom/light'));
  assert.ok(convention.claims('ourhome/groundfloor/livingroom/light/status'));
  assert.ok(convention.claims('ourhome/groundfloor/livingroom/light/set'));
  assert.ok(!convention.claims('ourhome/groundfloor/livingroom/light/other'));
  assert.ok(!convention.claims('ourhome/stats/lights_on'));
  assert.ok(!convention.claims('homeassistant/sensor/x/config'));
  assert.ok(!convention.claims('$SYS/broker/x/y'));
  assert.equal(convention.handle(msg('ourhome/groundfloor/livingroom/light/set', 'on')), undefined, 'commands are not state');
});

test('payloads become typed properties', () => {
  assert.deepEqual(parseNativePayload('light', 'on').values, { light: true });
  assert.deepEqual(parseNativePayload('light', 'OFF').capabilities[0]!.on, 'ON');
  assert.deepEqual(parseNativePayload('temperature', ' 21.5 ').values, { temperature: 21.5 });
  assert.equal(parseNativePayload('temperature', '21.5').capabilities[0]!.unit, '°C');
  assert.equal(parseNativePayload('contact', 'open').capabilities[0]!.access.settable, false, 'sensors only report');
  assert.deepEqual(parseNativePayload('light', '{"state":"ON","brightness":180}').values, { state: 'ON', brightness: 180 });
  assert.deepEqual(parseNativePayload('mode', 'eco').values, { mode: 'eco' });
  assert.deepEqual(parseNativePayload('x', '{"a":').values, { x: '{"a":' });
  const many = JSON.stringify(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])));
  assert.equal(Object.keys(parseNativePayload('x', many).values).length, 64, 'keys per payload are capped');
});

test('availability words and commands in the device\'s own words', () => {
  const update = convention.handle(msg('ourhome/groundfloor/livingroom/light/status', 'offline'))!;
  assert.deepEqual(update.availability, [{ deviceId: 'ourhome-groundfloor-livingroom-light', availability: 'offline' }]);
  assert.match(convention.handle(msg('ourhome/groundfloor/livingroom/light/status', 'gone'))!.rejected!.reason, /online.*offline/);
  const d = convention.handle(msg('ourhome/groundfloor/hall/light', 'OFF'))!.devices![0]!;
  const device: Device = { ...d, availability: 'online', createdAt: 0 };
  assert.deepEqual(convention.encodeCommand(device, 'light', true), { topic: 'ourhome/groundfloor/hall/light/set', payload: 'ON', qos: 1, retain: false });
});

test('two topics with the same slug stay two devices: the second gets a hash of its topic, each keeps its id', () => {
  const devices = new Map<string, string>();
  const topicOf = (id: string) => devices.get(id);
  const add = (base: string) => {
    const id = uniqueNativeId(base, topicOf);
    devices.set(id, base);
    return id;
  };
  assert.equal(add('ourhome/ground floor/living room/light'), 'ourhome-ground_floor-living_room-light');
  const second = add('ourhome/ground-floor/living-room/light');
  assert.match(second, /^ourhome-ground_floor-living_room-light\.[0-9a-f]{8}$/);
  assert.equal(add('ourhome/一楼/客厅/灯'), 'ourhome-_-_-_');
  assert.match(add('ourhome/二楼/卧室/灯'), /^ourhome-_-_-_\.[0-9a-f]{8}$/);
  // Asked again (a restart, or the topic memory starting over): the same ids, whichever comes first.
  assert.equal(uniqueNativeId('ourhome/ground-floor/living-room/light', topicOf), second);
  assert.equal(uniqueNativeId('ourhome/ground floor/living room/light', topicOf), 'ourhome-ground_floor-living_room-light');
  // Its hashed id is kept even if the device that had the plain slug was forgotten meanwhile.
  devices.delete('ourhome-ground_floor-living_room-light');
  assert.equal(uniqueNativeId('ourhome/ground-floor/living-room/light', topicOf), second);
  assert.equal(uniqueNativeId('ourhome/groundfloor/livingroom/light', topicOf), 'ourhome-groundfloor-livingroom-light', 'the usual topic keeps its plain id');
});

test('a motion sensor\'s detected/clear is binary in its own words, as open/closed is', () => {
  const motion = parseNativePayload('motion', 'detected');
  assert.deepEqual(motion.values, { motion: true });
  assert.deepEqual([motion.capabilities[0]!.kind, motion.capabilities[0]!.on, motion.capabilities[0]!.off], ['binary', 'detected', 'clear']);
  assert.deepEqual(parseNativePayload('motion', 'clear').values, { motion: false });
  const contact = parseNativePayload('contact', 'closed');
  assert.deepEqual([contact.values.contact, contact.capabilities[0]!.on, contact.capabilities[0]!.off], [false, 'open', 'closed']);
});
