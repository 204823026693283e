import { displayText } from '../core/display-text.js';
import { ErrorCodes, excerpt, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Device } from '../core/model.js';
import { areaKey, prettify } from '../core/prettify.js';
import type { Registry } from '../core/registry.js';
import type { AreaView } from '../realtime/protocol.js';
import type { StoredArea } from '../store/areas-repo.js';

/** At most this many floors and rooms together: topics create areas, and every stored thing is bounded. */
export const maxAreas = 1000;
/** Of those, at most this many made by the topics of one MQTT account's devices: one account cannot fill the list. */
export const maxAreasPerAccount = 200;
export const maxAreaName = 128;
/** Earlier names an area answers to (see update); the oldest are let go. */
const maxAliases = 10;

interface AreaStore {
  all(): Promise<StoredArea[]>;
  save(areas: readonly StoredArea[], removed?: readonly number[]): Promise<void>;
}

type Place = Pick<Device, 'floor' | 'room'>;

/**
 * Floors and rooms as things (issue 18, docs/dashboard.md "Areas"). A device keeps the *names* of its floor and room
 * (Device.floor, Device.room: what the home page, rules and exports already read); this keeps the list, its order,
 * and every device's names equal to an area's: renaming an area renames it on all its devices, deleting one leaves
 * its devices unassigned. Names are matched by areaKey() (case, spaces, `_` and `-` do not count), so "Firstfloor"
 * typed or published later lands in "First floor". Held in memory; every change is saved to rumah.db.
 */
export class AreasApi {
  private readonly areas = new Map<number, StoredArea>();
  private readonly listeners = new Set<() => void>();
  private nextId = 1;
  private registry?: Registry;
  /** Saves in order; a save that fails is logged (API calls also see it). */
  private saving: Promise<void> = Promise.resolve();
  private warned = 0;

  constructor(private readonly repo: AreaStore, private readonly log: Logger) {}

  async load(): Promise<void> {
    for (const a of await this.repo.all()) this.areas.set(a.id, a);
    this.nextId = Math.max(0, ...this.areas.keys()) + 1;
  }

  /**
   * Devices restored from rumah.db get their floor and room from the list, made on the way from their free-text
   * names (the migration of issue 18: "First floor" and "Firstfloor" become one floor).
   */
  async adopt(registry: Registry): Promise<void> {
    this.registry = registry;
    const created: StoredArea[] = [];
    for (const device of registry.list()) {
      const place = this.resolve(device.floor, device.room, created);
      if (place.floor !== device.floor || place.room !== device.room) registry.update(device.id, place);
    }
    if (created.length > 0) {
      this.log.info({ areas: created.length }, 'areas made from the floors and rooms devices had');
      await this.persist(created);
    }
  }

  /** The registry's hook for a new device: its floor and room from its topic become (or join) areas. */
  place(device: Device): void {
    if (!device.floor && !device.room) return;
    const created: StoredArea[] = [];
    Object.assign(device, this.resolve(device.floor, device.room, created, device.owner));
    if (created.length > 0) void this.persist(created).catch(() => undefined);
  }

  /** Free text from the older API (PATCH /api/devices/:id with floor, room): the areas it names, made if new. */
  async canonical(floor: string | undefined, room: string | undefined): Promise<Place> {
    const created: StoredArea[] = [];
    const place = this.resolve(floor, room, created);
    await this.persist(created);
    return place;
  }

