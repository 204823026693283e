import type { EventBus } from '../core/event-bus.js';
import type { StateValue } from '../core/model.js';
import type { Pending } from './protocol.js';

export interface PendingChange {
  deviceId: string;
  property: string;
  /** The new pending command, or null when it ended. */
  pending: Pending | null;
  /** True when it ended because no report came within the timeout. */
  unconfirmed?: boolean;
}

/**
 * Commands sent but not yet confirmed. A command is a request (STYLE.md, "State"): it stays pending until the
 * device's next report of that property (any value: the report is the truth, even if it refused the command), or
 * until `timeoutMs` pass. Kept on the server, not in each browser, so every open dashboard and every new
 * connection's snapshot shows the same pending state.
 */
export class PendingCommands {
  private readonly byDevice = new Map<string, Map<string, Pending & { timer: NodeJS.Timeout }>>();
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly bus: EventBus,
    private readonly onChange: (change: PendingChange) => void,
    private readonly timeoutMs: number,
    /** The current reported value: a command for the value the device already has needs no confirmation. */
    private readonly current: (deviceId: string, property: string) => StateValue | undefined,
  ) {}

  start(): void {
    this.offs.push(
      this.bus.on('commandSent', 'realtime', (c) => {
        // The device answers a command for its present value with the same report, which is not a change
        // (no stateChanged): waiting for one would leave the command pending until the timeout.
        if (sameValue(this.current(c.deviceId, c.property), c.value)) this.end(c.deviceId, c.property, false);
        else this.set(c.deviceId, c.property, { value: c.value, since: Date.now(), cause: c.cause });
      }),
      this.bus.on('stateChanged', 'realtime', (c) => this.end(c.deviceId, c.property, false)),
      this.bus.on('deviceRemoved', 'realtime', ({ deviceId }) => {
        for (const entry of this.byDevice.get(deviceId)?.values() ?? []) clearTimeout(entry.timer);
        this.byDevice.delete(deviceId);
      }),
    );
  }

  /** Pending commands of a device, for a snapshot. */
  of(deviceId: string): Record<string, Pending> {
    const out: Record<string, Pending> = {};
    for (const [property, { value, since, cause }] of this.byDevice.get(deviceId) ?? []) out[property] = { value, since, cause };
    return out;
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const entries of this.byDevice.values()) for (const entry of entries.values()) clearTimeout(entry.timer);
    this.byDevice.clear();
  }

  private set(deviceId: string, property: string, pending: Pending): void {
    let entries = this.byDevice.get(deviceId);
    if (!entries) this.byDevice.set(deviceId, (entries = new Map()));
    const previous = entries.get(property);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => this.end(deviceId, property, !sameValue(this.current(deviceId, property), pending.value)), this.timeoutMs);
    timer.unref();
    entries.set(property, { ...pending, timer });
    this.onChange({ deviceId, property, pending });
  }

  private end(deviceId: string, property: string, timedOut: boolean): void {
    const entries = this.byDevice.get(deviceId);
    const entry = entries?.get(property);
    if (!entries || !entry) return;
    clearTimeout(entry.timer);
    entries.delete(property);
    if (entries.size === 0) this.byDevice.delete(deviceId);
    this.onChange({ deviceId, property, pending: null, unconfirmed: timedOut || undefined });
  }
}

/** Equal values, reading a binary's words as the device may say them (ON, on, true, 1) the same. */
export function sameValue(a: StateValue | undefined, b: StateValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const onA = onOff(a);
  if (onA !== undefined && onA === onOff(b)) return true;
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function onOff(value: StateValue): boolean | undefined {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return word === 'on' || word === 'true' ? true : word === 'off' || word === 'false' ? false : undefined;
}
