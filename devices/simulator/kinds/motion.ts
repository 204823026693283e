import type { DeviceModel, PropertySpec } from '../types.js';
import type { KindContext } from './context.js';

// A motion sensor. Someone walks in now and then (a few minutes apart on average) and moves about for a while:
// motion is true in bursts of 15 to 90 s and false between them. A PIR re-triggers while there is movement, so a
// turn inside a burst reports true again.

const MOTION: PropertySpec = { name: 'motion', type: 'boolean', settable: false };

export function createMotion({ rng, now }: KindContext): DeviceModel {
  let current = now; // the time of the last turn: the state is as of then, not as of whenever it is read
  let until = 0;
  let nextBurst = now + rng.exponential(60_000);
  return {
    kind: 'motion',
    properties: [MOTION],
    values: () => ({ motion: current < until }),
    tick(t: number) {
      current = t;
      if (t >= nextBurst) {
        until = t + rng.between(15_000, 90_000);
        nextBurst = until + rng.exponential(180_000);
      }
      return { report: true };
    },
    set: () => false,
  };
}
