import type { Device } from '../../../server/core/model.js';

export interface Room {
  name: string;
  ids: string[];
}

export interface Floor {
  name: string;
  rooms: Room[];
}

/** Shown for devices without an area; sorted last. */
export const noFloor = 'Elsewhere';
export const noRoom = 'Unassigned';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Floors, then rooms, then devices (by name): from the topic hierarchy or the area a user assigned. */
export function groupByArea(devices: readonly Device[]): Floor[] {
  const floors = new Map<string, Map<string, Device[]>>();
  for (const d of devices) {
    const floor = d.floor || noFloor;
    const room = d.room || noRoom;
    let rooms = floors.get(floor);
    if (!rooms) floors.set(floor, (rooms = new Map()));
    let list = rooms.get(room);
    if (!list) rooms.set(room, (list = []));
    list.push(d);
  }
  const last = (name: string, fallback: string): number => (name === fallback ? 1 : 0);
  return [...floors.entries()]
    .sort(([a], [b]) => last(a, noFloor) - last(b, noFloor) || collator.compare(a, b))
    .map(([name, rooms]) => ({
      name,
      rooms: [...rooms.entries()]
        .sort(([a], [b]) => last(a, noRoom) - last(b, noRoom) || collator.compare(a, b))
        .map(([room, list]) => ({ name: room, ids: list.sort((x, y) => collator.compare(x.name, y.name)).map((d) => d.id) })),
    }));
}

/** "groundfloor" → "Groundfloor", "living_room" → "Living room": topic levels read as labels. */
export function areaLabel(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
