import type { Capability, Device } from '../core/model.js';
import type { CapabilityInfo } from '../../devices/shared/capability.js';
import { availabilityTopic, commandTopic, hubStatusTopic, objectId, stateTopic } from './ha-topics.js';

// One device's Home Assistant device-based discovery config (HA docs mqtt.markdown, "Device discovery payload":
// `dev`, `o` and `cmps` required, every component with `p` and `uniq_id`; keys abbreviated as HA documents them).
// State comes from rumah's own topic `rumah/<id>/state` (one JSON object, rumah's normalised values) whatever the
// device's convention: Homie and Shelly spread a device over many topics, Tasmota and Zigbee2MQTT use their own
// words and shapes, and HA should show what rumah shows. Commands go to `rumah/<id>/<property>/set` and through
// api.devices.command(), so HA meets the same capability check, rate limit and convention encoder as the dashboard.

export interface Origin {
  name: string;
  sw?: string;
}

type Json = Record<string, unknown>;

/** Property names that may go into a topic level and a Jinja string literal as they are. */
const safeProperty = /^[A-Za-z0-9_.:-]{1,64}$/;

// Device classes for what the native convention names by word (devices/native/payload.ts); HA refuses a config with
// a class its component does not know, so only classes from HA's lists for that component.
const sensorClasses: Record<string, string> = {
  temperature: 'temperature', humidity: 'humidity', pressure: 'pressure', illuminance: 'illuminance', lux: 'illuminance',
  co2: 'carbon_dioxide', battery: 'battery', voltage: 'voltage', current: 'current', power: 'power', energy: 'energy',
  pm25: 'pm25', pm10: 'pm10',
};
const binaryClasses: Record<string, string> = {
  motion: 'motion', occupancy: 'occupancy', presence: 'presence', door: 'door', window: 'window', contact: 'opening',
  leak: 'moisture', water: 'moisture', smoke: 'smoke', vibration: 'vibration',
};
const lightWords = /light|lamp|bulb/i;

