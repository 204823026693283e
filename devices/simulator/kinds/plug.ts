import { round } from '../rng.js';
import type { DeviceModel, PropertySpec, Value } from '../types.js';
import type { KindContext } from './context.js';
import { STATE } from './relay.js';
import { asSwitch, elapsed } from './values.js';

// A plug with a power meter. What is plugged in decides the load; a fridge's compressor cycles, the others draw a
// steady load with a little noise. Power follows the relay at once (0 W when off) and energy integrates power over
// time, so `energy` only ever grows, as a real meter's total does.

const POWER: PropertySpec = { name: 'power', type: 'number', settable: false, unit: 'W' };
const ENERGY: PropertySpec = { name: 'energy', type: 'number', settable: false, unit: 'kWh' };

const APPLIANCES = [
  { name: 'lamp', watts: 9 }, { name: 'tv', watts: 85 }, { name: 'computer', watts: 140 },
  { name: 'fridge', watts: 120, cycleMs: 20 * 60_000 }, { name: 'heater', watts: 1200 }, { name: 'kettle', watts: 2000 },
];

export function createPlug({ rng, now }: KindContext): DeviceModel {
  const appliance = rng.pick(APPLIANCES);
  let on = appliance.name === 'fridge' || rng.chance(0.5);
  let energy = round(rng.between(0.5, 400), 3);
  let last = now;
  let power = 0;

  const draw = (t: number): number => {
    if (!on) return 0;
    // A compressor runs a third of its cycle.
    if (appliance.cycleMs && (t % appliance.cycleMs) > appliance.cycleMs / 3) return round(rng.between(0.8, 1.5), 1);
    return round(Math.max(0, appliance.watts * (1 + 0.03 * rng.gauss())), 1);
  };
  power = draw(now);

  return {
    kind: 'plug',
    properties: [STATE, POWER, ENERGY],
    values: () => ({ state: on, power, energy: round(energy, 3) }),
    tick(t: number) {
      energy += (power * elapsed(last, t)) / 3_600_000_000; // W·ms → kWh
      last = t;
      power = draw(t);
      return { report: true };
    },
    set(property: string, value: Value, t: number): boolean {
      if (property !== 'state') return false;
      const next = asSwitch(value, on);
      if (next === undefined) return false;
      energy += (power * elapsed(last, t)) / 3_600_000_000;
      last = t;
      on = next;
      power = draw(t);
      return true;
    },
  };
}
