import { round } from '../rng.js';
import type { DeviceModel, PropertySpec } from '../types.js';
import { roomTemperature, type KindContext } from './context.js';
import { elapsed } from './values.js';

// A temperature sensor. The reading drifts slowly (a random walk of about 0.1 °C per minute) and is pulled back
// toward the room's usual temperature, so it wanders without running away; published to 0.1 °C as sensors do.

const TEMPERATURE: PropertySpec = { name: 'temperature', type: 'number', settable: false, unit: '°C' };

export function createTemperature({ rng, room, now }: KindContext): DeviceModel {
  const usual = roomTemperature(room) + rng.between(-0.7, 0.7);
  let value = usual + rng.between(-1, 1);
  let last = now;
  return {
    kind: 'temperature',
    properties: [TEMPERATURE],
    values: () => ({ temperature: round(value, 1) }),
    tick(t: number) {
      const minutes = elapsed(last, t) / 60_000;
      last = t;
      value += (usual - value) * 0.02 * minutes + 0.1 * rng.gauss() * Math.sqrt(minutes);
      return { report: true };
    },
    set: () => false,
  };
}
