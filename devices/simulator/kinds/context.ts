import type { Rng } from '../rng.js';
import type { DeviceModel } from '../types.js';

/** What a kind may know when it is created: its own random stream, its room (rooms differ in climate), the time. */
export interface KindContext {
  rng: Rng;
  room: string;
  now: number;
}

export type KindFactory = (ctx: KindContext) => DeviceModel;

/** Rough room temperatures: a bathroom is warmer than a bedroom, a garage colder than both. */
export function roomTemperature(room: string): number {
  const base: Record<string, number> = { bathroom: 23, bedroom: 19, garage: 14, utility: 18, hall: 19.5, kidsroom: 20.5 };
  return base[room] ?? 21;
}
