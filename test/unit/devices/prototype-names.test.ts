import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDecimal, parseNativePayload } from '../../../devices/native/payload.js';
import { readSensors } from '../../../devices/tasmota/sensors.js';

// Names a device chooses (payload words, JSON keys) looked up in the conventions' tables: own keys only. With
// `table[name]`, "constructor" found Object (a function as a device's state, a unit, or a TypeError mid-message).

test('a payload named like an Object property ("constructor", "__proto__") is a word the device said, not a function or a prototype', () => {
  for (const word of ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf']) {
    const { values, capabilities } = parseNativePayload('status', word);
    assert.equal(values.status, word, word);
    assert.equal(capabilities[0]!.kind, 'text', word);
  }
  // As a JSON key: a number without a unit (the units table is looked up by the key's name).
  const parsed = parseNativePayload('x', '{"constructor": 5}');
  assert.equal(parsed.values.constructor, 5);
  assert.equal(parsed.capabilities[0]!.unit, undefined);
  assert.deepEqual(parseNativePayload('contact', 'Closed').values, { contact: false });
  assert.deepEqual(parseNativePayload('temperature', ' 21.5 ').values, { temperature: 21.5 });
});

test('isDecimal reads exactly what the regex it replaces read', () => {
  const regex = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  const alphabet = ['0', '7', '.', '-', '+', 'e', 'E', 'x', ' ', 'a', ''];
  let checked = 0;
  // Every string of up to 5 characters from the alphabet (10^5 strings).
  const walk = (s: string, depth: number): void => {
    assert.equal(isDecimal(s), regex.test(s), JSON.stringify(s));
    checked++;
    if (depth === 0) return;
    for (const c of alphabet) if (c) walk(s + c, depth - 1);
  };
  walk('', 5);
  assert.ok(checked > 100_000);
  for (const s of ['Infinity', 'NaN', '0x10', '1_000', '1e', '.', '-.5e-3', '12345678901234567890']) assert.equal(isDecimal(s), regex.test(s), s);
});

test('Tasmota: sensor and ENERGY keys named like Object properties are readings like any other', () => {
  const readings = readSensors({ ENERGY: { constructor: 5, toString: 2, Power: 40 }, DS18B20: { constructor: 3 } } as Record<string, unknown>);
  for (const r of readings) {
    assert.equal(typeof r.value, 'number', r.capability.property);
    assert.ok(r.capability.unit === undefined || typeof r.capability.unit === 'string', `${r.capability.property}: unit ${typeof r.capability.unit}`);
  }
  assert.deepEqual(readings.map((r) => r.capability.property).sort(), ['ds18b20_constructor', 'energy_constructor', 'energy_tostring', 'power_w'].sort());
});
