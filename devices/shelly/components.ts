import type { Capability, StateValue } from '../../server/core/model.js';
import { accessOf } from '../shared/capability.js';
import { isObject } from '../shared/payload.js';

// Shelly Gen2+ component status (shelly-api-docs gen2 ComponentsAndServices: Switch, Light, Cover, Input,
// Temperature, Humidity, DevicePower, PM1) → capabilities named after the component key: `switch:0` is the
// relay itself, `switch:0_power` its power meter. A NotifyStatus carries only what changed, so each reading is
// produced only for the fields present.

export interface Reading {
  capability: Capability;
  value: StateValue;
}

const REPORTED = accessOf(true, false);
const SETTABLE = accessOf(true, true);
export const COVER_STATES = ['open', 'closed', 'opening', 'closing', 'stopped', 'calibrating'];

type Spec = [suffix: string, path: string[], capability: Omit<Capability, 'property'>];

const METER: Spec[] = [
  ['_power', ['apower'], { kind: 'numeric', access: REPORTED, unit: 'W' }],
  ['_voltage', ['voltage'], { kind: 'numeric', access: REPORTED, unit: 'V' }],
  ['_current', ['current'], { kind: 'numeric', access: REPORTED, unit: 'A' }],
  ['_energy', ['aenergy', 'total'], { kind: 'numeric', access: REPORTED, unit: 'Wh' }],
  ['_temperature', ['temperature', 'tC'], { kind: 'numeric', access: REPORTED, unit: '°C' }],
];

const SPECS: Record<string, Spec[]> = {
  switch: [['', ['output'], { kind: 'binary', access: SETTABLE, on: true, off: false }], ...METER],
  light: [
    ['', ['output'], { kind: 'binary', access: SETTABLE, on: true, off: false }],
    ['_brightness', ['brightness'], { kind: 'numeric', access: SETTABLE, min: 0, max: 100, step: 1, unit: '%' }],
    ...METER,
  ],
  cover: [
    ['', ['state'], { kind: 'enum', access: SETTABLE, values: COVER_STATES }],
    ['_position', ['current_pos'], { kind: 'numeric', access: SETTABLE, min: 0, max: 100, step: 1, unit: '%' }],
    ...METER,
  ],
  input: [['', ['state'], { kind: 'binary', access: REPORTED, on: true, off: false }]],
  temperature: [['', ['tC'], { kind: 'numeric', access: REPORTED, unit: '°C' }]],
  humidity: [['', ['rh'], { kind: 'numeric', access: REPORTED, unit: '%' }]],
  devicepower: [['_battery', ['battery', 'percent'], { kind: 'numeric', access: REPORTED, unit: '%' }]],
  pm1: METER,
};

const KEY = /^([a-z0-9]+):(\d{1,3})$/;

/** `switch:0` → ['switch', 0]; undefined for keys that are not components (ts, sys, wifi...). */
export function componentKey(key: string): [string, number] | undefined {
  const m = KEY.exec(key);
  return m && Object.hasOwn(SPECS, m[1]!) ? [m[1]!, Number(m[2])] : undefined;
}

export function readComponent(key: string, status: unknown): Reading[] {
  const parsed = componentKey(key);
  if (!parsed || !isObject(status)) return [];
  const out: Reading[] = [];
  for (const [suffix, path, capability] of SPECS[parsed[0]]!) {
    let v: unknown = status;
    for (const p of path) v = isObject(v) ? v[p] : undefined;
    const ok =
      capability.kind === 'binary' ? typeof v === 'boolean'
      : capability.kind === 'numeric' ? typeof v === 'number' && Number.isFinite(v)
      : typeof v === 'string';
    if (ok) out.push({ capability: { property: key + suffix, ...capability }, value: v as StateValue });
  }
  return out;
}