  /** Floors in order, then rooms in order (by floor order). */
  list(): AreaView[] {
    const floors = this.sorted('floor');
    const order = new Map(floors.map((f, i) => [f.id, i]));
    const rooms = this.sorted('room').sort((a, b) => (order.get(a.floorId ?? -1) ?? -1) - (order.get(b.floorId ?? -1) ?? -1) || a.position - b.position);
    return [...floors, ...rooms].map(({ owner: _owner, aliases: _aliases, ...area }) => area);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  async create(kind: AreaView['kind'], rawName: string, floorId?: number): Promise<AreaView> {
    const name = cleanName(rawName);
    if (kind === 'room') {
      if (floorId === undefined) throw bad('floorId: a room needs its floor');
      this.floor(floorId);
    } else if (floorId !== undefined) throw bad('floorId: only rooms have a floor');
    this.checkFree(kind, name, floorId);
    if (this.areas.size >= maxAreas) throw new RumahError(ErrorCodes.CONFLICT, `at most ${maxAreas} floors and rooms; delete some first`);
    const area = this.add(kind, name, floorId);
    await this.persist([area]);
    return area;
  }

  /**
   * Renames an area (and it on all its devices), moves it to `position` among its siblings (0 = first), and/or a
   * room to another floor (its devices move with it).
   */
  async update(id: number, patch: { name?: string; position?: number; floorId?: number }): Promise<AreaView> {
    const area = this.get(id);
    const name = patch.name === undefined ? area.name : cleanName(patch.name);
    let floorId = area.floorId;
    if (patch.floorId !== undefined) {
      if (area.kind !== 'room') throw bad('floorId: only rooms have a floor');
      this.floor(patch.floorId);
      floorId = patch.floorId;
    }
    this.checkFree(area.kind, name, floorId, id);
    const members = this.members(area);
    const changed: StoredArea[] = [];
    const next: StoredArea = { ...area, name, ...(floorId === undefined ? {} : { floorId }) };
    // A device still publishing under the old topic word (`firstfloor` after "First floor" became "Upstairs") lands
    // here, not in a new "First floor": the old name's key is kept as an alias.
    const oldKey = areaKey(area.name);
    if (oldKey !== areaKey(name)) next.aliases = [...(area.aliases ?? []).filter((k) => k !== oldKey && k !== areaKey(name)), oldKey].slice(-maxAliases);
    if (floorId !== area.floorId) next.position = this.siblings(area.kind, floorId).length;
    this.areas.set(id, next);
    changed.push(next);
    if (patch.position !== undefined || floorId !== area.floorId) {
      const order = this.siblings(area.kind, floorId).filter((a) => a.id !== id);
      order.splice(Math.max(0, Math.min(order.length, patch.position ?? order.length)), 0, next);
      order.forEach((a, i) => {
        if (a.position !== i || a === next) changed.push(this.setArea({ ...a, position: i }));
      });
      if (floorId !== area.floorId) this.siblings('room', area.floorId).forEach((a, i) => a.position !== i && changed.push(this.setArea({ ...a, position: i })));
    }
    await this.persist(dedupe(changed));
    const floorName = floorId === undefined ? undefined : this.areas.get(floorId)?.name;
    for (const device of members) {
      if (area.kind === 'floor') this.registry?.update(device.id, { floor: name });
      else this.registry?.update(device.id, { floor: floorName, room: name });
    }
    const { owner: _owner, aliases: _aliases, ...view } = this.areas.get(id)!;
    return view;
  }

  /**
   * Deletes an area once for all its devices: a floor's devices lose floor and room (its rooms go too), a room's
   * devices stay on their floor without a room. Returns how many devices were left so.
   */
  async remove(id: number): Promise<{ unassigned: number; rooms: number }> {
    const area = this.get(id);
    const members = this.members(area);
    const rooms = area.kind === 'floor' ? this.siblings('room', id) : [];
    const removed = [id, ...rooms.map((r) => r.id)];
    for (const r of removed) this.areas.delete(r);
    const rest = this.siblings(area.kind, area.floorId).map((a, i) => (a.position === i ? undefined : this.setArea({ ...a, position: i }))).filter((a): a is StoredArea => !!a);
    await this.persist(rest, removed);
    for (const device of members) this.registry?.update(device.id, area.kind === 'floor' ? { floor: undefined, room: undefined } : { room: undefined });
    return { unassigned: members.length, rooms: rooms.length };
  }

  /** The floor and room names of an area for a device placed in it; null: no area. */
  placeOf(areaId: number | null): Place {
    if (areaId === null) return { floor: undefined, room: undefined };
    const area = this.get(areaId);
    if (area.kind === 'floor') return { floor: area.name, room: undefined };
    return { floor: area.floorId === undefined ? undefined : this.areas.get(area.floorId)?.name, room: area.name };
  }

  private get(id: number): StoredArea {
    const area = this.areas.get(id);
    if (!area) throw new RumahError(ErrorCodes.NOT_FOUND, `no area ${id}; GET /api/areas lists them`);
    return area;
  }

  private floor(id: number): AreaView {
    const floor = this.areas.get(id);
    if (floor?.kind !== 'floor') throw bad(`floorId: no floor ${id}`);
    return floor;
  }

  private sorted(kind: AreaView['kind']): StoredArea[] {
    return [...this.areas.values()].filter((a) => a.kind === kind).sort((a, b) => a.position - b.position || a.id - b.id);
  }

  private siblings(kind: AreaView['kind'], floorId: number | undefined): StoredArea[] {
    return this.sorted(kind).filter((a) => kind === 'floor' || a.floorId === floorId);
  }

  /** The sibling named `name` (by key); with `aliases`, else the one that was named so before. */
  private find(kind: AreaView['kind'], name: string, floorId: number | undefined, aliases = false): StoredArea | undefined {
    const key = areaKey(name);
    const siblings = this.siblings(kind, floorId);
    return siblings.find((a) => areaKey(a.name) === key) ?? (aliases ? siblings.find((a) => a.aliases?.includes(key)) : undefined);
  }

  private checkFree(kind: AreaView['kind'], name: string, floorId: number | undefined, self?: number): void {
    const other = this.find(kind, name, floorId);
    if (other && other.id !== self) throw new RumahError(ErrorCodes.CONFLICT, `${kind === 'floor' ? 'a floor' : 'a room on that floor'} named ${excerpt(other.name)} exists already (names differing only in case, spaces, _ or - are the same)`);
  }

  /** Devices in the area, by their names. */
  private members(area: AreaView): Device[] {
    const devices = this.registry?.list() ?? [];
    const key = areaKey(area.name);
    if (area.kind === 'floor') return devices.filter((d) => d.floor !== undefined && areaKey(d.floor) === key);
    const floor = area.floorId === undefined ? undefined : this.areas.get(area.floorId);
    const floorKey = floor ? areaKey(floor.name) : undefined;
    return devices.filter((d) => d.room !== undefined && areaKey(d.room) === key && (d.floor === undefined ? undefined : areaKey(d.floor)) === floorKey);
  }

  /**
   * The areas named by free text, made (prettified) where missing, owned by `owner` when a device's topic made them;
   * past maxAreas (or maxAreasPerAccount) the device stays without one.
   */
  private resolve(floorText: string | undefined, roomText: string | undefined, created: StoredArea[], owner?: string): Place {
    const ensure = (kind: AreaView['kind'], text: string, floorId?: number): AreaView | undefined => {
      const name = displayText(text).slice(0, maxAreaName).trim();
      if (!name) return undefined;
      const found = this.find(kind, name, floorId, true);
      if (found) return found;
      const full = this.areas.size >= maxAreas || (owner !== undefined && this.madeBy(owner) >= maxAreasPerAccount);
      if (full) {
        if (this.warned + 60_000 < Date.now()) {
          this.warned = Date.now();
          this.log.warn({ limit: maxAreas, perAccount: maxAreasPerAccount, owner, name }, 'too many floors and rooms; a device is left without an area');
        }
        return undefined;
      }
      const area = this.add(kind, prettify(name), floorId, owner);
      created.push(area);
      return area;
    };
    const floor = floorText ? ensure('floor', floorText) : undefined;
    const room = roomText && (floor || !floorText) ? ensure('room', roomText, floor?.id) : undefined;
    return { floor: floor?.name, room: room?.name };
  }

  private madeBy(owner: string): number {
    let n = 0;
    for (const a of this.areas.values()) if (a.owner === owner) n++;
    return n;
  }

  private add(kind: AreaView['kind'], name: string, floorId?: number, owner?: string): StoredArea {
    const area: StoredArea = { id: this.nextId++, kind, name, ...(floorId === undefined ? {} : { floorId }), position: this.siblings(kind, floorId).length, ...(owner === undefined ? {} : { owner }) };
    this.areas.set(area.id, area);
    return area;
  }

  private setArea(area: StoredArea): StoredArea {
    this.areas.set(area.id, area);
    return area;
  }

  private persist(changed: readonly StoredArea[], removed: readonly number[] = []): Promise<void> {
    if (changed.length === 0 && removed.length === 0) return Promise.resolve();
    for (const fn of this.listeners) fn();
    const done = this.saving.then(() => this.repo.save(changed, removed));
    this.saving = done.catch((err: unknown) => this.log.error({ err }, 'saving areas failed'));
    return done;
  }
}

function cleanName(raw: string): string {
  const name = displayText(raw).trim();
  if (!name) throw bad('name: must not be empty');
  if (name.length > maxAreaName) throw bad(`name: at most ${maxAreaName} characters`);
  return name;
}

function bad(message: string): RumahError {
  return new RumahError(ErrorCodes.BAD_REQUEST, message);
}

function dedupe(list: StoredArea[]): StoredArea[] {
  const byId = new Map<number, StoredArea>();
  for (const a of list) byId.set(a.id, a);
  return [...byId.values()];
}