function humanise(property: string): string {
  const words = property.replace(/[_.:-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function valueTemplate(property: string): string {
  return `{{ value_json['${property}'] }}`;
}

/** rumah's binary values are JSON booleans; HA's components compare against `ON`/`OFF`. */
function onOffTemplate(property: string): string {
  return `{{ 'ON' if value_json['${property}'] else 'OFF' }}`;
}

/**
 * A light that dims: its settable `brightness` (0..max) goes into the light component (HA's default light schema:
 * `brightness_command_topic`, `_state_topic`, `_value_template`, `_scale`) instead of a number entity beside it.
 */
function dimmer(device: Device): Capability | undefined {
  return device.capabilities.find((c) => c.property === 'brightness' && c.kind === 'numeric' && c.access.settable && safeProperty.test(c.property));
}

function component(device: Device, cap: CapabilityInfo, uniq: string, brightness?: Capability): Json | undefined {
  const p = cap.property;
  const base: Json = { uniq_id: uniq, name: humanise(p) };
  if (cap.category) base.ent_cat = cap.category;
  if (cap.expireAfter) base.exp_aft = cap.expireAfter;
  const settable = cap.access.settable;
  const cmd = settable ? { cmd_t: commandTopic(device.id, p) } : {};
  const unit = cap.unit ? { unit_of_meas: cap.unit } : {};
  switch (cap.kind) {
    case 'binary': {
      if (!settable) {
        const dc = cap.deviceClass ?? binaryClasses[p.toLowerCase()];
        return { p: 'binary_sensor', ...base, val_tpl: onOffTemplate(p), ...(dc ? { dev_cla: dc } : {}) };
      }
      const isLight = brightness !== undefined || lightWords.test(p) || (device.convention === 'native' && lightWords.test(device.topic.split('/').pop() ?? ''));
      const dims = brightness
        ? { bri_cmd_t: commandTopic(device.id, brightness.property), bri_stat_t: stateTopic(device.id), bri_val_tpl: valueTemplate(brightness.property), bri_scl: brightness.max ?? 255 }
        : {};
      if (isLight) return { p: 'light', ...base, ...cmd, stat_val_tpl: onOffTemplate(p), pl_on: 'ON', pl_off: 'OFF', ...dims };
      return { p: 'switch', ...base, ...cmd, val_tpl: onOffTemplate(p), pl_on: 'ON', pl_off: 'OFF' };
    }
    case 'numeric': {
      const dc = cap.deviceClass ?? sensorClasses[p.toLowerCase()];
      const cls = dc ? { dev_cla: dc } : {};
      if (settable) {
        return { p: 'number', ...base, ...cmd, val_tpl: valueTemplate(p), ...unit, ...cls, ...(cap.min !== undefined ? { min: cap.min } : {}), ...(cap.max !== undefined ? { max: cap.max } : {}), ...(cap.step !== undefined ? { step: cap.step } : {}) };
      }
      // Long-term statistics need a state class; energy counters are `total_increasing`, which only the device knows.
      const stateClass = cap.stateClass ?? (cap.unit && !/Wh$/.test(cap.unit) ? 'measurement' : undefined);
      return { p: 'sensor', ...base, val_tpl: valueTemplate(p), ...unit, ...cls, ...(stateClass ? { stat_cla: stateClass } : {}) };
    }
    case 'enum':
      if (settable) return { p: 'select', ...base, ...cmd, val_tpl: valueTemplate(p), ops: cap.values ?? [] };
      return { p: 'sensor', ...base, val_tpl: valueTemplate(p), dev_cla: 'enum', ops: cap.values ?? [] };
    case 'text':
      if (settable) return { p: 'text', ...base, ...cmd, val_tpl: valueTemplate(p) };
      return { p: 'sensor', ...base, val_tpl: valueTemplate(p) };
    default:
      // Events (button presses) are never state; HA's `event` component would need the event types up front.
      return undefined;
  }
}

/**
 * The discovery config for `device`, or undefined when it has nothing HA could show. Properties whose names cannot
 * be a topic level or a template literal are left out (and named in `skipped`).
 */
export function discoveryConfig(device: Device, origin: Origin): { config: Json; skipped: string[] } | undefined {
  const obj = objectId(device.id);
  const cmps: Json = {};
  const skipped: string[] = [];
  const bri = dimmer(device);
  // The switch the brightness belongs to: the first settable binary property.
  const main = bri && device.capabilities.find((c) => c.kind === 'binary' && c.access.settable && safeProperty.test(c.property));
  for (const cap of device.capabilities as Capability[]) {
    if (!safeProperty.test(cap.property)) {
      skipped.push(cap.property);
      continue;
    }
    if (main && cap === bri) continue;
    const key = cap.property.replace(/[^A-Za-z0-9_-]/g, '_');
    const c = component(device, cap as CapabilityInfo, `${obj}_${key}`, cap === main ? bri : undefined);
    if (c) cmps[key] = c;
  }
  const keys = Object.keys(cmps);
  if (keys.length === 0) return undefined;
  // The one property of a single-property device is its main feature: HA names it after the device.
  if (keys.length === 1) (cmps[keys[0]!] as Json).name = null;
  const dev: Json = { ids: [obj], name: device.name, mf: 'rumah', mdl: `${device.convention} device` };
  if (device.room) dev.sa = humanise(device.room);
  return {
    config: {
      dev,
      o: { name: origin.name, ...(origin.sw ? { sw: origin.sw } : {}) },
      stat_t: stateTopic(device.id),
      // Unavailable when the hub is gone (it cannot have a will of its own: it is the broker) or the device is.
      avty: [{ t: hubStatusTopic }, { t: availabilityTopic(device.id) }],
      avty_mode: 'all',
      qos: 1,
      cmps,
    },
    skipped,
  };
}
