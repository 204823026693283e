import type { AreaView, Deltas, DeviceDelta, LiveDevice, Pending, Snapshot } from '../../../server/realtime/protocol.js';
import { pendingTimeoutMs } from '../../../server/realtime/protocol.js';

/** A device as the page shows it: the hub's view plus what this page knows locally. */
export interface ViewDevice extends LiveDevice {
  /** Properties whose last command timed out without a confirming report (shown for a few seconds). */
  unconfirmed: Record<string, number>;
}

type Listener = () => void;

/**
 * The browser's copy of every device, kept from the snapshot and the deltas. Each device object is replaced (never
 * mutated) when it changes, and listeners are per device: a tile re-renders only when its own device changed, so
 * 1,000 tiles with 2,000 changes a second stay cheap. `structure` listeners hear only what moves tiles around
 * (a device added, removed, renamed or moved).
 */
export class DeviceStore {
  private devices = new Map<string, ViewDevice>();
  private readonly byId = new Map<string, Set<Listener>>();
  private readonly structure = new Set<Listener>();
  private readonly any = new Set<Listener>();
  /** Hub clock minus browser clock, so "last seen" does not depend on the browser's clock being right. */
  clockOffset = 0;
  /** Commands sent from this page not yet shown as pending by the hub: the click shows at once. */
  private readonly optimistic = new Map<string, Pending>();

  /** Floors then rooms, in their order (the `areas` event): the home page groups by them. */
  areas: AreaView[] = [];

  get(id: string): ViewDevice | undefined {
    return this.devices.get(id);
  }

  /** Areas created, renamed, reordered or deleted: what listens to the structure re-renders. */
  setAreas(areas: AreaView[]): void {
    this.areas = areas;
    this.notifyAll(this.structure);
  }

  all(): ViewDevice[] {
    return [...this.devices.values()];
  }

  get size(): number {
    return this.devices.size;
  }

  now(): number {
    return Date.now() + this.clockOffset;
  }

  loadSnapshot(snapshot: Snapshot): void {
    this.clockOffset = snapshot.serverTime - Date.now();
    const next = new Map<string, ViewDevice>();
    for (const d of snapshot.devices) next.set(d.id, { ...d, unconfirmed: {} });
    const previous = this.devices;
    this.devices = next;
    for (const id of new Set([...previous.keys(), ...next.keys()])) this.notify(id);
    this.notifyAll(this.structure);
    this.notifyAll(this.any);
  }

  applyDeltas(deltas: Deltas): void {
    this.clockOffset = deltas.serverTime - Date.now();
    let moved = false;
    for (const delta of deltas.devices) moved = this.applyOne(delta) || moved;
    for (const delta of deltas.devices) this.notify(delta.id);
    if (moved) this.notifyAll(this.structure);
    this.notifyAll(this.any);
  }

  /** A command left this page: show it pending now; the hub's own pending state replaces this. */
  sent(id: string, property: string, pending: Pending | null): void {
    const key = `${id}\u0000${property}`;
    if (pending) this.optimistic.set(key, pending);
    else this.optimistic.delete(key);
    const device = this.devices.get(id);
    if (!device) return;
    const merged = { ...device.pending };
    if (pending) merged[property] = pending;
    else delete merged[property];
    this.devices.set(id, { ...device, pending: merged });
    this.notify(id);
    this.notifyAll(this.any);
    if (pending) setTimeout(() => this.optimistic.get(key) === pending && this.sent(id, property, null), pendingTimeoutMs);
  }

  onDevice(id: string, fn: Listener): () => void {
    let set = this.byId.get(id);
    if (!set) this.byId.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.byId.delete(id);
    };
  }

  onStructure(fn: Listener): () => void {
    this.structure.add(fn);
    return () => void this.structure.delete(fn);
  }

  onAny(fn: Listener): () => void {
    this.any.add(fn);
    return () => void this.any.delete(fn);
  }

  /** True when the device's place on the home page changed. */
  private applyOne(delta: DeviceDelta): boolean {
    const current = this.devices.get(delta.id);
    if (delta.removed) {
      this.devices.delete(delta.id);
      return current !== undefined;
    }
    if (!current && !delta.device) return false; // a change for a device this page never heard of: the next snapshot has it
    const base: ViewDevice = current ?? { ...delta.device!, state: {}, pending: {}, unconfirmed: {} };
    // `device` is the whole description: a field it lacks was cleared (a device moved out of its floor or room).
    const next: ViewDevice = { ...(delta.device ?? base), state: base.state, pending: base.pending, unconfirmed: base.unconfirmed };
    if (delta.state) next.state = { ...base.state, ...delta.state };
    if (delta.pending || delta.state) {
      next.pending = { ...base.pending };
      for (const [property, pending] of Object.entries(delta.pending ?? {})) {
        this.optimistic.delete(`${delta.id}\u0000${property}`);
        if (pending) next.pending[property] = pending;
        else delete next.pending[property];
      }
      // A report ends a command's wait even if the hub's word on it is still on its way.
      for (const property of Object.keys(delta.state ?? {})) {
        if (this.optimistic.delete(`${delta.id}\u0000${property}`)) delete next.pending[property];
      }
    }
    if (delta.unconfirmed) {
      next.unconfirmed = { ...base.unconfirmed };
      for (const property of delta.unconfirmed) next.unconfirmed[property] = Date.now();
    }
    if (delta.availability) next.availability = delta.availability;
    if (delta.lastSeen !== undefined) next.lastSeen = delta.lastSeen;
    this.devices.set(delta.id, next);
    return !current || current.name !== next.name || current.floor !== next.floor || current.room !== next.room;
  }

  private notify(id: string): void {
    for (const fn of this.byId.get(id) ?? []) fn();
  }

  private notifyAll(set: Set<Listener>): void {
    for (const fn of set) fn();
  }
}
