import { KINDS, KIND_CYCLE } from './kinds/index.js';
import { createRng, deviceSeed } from './rng.js';
import type { KindName, SimDevice } from './types.js';

// Where each virtual device lives. Devices are spread over the floors and rooms of the home: kinds follow
// KIND_CYCLE (period 10) and rooms follow ROOMS (period 11); the periods are coprime, so the first 110 devices
// are all different (kind, room) pairs and a room never has two lights before every room has one.

export const FLOORS: Readonly<Record<string, readonly string[]>> = {
  groundfloor: ['livingroom', 'kitchen', 'hall', 'diningroom', 'utility', 'garage'],
  firstfloor: ['bedroom', 'bathroom', 'office', 'kidsroom', 'guestroom'],
};

const ROOMS: readonly { floor: string; room: string }[] = Object.entries(FLOORS).flatMap(([floor, rooms]) => rooms.map((room) => ({ floor, room })));

const ROOM_NAMES: Record<string, string> = { livingroom: 'Living room', diningroom: 'Dining room', kidsroom: 'Kids room', guestroom: 'Guest room' };

export function roomName(room: string): string {
  return ROOM_NAMES[room] ?? room.charAt(0).toUpperCase() + room.slice(1);
}

export interface LayoutOptions {
  count: number;
  seed: number;
  home?: string;
  /** Restrict (and order) the kinds handed out; all kinds by default. */
  kinds?: readonly KindName[];
  now?: number;
}

export function layoutDevices(opts: LayoutOptions): SimDevice[] {
  const home = opts.home ?? 'ourhome';
  const cycle = opts.kinds && opts.kinds.length > 0 ? opts.kinds : KIND_CYCLE;
  const now = opts.now ?? Date.now();
  const seen = new Map<string, number>();
  // A locally administered MAC block (02:…) per seed; consecutive indexes keep a run's MACs unique.
  const macBase = deviceSeed(opts.seed, -1);
  const devices: SimDevice[] = [];
  for (let index = 0; index < opts.count; index++) {
    const kind = cycle[index % cycle.length]!;
    const { floor, room } = ROOMS[index % ROOMS.length]!;
    const n = (seen.get(`${room}/${kind}`) ?? 0) + 1;
    seen.set(`${room}/${kind}`, n);
    const rng = createRng(deviceSeed(opts.seed, index));
    devices.push({
      index, kind, home, floor, room,
      model: KINDS[kind]({ rng, room, now }),
      thing: n === 1 ? kind : `${kind}_${n}`,
      name: `${roomName(room)} ${kind}${n === 1 ? '' : ` ${n}`}`,
      slug: n === 1 ? `${room}-${kind}` : `${room}-${kind}-${n}`,
      mac: `02A5${((macBase + index) >>> 0).toString(16).padStart(8, '0')}`.toUpperCase(),
    });
  }
  return devices;
}

/** `ourhome/groundfloor/livingroom/light`: the device's place in the native home topics. */
export function homeTopic(d: SimDevice): string {
  return `${d.home}/${d.floor}/${d.room}/${d.thing}`;
}
