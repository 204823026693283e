import type { Fields } from '../../shared/fields.js';
import { accessOf, type CapabilityInfo } from '../../shared/capability.js';
import { templatedState, type FieldPlan } from '../field.js';
import { pickName, propertyFromTemplate, template, toBinary, toEnum, toNumber, toText, word, type BuildContext } from './common.js';

// `sensor` and `binary_sensor` (HA docs sensor.mqtt.markdown, binary_sensor.mqtt.markdown): report only.

/** Sensor device classes whose state is a number (HA `SensorDeviceClass`, minus date, timestamp and enum). */
const NUMERIC_CLASSES = new Set([
  'absolute_humidity', 'apparent_power', 'aqi', 'area', 'atmospheric_pressure', 'battery', 'blood_glucose_concentration',
  'carbon_dioxide', 'carbon_monoxide', 'conductivity', 'current', 'data_rate', 'data_size', 'distance', 'duration',
  'energy', 'energy_distance', 'energy_storage', 'frequency', 'gas', 'humidity', 'illuminance', 'irradiance', 'moisture',
  'monetary', 'nitrogen_dioxide', 'nitrogen_monoxide', 'nitrous_oxide', 'ozone', 'ph', 'pm1', 'pm10', 'pm25', 'power',
  'power_factor', 'precipitation', 'precipitation_intensity', 'pressure', 'reactive_energy', 'reactive_power',
  'signal_strength', 'sound_pressure', 'speed', 'sulphur_dioxide', 'temperature', 'volatile_organic_compounds',
  'volatile_organic_compounds_parts', 'voltage', 'volume', 'volume_flow_rate', 'volume_storage', 'water', 'weight',
  'wind_direction', 'wind_speed',
]);

/** The facts every capability carries from its config (class, statistics, category, expiry). */
export function extras(r: Fields): Partial<CapabilityInfo> {
  const out: Partial<CapabilityInfo> = {};
  const deviceClass = r.str('device_class');
  const stateClass = r.str('state_class');
  const category = r.str('entity_category');
  const expireAfter = r.num('expire_after', { min: 0 });
  if (deviceClass) out.deviceClass = deviceClass;
  if (stateClass) out.stateClass = stateClass;
  if (category === 'config' || category === 'diagnostic') out.category = category;
  // 0 means "never expires" in HA.
  if (expireAfter) out.expireAfter = expireAfter;
  return out;
}

export function sensor(r: Fields, ctx: BuildContext): FieldPlan[] {
  const topic = r.str('state_topic', true);
  const tpl = template(r, 'value_template');
  const deviceClass = r.str('device_class');
  const unit = r.str('unit_of_measurement');
  const options = r.strList('options');
  const name = pickName(propertyFromTemplate(tpl), deviceClass, r.str('name'), ctx.objectId);
  if (topic === undefined) return [];
  const base = { access: accessOf(true, false), ...extras(r) };
  if (deviceClass === 'enum' || options) {
    const values = options ?? [];
    return [{ name, capability: { kind: 'enum', values, ...base }, state: templatedState(topic, tpl, toEnum(values)) }];
  }
  const numeric = unit !== undefined || r.has('state_class') || (deviceClass !== undefined && NUMERIC_CLASSES.has(deviceClass));
  if (!numeric) return [{ name, capability: { kind: 'text', ...base }, state: templatedState(topic, tpl, toText) }];
  const capability = { kind: 'numeric' as const, ...base, ...(unit ? { unit } : {}) };
  return [{ name, capability, state: templatedState(topic, tpl, toNumber) }];
}

export function binarySensor(r: Fields, ctx: BuildContext): FieldPlan[] {
  const topic = r.str('state_topic', true);
  const tpl = template(r, 'value_template');
  const on = word(r, 'payload_on', 'ON');
  const off = word(r, 'payload_off', 'OFF');
  const name = pickName(propertyFromTemplate(tpl), r.str('device_class'), r.str('name'), ctx.objectId);
  if (topic === undefined) return [];
  const capability = { kind: 'binary' as const, access: accessOf(true, false), on, off, ...extras(r) };
  return [{ name, capability, state: templatedState(topic, tpl, toBinary(on, off)) }];
}
