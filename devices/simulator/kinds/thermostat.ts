import { clamp, round } from '../rng.js';
import type { DeviceModel, PropertySpec, Value } from '../types.js';
import { roomTemperature, type KindContext } from './context.js';
import { asNumber, elapsed } from './values.js';

// A radiator thermostat: it measures the room, opens its valve in proportion to how far the room is below the set
// point, and the room warms with the valve and cools toward the outside. Minutes of simulated physics per minute
// of wall time, so a changed set point shows in the valve at once and in the temperature over the next minutes.

const TEMPERATURE: PropertySpec = { name: 'temperature', type: 'number', settable: false, unit: '°C' };
const SETPOINT: PropertySpec = { name: 'setpoint', type: 'number', settable: true, unit: '°C', min: 5, max: 30, step: 0.5 };
const VALVE: PropertySpec = { name: 'valve', type: 'number', settable: false, unit: '%', min: 0, max: 100 };

const OUTSIDE = 8;

export function createThermostat({ rng, room, now }: KindContext): DeviceModel {
  let setpoint = roomTemperature(room);
  let temperature = setpoint + rng.between(-1.5, 0.5);
  let last = now;
  const valve = (): number => Math.round(clamp((setpoint - temperature) * 60 + 10, 0, 100));

  return {
    kind: 'thermostat',
    properties: [TEMPERATURE, SETPOINT, VALVE],
    values: () => ({ temperature: round(temperature, 1), setpoint, valve: valve() }),
    tick(t: number) {
      const minutes = elapsed(last, t) / 60_000;
      last = t;
      const heating = 0.15 * (valve() / 100);
      const loss = 0.004 * (temperature - OUTSIDE);
      temperature = clamp(temperature + (heating - loss) * minutes + 0.02 * rng.gauss() * Math.sqrt(minutes), 5, 35);
      return { report: true };
    },
    set(property: string, value: Value): boolean {
      if (property !== 'setpoint') return false;
      const n = asNumber(value);
      if (n === undefined || n < SETPOINT.min! || n > SETPOINT.max!) return false;
      setpoint = Math.round(n * 2) / 2; // the device's 0.5 °C step
      return true;
    },
  };
}
