import type { DeviceModel, PropertySpec } from '../types.js';
import type { KindContext } from './context.js';

// A door or window contact. `contact` is true while open (the native convention's `open` word; Zigbee2MQTT's
// `contact` means the opposite, closed, and its wire format inverts it). Doors open for 5 to 60 s every several
// minutes; windows (a third of contacts) stay open for longer.

const CONTACT: PropertySpec = { name: 'contact', type: 'boolean', settable: false };

export function createContact({ rng, now }: KindContext): DeviceModel {
  const window = rng.chance(1 / 3);
  let current = now;
  let until = 0;
  let nextOpen = now + rng.exponential(120_000);
  return {
    kind: 'contact',
    properties: [CONTACT],
    values: () => ({ contact: current < until }),
    tick(t: number) {
      current = t;
      if (t >= nextOpen) {
        until = t + (window ? rng.between(60_000, 600_000) : rng.between(5_000, 60_000));
        nextOpen = until + rng.exponential(window ? 1_800_000 : 300_000);
      }
      return { report: true };
    },
    set: () => false,
  };
}
