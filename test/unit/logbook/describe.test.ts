import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Capability, Device } from '../../../server/core/model.js';
import {
  actorText, availabilitySentence, commandSentence, eventSentence, isLogged, loginSentence, ruleSentence, stateSentence,
} from '../../../server/logbook/describe.js';

// The logbook's sentences (server/logbook/describe.ts): pure functions, so every wording is pinned here.

const access = { reported: true, settable: true, readable: false };
const cap = (property: string, extra: Partial<Capability> = {}): Capability => ({ property, kind: 'binary', access, ...extra });
const device = (name: string, capabilities: Capability[]): Device => ({ id: name.toLowerCase().replace(/ /g, '-'), name, convention: 'native', topic: 't', capabilities, availability: 'online', createdAt: 0 });

test('binary changes in the device\'s own words, its class\'s, or on/off', () => {
  const light = device('Kitchen light', [cap('light', { on: 'ON', off: 'OFF' })]);
  assert.equal(stateSentence(light, light.id, 'light', true, light.capabilities[0]), 'Kitchen light turned on');
  // Kept as the device's word by some conventions: still a binary.
  assert.equal(stateSentence(light, light.id, 'light', 'OFF', light.capabilities[0]), 'Kitchen light turned off');
  const door = device('Front door', [cap('contact', { on: 'open', off: 'closed' })]);
  assert.equal(stateSentence(door, door.id, 'contact', false, door.capabilities[0]), 'Front door is closed');
  const hallway = device('Hallway sensor', [cap('occupancy', { on: 'ON', off: 'OFF' }), { property: 'battery', kind: 'numeric', access }]);
  assert.equal(stateSentence(hallway, hallway.id, 'occupancy', true, hallway.capabilities[0]), 'Hallway sensor occupancy is detected');
  const classed = device('Porch', [{ ...cap('state'), deviceClass: 'moisture' } as Capability, cap('other')]);
  assert.equal(stateSentence(classed, classed.id, 'state', true, classed.capabilities[0]), 'Porch is wet');
  // The property is not said twice when the name ends with it.
  const motion = device('Hall motion', [cap('motion', { on: true, off: false }), cap('tamper')]);
  assert.equal(stateSentence(motion, motion.id, 'motion', false, motion.capabilities[0]), 'Hall motion is clear');
});

test('which changes are entries: binary, enum and text are; numeric, JSON objects and events are not', () => {
  assert.equal(isLogged(cap('x'), true), true);
  assert.equal(isLogged({ property: 'mode', kind: 'enum', access, values: ['eco'] }, 'eco'), true);
  assert.equal(isLogged({ property: 'status', kind: 'text', access }, 'ready'), true);
  assert.equal(isLogged({ property: 'status', kind: 'text', access }, { a: 1 }), false);
  assert.equal(isLogged({ property: 't', kind: 'numeric', access }, 21.5), false);
  assert.equal(isLogged({ property: 'button', kind: 'event', access }, 'single'), false);
  assert.equal(isLogged(undefined, 3), false);
  assert.equal(isLogged(undefined, 'on'), true);
});

test('text values are quoted, cut and cleaned of hidden characters', () => {
  const heater = device('Heater', [{ property: 'mode', kind: 'enum', access }, cap('x')]);
  assert.equal(stateSentence(heater, heater.id, 'mode', 'eco', heater.capabilities[0]), 'Heater mode changed to “eco”');
  assert.equal(stateSentence(heater, heater.id, 'mode', 'a\u202eb\u001b[2J', heater.capabilities[0]), 'Heater mode changed to “ab[2J”');
  const long = stateSentence(heater, heater.id, 'mode', 'x'.repeat(500), heater.capabilities[0]);
  assert.ok(long.length < 120 && long.endsWith('…”'));
});

test('commands say who sent them; rules by name', () => {
  const hall = device('Hall light', [cap('light')]);
  assert.equal(commandSentence(actorText({ kind: 'user', id: 'admin' }, () => undefined), hall, hall.id, 'light', false, hall.capabilities[0]), 'admin turned off Hall light');
  const rule = actorText({ kind: 'rule', id: 'night', parent: { kind: 'device', id: 'x' } }, (id) => (id === 'night' ? 'Night mode' : undefined));
  const thermostat = device('Thermostat', [{ property: 'target_temperature', kind: 'numeric', access }, cap('x')]);
  assert.equal(commandSentence(rule, thermostat, thermostat.id, 'target_temperature', 18, thermostat.capabilities[0]), 'Rule Night mode set Thermostat target temperature to 18');
});

test('availability: known values in words, any other said as it is', () => {
  const d = device('Hall light', [cap('light')]);
  assert.equal(availabilitySentence(d, d.id, 'offline'), 'Hall light went offline');
  assert.equal(availabilitySentence(d, d.id, 'online'), 'Hall light came online');
  assert.equal(availabilitySentence(d, d.id, 'stale'), 'Hall light is stale');
  assert.equal(availabilitySentence(undefined, 'gone-device', 'offline'), 'gone-device went offline');
});

test('rule runs and logins', () => {
  assert.equal(ruleSentence('Night mode', 'done', undefined, 'message on x: "go"'), 'Rule Night mode ran (message on x: "go")');
  assert.equal(ruleSentence('Night mode', 'error', 'actions[0]: no such device', undefined), 'Rule Night mode failed: actions[0]: no such device');
  assert.equal(loginSentence('mia', true, '::ffff:192.0.2.7'), 'mia logged in from 192.0.2.7');
  assert.equal(loginSentence('mallory', false, '?'), 'Failed login as mallory');
});

test('events: the device\'s own word', () => {
  const bell = device('Doorbell', [{ property: 'action', kind: 'event', access }, cap('light')]);
  assert.equal(eventSentence(bell, bell.id, 'action', 'single'), 'Doorbell action reported “single”');
});
