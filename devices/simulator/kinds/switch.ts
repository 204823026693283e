import type { DeviceModel } from '../types.js';
import type { KindContext } from './context.js';
import { relayModel } from './relay.js';

/** A wall switch or relay module (a fan, a towel rail): on or off, no metering. */
export function createSwitch({ rng }: KindContext): DeviceModel {
  return relayModel('switch', rng.chance(0.2));
}
