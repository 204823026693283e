import type { AreaView } from '../../../server/realtime/protocol.js';
import { areaKey } from '../../../server/core/prettify.js';
import type { ViewDevice } from '../live/store.js';

// The Devices page's search, filters and sort, as pure functions of the devices and the page's choices.

export type SortKey = 'name' | 'area' | 'convention' | 'owner' | 'availability' | 'lastSeen' | 'battery' | 'link';

export interface ListQuery {
  text: string;
  /** '' all; 'none' without an area; else an area id (a floor: its devices in any of its rooms). */
  area: string;
  convention: string;
  availability: string;
  sort: SortKey;
  descending: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** A device's battery (%), from `battery`; absent when the device reports none. */
export function batteryOf(d: ViewDevice): number | undefined {
  const v = d.state.battery?.value;
  return typeof v === 'number' ? v : undefined;
}

/** A device's link quality: Zigbee's `linkquality` (0–255) or a Wi-Fi RSSI (dBm), as the device reports it. */
export function linkOf(d: ViewDevice): { value: number; unit: string } | undefined {
  const lqi = d.state.linkquality?.value;
  if (typeof lqi === 'number') return { value: lqi, unit: 'LQI' };
  for (const key of ['rssi', 'wifi_rssi', 'signal']) {
    const v = d.state[key]?.value;
    if (typeof v === 'number') return { value: v, unit: key === 'signal' ? '' : 'dBm' };
  }
  return undefined;
}

const availabilityRank: Record<string, number> = { online: 0, stale: 1, unknown: 2, offline: 3, disabled: 4 };

/** What the Availability column says: `disabled` (an admin's choice) before whatever the device last was. */
export function shownAvailability(d: ViewDevice): string {
  return d.disabled ? 'disabled' : d.availability;
}

/** The devices the query selects, sorted; ties by name, then id, so the order is stable. */
export function selectDevices(devices: readonly ViewDevice[], areas: readonly AreaView[], q: ListQuery): ViewDevice[] {
  const text = q.text.trim().toLowerCase();
  const inArea = areaTest(areas, q.area);
  const list = devices.filter((d) =>
    (!text || d.name.toLowerCase().includes(text) || d.id.toLowerCase().includes(text) || d.topic.toLowerCase().includes(text)) &&
    inArea(d) && (!q.convention || d.convention === q.convention) && (!q.availability || shownAvailability(d) === q.availability));
  const areaRank = areaRanks(areas);
  const value = (d: ViewDevice): string | number | undefined => {
    switch (q.sort) {
      case 'name': return d.name;
      case 'area': return areaRank(d);
      case 'convention': return d.convention;
      case 'owner': return d.owner;
      case 'availability': return availabilityRank[shownAvailability(d)];
      case 'lastSeen': return d.lastSeen;
      case 'battery': return batteryOf(d);
      case 'link': return linkOf(d)?.value;
    }
  };
  const keyed = list.map((d) => ({ d, v: value(d) }));
  const dir = q.descending ? -1 : 1;
  keyed.sort((a, b) => {
    // Devices without the value go last whichever way the column is sorted.
    if (a.v === undefined || b.v === undefined) {
      if (a.v !== b.v) return a.v === undefined ? 1 : -1;
    } else if (a.v !== b.v) {
      return dir * (typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : collator.compare(String(a.v), String(b.v)));
    }
    return collator.compare(a.d.name, b.d.name) || (a.d.id < b.d.id ? -1 : a.d.id > b.d.id ? 1 : 0);
  });
  return keyed.map((k) => k.d);
}

function areaTest(areas: readonly AreaView[], choice: string): (d: ViewDevice) => boolean {
  if (!choice) return () => true;
  if (choice === 'none') return (d) => !d.floor && !d.room;
  const area = areas.find((a) => String(a.id) === choice);
  if (!area) return () => false;
  const key = areaKey(area.name);
  if (area.kind === 'floor') return (d) => d.floor !== undefined && areaKey(d.floor) === key;
  const floor = areas.find((a) => a.id === area.floorId);
  const floorKey = floor ? areaKey(floor.name) : undefined;
  return (d) => d.room !== undefined && areaKey(d.room) === key && (d.floor ? areaKey(d.floor) : undefined) === floorKey;
}

/** Sorting by area follows the areas' order: floor position, then room position; no area last. */
function areaRanks(areas: readonly AreaView[]): (d: ViewDevice) => number | undefined {
  const floors = new Map<string, AreaView>();
  for (const a of areas) if (a.kind === 'floor') floors.set(areaKey(a.name), a);
  const rooms = new Map<string, number>();
  for (const a of areas) if (a.kind === 'room') rooms.set(`${a.floorId ?? ''}/${areaKey(a.name)}`, a.position);
  return (d) => {
    if (!d.floor && !d.room) return undefined;
    const floor = d.floor ? floors.get(areaKey(d.floor)) : undefined;
    const room = d.room ? rooms.get(`${floor?.id ?? ''}/${areaKey(d.room)}`) : undefined;
    return (floor ? floor.position : 9_999) * 10_000 + (room === undefined ? -1 : room);
  };
}
