import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { Device } from '../core/model.js';
import type { Registry } from '../core/registry.js';

interface DeviceWriter {
  upsert(device: Device): Promise<void>;
  remove(id: string): Promise<unknown>;
}

/**
 * Saves registry changes to SQLite off the hot path: changed devices are marked dirty and written together
 * once a second (and at stop), so a burst of discoveries costs one transaction, not one per message.
 */
export class DevicePersister {
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private timer?: NodeJS.Timeout;
  private registry?: Registry;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly repo: DeviceWriter, private readonly log: Logger, private readonly intervalMs = 1000) {}

  attach(bus: EventBus, registry: Registry): void {
    this.registry = registry;
    const mark = (id: string): void => {
      this.removed.delete(id);
      this.dirty.add(id);
      this.schedule();
    };
    bus.on('deviceAdded', 'persister', ({ device }) => mark(device.id));
    bus.on('deviceUpdated', 'persister', ({ device }) => mark(device.id));
    bus.on('availabilityChanged', 'persister', ({ deviceId }) => mark(deviceId));
    bus.on('deviceRemoved', 'persister', ({ deviceId }) => {
      this.dirty.delete(deviceId);
      this.removed.add(deviceId);
      this.schedule();
    });
  }

  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // lastSeen changes on every message and is saved only here and with other changes.
    for (const device of this.registry?.list() ?? []) this.dirty.add(device.id);
    await this.flush();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const ids = [...this.dirty];
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    try {
      for (const id of removed) await this.repo.remove(id);
      for (const id of ids) {
        const device = this.registry?.get(id);
        if (device) await this.repo.upsert(device);
      }
    } catch (err) {
      this.log.error({ err }, 'saving devices failed; will retry');
      for (const id of ids) this.dirty.add(id);
      for (const id of removed) this.removed.add(id);
      this.schedule();
    }
  }
}
