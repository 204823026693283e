import type { Device } from './model.js';

/**
 * Home Assistant's `expire_after`: a device that has no last will and stops reporting is declared offline after
 * the given seconds. One sweep a second over a map of deadlines: cheaper than a timer per device.
 */
export class Expiry {
  private readonly deadlines = new Map<string, number>();
  /** Seconds of silence allowed per device, for devices that have any (worked out when capabilities change). */
  private readonly windows = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly onExpired: (deviceId: string) => void, private readonly now: () => number = Date.now) {}

  /**
   * A device was created or its capabilities changed. Not worked out per report: reading a field most capabilities
   * lack, across capability objects of many shapes, cost about a microsecond per message on the hub's hottest path.
   */
  configure(device: Device): void {
    let seconds = Infinity;
    for (const cap of device.capabilities) {
      const s = (cap as { expireAfter?: number }).expireAfter;
      if (typeof s === 'number' && s > 0 && s < seconds) seconds = s;
    }
    if (seconds === Infinity) {
      this.windows.delete(device.id);
      this.deadlines.delete(device.id);
    } else {
      this.windows.set(device.id, seconds);
    }
  }

  /** A report from the device: its clock starts again. */
  touch(deviceId: string): void {
    const seconds = this.windows.get(deviceId);
    if (seconds === undefined) return;
    this.deadlines.set(deviceId, this.now() + seconds * 1000);
    this.timer ??= setInterval(() => this.sweep(), 1000).unref();
  }

  forget(deviceId: string): void {
    this.deadlines.delete(deviceId);
    this.windows.delete(deviceId);
  }

  sweep(): void {
    const now = this.now();
    for (const [id, deadline] of this.deadlines) {
      if (deadline > now) continue;
      this.deadlines.delete(id);
      this.onExpired(id);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
