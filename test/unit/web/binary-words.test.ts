import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Capability, StateValue } from '../../../server/core/model.js';
import { importWebModule } from '../../helpers/web-module.js';
import { capabilitiesFromExposes } from '../../../devices/zigbee2mqtt/exposes.js';
import { parseNativePayload } from '../../../devices/native/payload.js';

// The dashboard's words for binary values (server/core/binary-words.ts, re-exported by web/src/model/binary-words.ts), with capabilities as the conventions make
// them: the words a device uses, the class Home Assistant discovery gives, the property names Zigbee2MQTT uses.

// Typed here rather than with `typeof import(...)`: the server's tsc stays out of web/ (the dashboard has its own).
type Cap = Pick<Capability, 'property' | 'on' | 'off' | 'deviceClass'>;
const { binaryLabels, binaryText } = await importWebModule<{
  binaryLabels(cap: Cap): { on: string; off: string };
  binaryText(cap: Cap, value: StateValue | undefined): string | undefined;
}>('web/src/model/binary-words.ts');
const { formatValue } = await importWebModule<{ formatValue(value: StateValue | undefined, cap?: Capability): string }>('web/src/model/format.ts');

const binary = (property: string, extra: Partial<Capability> = {}): Capability => ({
  property, kind: 'binary', access: { reported: true, settable: false, readable: false }, ...extra,
});

test('native words: a contact reporting closed is Closed, a motion sensor detected/clear', () => {
  const contact = parseNativePayload('contact', 'closed');
  assert.equal(formatValue(contact.values.contact, contact.capabilities[0]), 'Closed');
  assert.equal(formatValue(true, contact.capabilities[0]), 'Open');
  const motion = parseNativePayload('motion', 'detected');
  assert.equal(formatValue(motion.values.motion, motion.capabilities[0]), 'Detected');
  assert.equal(formatValue(false, motion.capabilities[0]), 'Clear');
  const light = parseNativePayload('light', 'OFF');
  assert.equal(formatValue(light.values.light, light.capabilities[0]), 'Off', 'bare on/off words stay On/Off');
  assert.equal(formatValue(true, light.capabilities[0]), 'On');
});

test('Home Assistant device classes decide first, in HA\'s words', () => {
  const cases: Array<[string, string, string]> = [
    ['door', 'Open', 'Closed'], ['window', 'Open', 'Closed'], ['opening', 'Open', 'Closed'], ['garage_door', 'Open', 'Closed'],
    ['motion', 'Detected', 'Clear'], ['occupancy', 'Detected', 'Clear'], ['presence', 'Home', 'Away'],
    ['moisture', 'Wet', 'Dry'], ['smoke', 'Detected', 'Clear'], ['gas', 'Detected', 'Clear'], ['carbon_monoxide', 'Detected', 'Clear'],
    ['lock', 'Unlocked', 'Locked'], ['battery', 'Low', 'Normal'], ['plug', 'Plugged in', 'Unplugged'],
    ['connectivity', 'Connected', 'Disconnected'], ['problem', 'Problem', 'OK'], ['safety', 'Unsafe', 'Safe'],
    ['tamper', 'Tampering detected', 'Clear'], ['update', 'Update available', 'Up-to-date'],
  ];
  for (const [cls, on, off] of cases) {
    // HA's default payloads ON/OFF: the class, not the words, says what they mean.
    const cap = binary('state', { deviceClass: cls, on: 'ON', off: 'OFF' });
    assert.deepEqual([binaryText(cap, true), binaryText(cap, false)], [on, off], cls);
  }
  assert.deepEqual(binaryLabels(binary('x', { deviceClass: 'outlet', on: 'ON', off: 'OFF' })), { on: 'On', off: 'Off' }, 'a class without words (a switch\'s outlet)');
});

test('Zigbee2MQTT: properties named by the exposes get their class\'s words; contact (value_on false) is Open when true', () => {
  const caps = capabilitiesFromExposes([
    { type: 'binary', property: 'contact', access: 1, value_on: false, value_off: true },
    { type: 'binary', property: 'occupancy', access: 1, value_on: true, value_off: false },
    { type: 'binary', property: 'water_leak', access: 1, value_on: true, value_off: false },
    { type: 'binary', property: 'battery_low', access: 1, value_on: true, value_off: false },
    { type: 'switch', features: [{ type: 'binary', property: 'state', access: 7, value_on: 'ON', value_off: 'OFF' }] },
  ]);
  const text = (property: string, value: boolean) => formatValue(value, caps.find((c) => c.property === property));
  assert.deepEqual([text('contact', true), text('contact', false)], ['Open', 'Closed']);
  assert.deepEqual([text('occupancy', true), text('occupancy', false)], ['Detected', 'Clear']);
  assert.deepEqual([text('water_leak', true), text('water_leak', false)], ['Wet', 'Dry']);
  assert.deepEqual([text('battery_low', true), text('battery_low', false)], ['Low', 'Normal']);
  assert.deepEqual([text('state', true), text('state', false)], ['On', 'Off']);
});

test('the device\'s own words win over a property name, shouted words are calmed, non-binary values pass through', () => {
  assert.equal(binaryText(binary('door', { on: 'OPENED', off: 'SHUT' }), false), 'Shut');
  assert.equal(binaryText(binary('contact', { on: true, off: false }), 'closed'), 'Closed', 'a word the hub kept as text');
  assert.equal(binaryText(binary('thing', { on: 'open', off: 'closed' }), 'maybe'), undefined);
  assert.equal(formatValue('maybe', binary('thing')), 'maybe', 'not a binary value: shown as it is');
  assert.equal(formatValue(true, binary('relay', { on: true, off: false })), 'On');
});
