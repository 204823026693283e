import { ACTIONS } from '../kinds/button.js';
import type { KindName, SimDevice, Value } from '../types.js';
import { onOff } from './words.js';

// What each kind looks like to Zigbee2MQTT: its `bridge/devices` entry (definition with exposes, in the form of
// zigbee2mqtt.io docs/guide/usage/exposes.md; access bits 1 published, 2 settable, 4 readable) and its JSON
// state. Property names are Zigbee2MQTT's own: `occupancy` for motion, `contact` true when *closed*,
// `local_temperature`/`occupied_heating_setpoint` for a radiator valve, brightness 0..254.

type Expose = Record<string, unknown>;

const binary = (property: string, access: number, on: Value = 'ON', off: Value = 'OFF', toggle = true): Expose =>
  ({ type: 'binary', name: property, property, access, value_on: on, value_off: off, ...(toggle ? { value_toggle: 'TOGGLE' } : {}) });
const numeric = (property: string, access: number, extra: Expose = {}): Expose => ({ type: 'numeric', name: property, property, access, ...extra });
const BATTERY = numeric('battery', 1, { unit: '%', value_min: 0, value_max: 100 });
const LINKQUALITY = numeric('linkquality', 1, { unit: 'lqi', value_min: 0, value_max: 255 });
const STATE = binary('state', 7);
const BRIGHTNESS = numeric('brightness', 7, { value_min: 0, value_max: 254 });

const EXPOSES: Record<KindName, Expose[]> = {
  light: [{ type: 'light', features: [STATE] }],
  dimmer: [{ type: 'light', features: [STATE, BRIGHTNESS] }],
  switch: [{ type: 'switch', features: [STATE] }],
  plug: [{ type: 'switch', features: [STATE] }, numeric('power', 5, { unit: 'W' }), numeric('energy', 5, { unit: 'kWh' })],
  thermostat: [{
    type: 'climate', features: [
      numeric('local_temperature', 5, { unit: '°C' }),
      numeric('occupied_heating_setpoint', 7, { unit: '°C', value_min: 5, value_max: 30, value_step: 0.5 }),
      numeric('pi_heating_demand', 5, { unit: '%', value_min: 0, value_max: 100 }),
    ],
  }, BATTERY],
  temperature: [numeric('temperature', 1, { unit: '°C' }), BATTERY],
  humidity: [numeric('humidity', 1, { unit: '%' }), BATTERY],
  motion: [binary('occupancy', 1, true, false, false), BATTERY],
  contact: [binary('contact', 1, true, false, false), BATTERY],
  button: [{ type: 'enum', name: 'action', property: 'action', access: 1, values: [...ACTIONS] }, BATTERY],
};

const MAINS = new Set<KindName>(['light', 'dimmer', 'switch', 'plug']);

export const ieeeAddress = (d: SimDevice): string => `0x00158d00${d.mac.slice(4).toLowerCase()}`;

/** The device's entry in the retained `bridge/devices` list. */
export function bridgeEntry(d: SimDevice, friendlyName: string): Record<string, unknown> {
  const mains = MAINS.has(d.kind);
  return {
    ieee_address: ieeeAddress(d), type: mains ? 'Router' : 'EndDevice', friendly_name: friendlyName,
    power_source: mains ? 'Mains (single phase)' : 'Battery', interview_completed: true,
    definition: { model: `SIM-${d.kind.toUpperCase()}`, vendor: 'rumah', description: `Simulated ${d.kind}`, exposes: [...EXPOSES[d.kind], LINKQUALITY], options: [] },
  };
}

/** The device's JSON state, `zigbee2mqtt/<friendly_name>`. */
export function zigbeeState(d: SimDevice, linkquality: number): Record<string, unknown> {
  const v = d.model.values();
  const battery = MAINS.has(d.kind) ? {} : { battery: 100 - (d.index % 40) };
  switch (d.kind) {
    case 'light': case 'switch': return { state: onOff(v.state), linkquality };
    case 'dimmer': return { state: onOff(v.state), brightness: Math.round((Number(v.brightness) * 254) / 255), linkquality };
    case 'plug': return { state: onOff(v.state), power: v.power, energy: v.energy, linkquality };
    case 'thermostat': return { local_temperature: v.temperature, occupied_heating_setpoint: v.setpoint, pi_heating_demand: v.valve, ...battery, linkquality };
    case 'motion': return { occupancy: v.motion, ...battery, linkquality };
    case 'contact': return { contact: !v.contact, ...battery, linkquality };
    case 'button': return { ...battery, linkquality };
    default: return { ...v, ...battery, linkquality };
  }
}

/** A Zigbee2MQTT property in a `/set` or `/get` body → the simulator's neutral property and value. */
export function neutralProperty(kind: KindName, property: string, value: Value): { property: string; value: Value } | undefined {
  if (property === 'state') return { property: 'state', value };
  if (property === 'brightness' && kind === 'dimmer') {
    return typeof value === 'number' ? { property, value: Math.round((value * 255) / 254) } : { property, value };
  }
  if (property === 'occupied_heating_setpoint' && kind === 'thermostat') return { property: 'setpoint', value };
  return undefined;
}
