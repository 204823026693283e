import type { Device } from '../../../server/core/model.js';
import { areaKey } from '../../../server/core/prettify.js';
import type { AreaView } from '../../../server/realtime/protocol.js';

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

/**
 * Floors, then rooms, then devices (by name). Floors and rooms in the order of the hub's areas (server/api/areas.ts);
 * a name no area has (none should remain once the hub adopted them) after those, alphabetically; no area last.
 */
export function groupByArea(devices: readonly Device[], areas: readonly AreaView[] = []): Floor[] {
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
  const floorRank = new Map<string, number>();
  const roomRank = new Map<string, number>();
  const floorKeyOf = new Map<number, string>();
  for (const a of areas) {
    if (a.kind === 'floor') {
      floorRank.set(areaKey(a.name), a.position);
      floorKeyOf.set(a.id, areaKey(a.name));
    }
  }
  for (const a of areas) if (a.kind === 'room') roomRank.set(`${a.floorId === undefined ? '' : floorKeyOf.get(a.floorId) ?? '?'}/${areaKey(a.name)}`, a.position);
  const order = (rank: (name: string) => number | undefined, fallback: string) => (a: string, b: string): number => {
    const last = (name: string): number => (name === fallback ? 1 : 0);
    const ra = rank(a) ?? Infinity;
    const rb = rank(b) ?? Infinity;
    return last(a) - last(b) || (ra === rb ? 0 : ra < rb ? -1 : 1) || collator.compare(a, b);
  };
  return [...floors.keys()]
    .sort(order((name) => floorRank.get(areaKey(name)), noFloor))
    .map((name) => {
      const rooms = floors.get(name)!;
      const floorKey = name === noFloor ? '' : areaKey(name);
      return {
        name,
        rooms: [...rooms.keys()]
          .sort(order((room) => roomRank.get(`${floorKey}/${areaKey(room)}`), noRoom))
          .map((room) => ({ name: room, ids: rooms.get(room)!.sort((x, y) => collator.compare(x.name, y.name)).map((d) => d.id) })),
      };
    });
}

/** "groundfloor" → "Groundfloor", "living_room" → "Living room": topic levels read as labels. */
export function areaLabel(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** An area as offered in a picker: a floor ("First floor") or a room ("First floor › Kitchen"). */
export interface AreaChoice {
  id: number;
  label: string;
}

/** Every area in order, each floor followed by its rooms: the options of the move controls. */
export function areaChoices(areas: readonly AreaView[]): AreaChoice[] {
  const floors = areas.filter((a) => a.kind === 'floor');
  const rooms = areas.filter((a) => a.kind === 'room');
  const choices: AreaChoice[] = [];
  for (const f of floors) {
    choices.push({ id: f.id, label: f.name });
    for (const r of rooms) if (r.floorId === f.id) choices.push({ id: r.id, label: `${f.name} › ${r.name}` });
  }
  for (const r of rooms) if (r.floorId === undefined) choices.push({ id: r.id, label: r.name });
  return choices;
}

/** The area a device is in: its room if it has one, else its floor; undefined when none matches. */
export function areaOf(device: Pick<Device, 'floor' | 'room'>, areas: readonly AreaView[]): AreaView | undefined {
  const floor = device.floor ? areas.find((a) => a.kind === 'floor' && areaKey(a.name) === areaKey(device.floor!)) : undefined;
  if (device.room) {
    const key = areaKey(device.room);
    const room = areas.find((a) => a.kind === 'room' && areaKey(a.name) === key && a.floorId === floor?.id);
    if (room) return room;
  }
  return floor;
}

/** "First floor › Kitchen", "First floor", or "—". */
export function placeLabel(device: Pick<Device, 'floor' | 'room'>): string {
  if (device.floor && device.room) return `${device.floor} › ${device.room}`;
  return device.floor || device.room || '—';
}
