import type { DeviceModel, PropertySpec } from '../types.js';
import type { KindContext } from './context.js';

// A wireless button. It has no state, only presses: an event each time, published when it happens and never
// retained (a retained press would fire again for every new subscriber). Most turns nobody presses it, so the
// turn passes to the next device; presses are mostly single.

export const ACTIONS = ['single', 'double', 'long'] as const;
const ACTION: PropertySpec = { name: 'action', type: 'enum', settable: false, values: ACTIONS, event: true };

export function createButton({ rng }: KindContext): DeviceModel {
  return {
    kind: 'button',
    properties: [ACTION],
    values: () => ({}),
    tick() {
      if (!rng.chance(0.25)) return { report: false };
      const r = rng.next();
      return { report: true, event: { property: 'action', value: r < 0.7 ? 'single' : r < 0.9 ? 'double' : 'long' } };
    },
    set: () => false,
  };
}
