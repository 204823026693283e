import type { DeviceModel } from '../types.js';
import type { KindContext } from './context.js';
import { relayModel } from './relay.js';

/** A light that is on or off. Most lights start off; an evening home has a few on. */
export function createLight({ rng }: KindContext): DeviceModel {
  return relayModel('light', rng.chance(0.3));
}
