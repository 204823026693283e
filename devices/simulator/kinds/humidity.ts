import { clamp, round } from '../rng.js';
import type { DeviceModel, PropertySpec } from '../types.js';
import type { KindContext } from './context.js';
import { elapsed } from './values.js';

// A humidity sensor: relative humidity wandering around the room's usual level. A bathroom has showers: now and
// then the humidity jumps up and decays back over a quarter of an hour.

const HUMIDITY: PropertySpec = { name: 'humidity', type: 'number', settable: false, unit: '%', min: 0, max: 100 };

export function createHumidity({ rng, room, now }: KindContext): DeviceModel {
  const usual = room === 'bathroom' ? 60 : rng.between(40, 55);
  let value = usual + rng.between(-3, 3);
  let last = now;
  return {
    kind: 'humidity',
    properties: [HUMIDITY],
    values: () => ({ humidity: round(value, 1) }),
    tick(t: number) {
      const minutes = elapsed(last, t) / 60_000;
      last = t;
      if (room === 'bathroom' && rng.chance(minutes / 120)) value = rng.between(80, 95);
      value += (usual - value) * (1 - Math.exp(-minutes / 15)) + 0.3 * rng.gauss() * Math.sqrt(minutes);
      value = clamp(value, 5, 100);
      return { report: true };
    },
    set: () => false,
  };
}
