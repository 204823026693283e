import type { EventBus } from '../core/event-bus.js';
import type { Device } from '../core/model.js';
import type { PendingChange } from './pending.js';
import type { DeviceDelta } from './protocol.js';
import { wireState } from './wire.js';

export interface CoalescerOptions {
  bus: EventBus;
  /** The device as the registry holds it now (lastSeen changes there without an event). */
  getDevice: (id: string) => Device | undefined;
  listDevices: () => Device[];
  /** Receives each batch; called at most once per `intervalMs`. */
  flush: (deltas: DeviceDelta[]) => void;
  intervalMs: number;
  /** How often to look for devices whose lastSeen moved without a state change (a repeated, unchanged report). */
  lastSeenSweepMs?: number;
  /**
   * Whether any dashboard listens. While none does, nothing is collected: a socket that connects gets a snapshot
   * of everything first. Saves the hot path's work (a delta per state change) on a hub nobody watches.
   */
  listening?: () => boolean;
}

/**
 * Collects what changed per device and hands it over in batches, so the browser gets at most one update per
 * device per interval however fast the device reports: 2,000 changes/s across 1,000 devices become at most ten
 * messages a second, each holding only the properties that changed (the last value of each wins).
 */
export class DeltaCoalescer {
  private dirty = new Map<string, DeviceDelta>();
  private timer?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private readonly sentLastSeen = new Map<string, number>();
  private readonly offs: Array<() => void> = [];

  constructor(private readonly opts: CoalescerOptions) {}

  start(): void {
    const { bus } = this.opts;
    this.offs.push(
      bus.on('stateChanged', 'realtime', (c) => {
        if (!this.listening()) return;
        const delta = this.entry(c.deviceId);
        (delta.state ??= {})[c.property] = wireState(c.deviceId, c.value, c.ts, c.cause);
      }),
      bus.on('availabilityChanged', 'realtime', (e) => void (this.listening() && (this.entry(e.deviceId).availability = e.availability))),
      bus.on('deviceAdded', 'realtime', ({ device }) => void (this.entry(device.id).device = device)),
      bus.on('deviceUpdated', 'realtime', ({ device }) => void (this.entry(device.id).device = device)),
      bus.on('deviceRemoved', 'realtime', ({ deviceId }) => {
        // Whatever was queued for it no longer matters; if it comes back in this batch, deviceAdded replaces this.
        this.dirty.set(deviceId, { id: deviceId, removed: true });
        this.sentLastSeen.delete(deviceId);
        this.schedule();
      }),
    );
    for (const device of this.opts.listDevices()) if (device.lastSeen !== undefined) this.sentLastSeen.set(device.id, device.lastSeen);
    const sweepMs = this.opts.lastSeenSweepMs ?? 2000;
    this.sweeper = setInterval(() => this.sweepLastSeen(), sweepMs);
    this.sweeper.unref();
  }

  /** A pending command started or ended (from PendingCommands). */
  pendingChanged(change: PendingChange): void {
    const delta = this.entry(change.deviceId);
    (delta.pending ??= {})[change.property] = change.pending;
    if (change.unconfirmed) (delta.unconfirmed ??= []).push(change.property);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    clearTimeout(this.timer);
    clearInterval(this.sweeper);
    this.timer = this.sweeper = undefined;
    this.dirty.clear();
  }

  private entry(id: string): DeviceDelta {
    let delta = this.dirty.get(id);
    if (!delta || delta.removed) this.dirty.set(id, (delta = { id }));
    this.schedule();
    return delta;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.emit(), this.opts.intervalMs);
    this.timer.unref();
  }

  private emit(): void {
    this.timer = undefined;
    const batch = [...this.dirty.values()];
    this.dirty = new Map();
    for (const delta of batch) {
      if (delta.removed) continue;
      const device = this.opts.getDevice(delta.id);
      if (device?.lastSeen !== undefined && device.lastSeen !== this.sentLastSeen.get(delta.id)) {
        delta.lastSeen = device.lastSeen;
        this.sentLastSeen.set(delta.id, device.lastSeen);
      }
    }
    if (batch.length > 0) this.opts.flush(batch);
  }

  private listening(): boolean {
    return this.opts.listening?.() ?? true;
  }

  private sweepLastSeen(): void {
    if (!this.listening()) return;
    for (const device of this.opts.listDevices()) {
      if (device.lastSeen !== undefined && device.lastSeen !== this.sentLastSeen.get(device.id)) this.entry(device.id);
    }
  }
}
