import type { Capability } from '../../server/core/model.js';
import { accessOf } from '../shared/capability.js';
import { propertySlug } from '../shared/ids.js';
import { MAX_CAPABILITIES_PER_DEVICE } from '../shared/limits.js';
import { isObject } from '../shared/payload.js';

// Tasmota sensor JSON (`tele/<topic>/SENSOR`, and the `sn` object of `tasmota/discovery/<mac>/sensors`), e.g.
// {"Time":"…","ENERGY":{"Total":12.351,"Power":52},"DS18B20":{"Temperature":20.6},"TempUnit":"C"}
// → numeric properties. Energy readings carry their unit in the name (`power_w`, `energy_kwh`) because `power`
// is already the relay; other sensors are `<sensor>_<reading>` (`ds18b20_temperature`).

const ENERGY: Record<string, [string, string]> = {
  Total: ['energy_kwh', 'kWh'], Today: ['energy_today_kwh', 'kWh'], Yesterday: ['energy_yesterday_kwh', 'kWh'],
  Power: ['power_w', 'W'], ApparentPower: ['apparent_power_va', 'VA'], ReactivePower: ['reactive_power_var', 'var'],
  Factor: ['power_factor', ''], Voltage: ['voltage_v', 'V'], Current: ['current_a', 'A'], Frequency: ['frequency_hz', 'Hz'],
};

const UNITS: Record<string, string> = {
  Humidity: '%', Pressure: 'hPa', SeaPressure: 'hPa', Illuminance: 'lx', CarbonDioxide: 'ppm', CO2: 'ppm', eCO2: 'ppm',
  TVOC: 'ppb', Distance: 'cm', PM2_5: 'µg/m³', PM10: 'µg/m³', PM1: 'µg/m³', UvIndex: '',
};

export interface SensorReading {
  capability: Capability;
  value: number;
}

/** Every numeric reading in a sensor JSON object, named and with its unit. */
export function readSensors(sensor: Record<string, unknown>): SensorReading[] {
  const out: SensorReading[] = [];
  const tempUnit = sensor.TempUnit === 'F' ? '°F' : '°C';
  const pressureUnit = typeof sensor.PressureUnit === 'string' ? sensor.PressureUnit : 'hPa';
  const push = (property: string, unit: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !property || out.length >= MAX_CAPABILITIES_PER_DEVICE) return;
    out.push({ capability: { property, kind: 'numeric', access: accessOf(true, false), ...(unit ? { unit } : {}) }, value });
  };
  const unitOf = (key: string) =>
    /Temperature|DewPoint/.test(key) ? tempUnit : key === 'Pressure' || key === 'SeaPressure' ? pressureUnit : (Object.hasOwn(UNITS, key) ? UNITS[key]! : '');
  for (const [name, reading] of Object.entries(sensor)) {
    if (name === 'ENERGY' && isObject(reading)) {
      for (const [key, value] of Object.entries(reading)) {
        // Own keys only: a device's key "constructor" must not find Object's.
        const [property, unit] = Object.hasOwn(ENERGY, key) ? ENERGY[key]! : [`energy_${propertySlug(key)}`, ''];
        // Multi-channel meters report arrays: one property per channel.
        if (Array.isArray(value)) value.forEach((v, i) => push(`${property}_${i + 1}`, unit, v));
        else push(property, unit, value);
      }
    } else if (isObject(reading)) {
      for (const [key, value] of Object.entries(reading)) push(`${propertySlug(name)}_${propertySlug(key)}`, unitOf(key), value);
    } else push(propertySlug(name), unitOf(name), reading);
  }
  return out;
}
