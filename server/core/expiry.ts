import type { Device } from './model.js';

/**
 * Home Assistant's `expire_after`: a device that has no last will and stops reporting is declared offline after
 * the given seconds. One sweep a second over a map of deadlines: cheaper than a timer per device.
 */
export class Expiry {
  private readonly deadlines = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly onExpired: (deviceId: string) => void, private readonly now: () => number = Date.now) {}

  /** A report from the device: its clock starts again. */
  touch(device: Device): void {
    let seconds = Infinity;
    for (const cap of device.capabilities) {
      const s = (cap as { expireAfter?: number }).expireAfter;
      if (typeof s === 'number' && s > 0 && s < seconds) seconds = s;
    }
    if (seconds === Infinity) return;
    this.deadlines.set(device.id, this.now() + seconds * 1000);
    this.timer ??= setInterval(() => this.sweep(), 1000).unref();
  }

  forget(deviceId: string): void {
    this.deadlines.delete(deviceId);
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
