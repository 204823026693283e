import { ErrorCodes, excerpt, RumahError } from '../core/errors.js';
import type { EventBus } from '../core/event-bus.js';
import type { Capability, Cause, Device, DeviceState, StateValue } from '../core/model.js';
import type { Registry } from '../core/registry.js';
import type { StateStore } from '../core/state-store.js';
import type { Broker } from '../mqtt/broker.js';
import type { HistoryRepo } from '../store/history-repo.js';
import type { DeviceLog, LogEntry } from '../core/device-log.js';
import type { RecentMessage } from '../core/recent-messages.js';
import type { CommandLimit } from './command-limit.js';
import { historyView, type HistoryView, type HistoryViewQuery } from './history-view.js';

export interface DeviceView extends Device {
  state: DeviceState;
}

export interface DevicesApiDeps {
  registry: Registry;
  states: StateStore;
  broker: Broker;
  bus: EventBus;
  history: HistoryRepo;
  /** Writes still queued for the history table: flushed before a history query so it sees every change. */
  flushHistory: () => Promise<void>;
  deviceLog: DeviceLog;
  /** Commands a user (not a rule) may send; unbounded when absent. */
  commandLimit?: CommandLimit;
}

/**
 * Device operations, transport-neutral: HTTP routes, socket handlers, rules and the CLI all call these, so a
 * command from the dashboard and one from a rule take the same path and the same checks.
 */
export class DevicesApi {
  constructor(private readonly deps: DevicesApiDeps) {}

  list(): DeviceView[] {
    return this.deps.registry.list().map((d) => this.view(d));
  }

  get(id: string): DeviceView {
    return this.view(this.device(id));
  }

  async history(id: string, property: string, from?: number, to?: number, limit = 10_000): Promise<{ ts: number; value: StateValue }[]> {
    const device = this.device(id);
    if (!device.capabilities.some((c) => c.property === property) && !this.deps.states.get(device.id)?.[property]) {
      throw new RumahError(ErrorCodes.NOT_FOUND, `device ${device.id} has no property "${property}"; it has: ${device.capabilities.map((c) => c.property).join(', ')}`);
    }
    await this.deps.flushHistory();
    return this.deps.history.query(device.id, property, from ?? 0, to ?? Date.now(), limit);
  }

  /** One property's history for a chart: steps from the value in force at `from`, bucketed past `limit` changes. */
  async chart(id: string, property: string, q: Omit<HistoryViewQuery, 'numeric' | 'now'>): Promise<HistoryView> {
    const device = this.device(id);
    const cap = device.capabilities.find((c) => c.property === property);
    const state = this.deps.states.get(device.id)?.[property];
    if (!cap && !state) {
      throw new RumahError(ErrorCodes.NOT_FOUND, `device ${device.id} has no property "${property}"; it has: ${device.capabilities.map((c) => c.property).join(', ')}`);
    }
    await this.deps.flushHistory();
    const numeric = cap ? cap.kind === 'numeric' : typeof state?.value === 'number';
    return historyView(this.deps.history, device.id, property, { ...q, numeric, now: Date.now() });
  }

  /** The device's last raw messages, newest last. */
  messages(id: string): RecentMessage[] {
    return this.deps.registry.recent.for(this.device(id).id);
  }

  /** Why the device's recent messages were refused, newest last. */
  log(id: string): LogEntry[] {
    return this.deps.deviceLog.forDevice(this.device(id).id);
  }

  /** The one command path: capability check, convention encoder, broker publish. */
  async command(id: string, property: string, value: unknown, cause: Cause): Promise<{ topic: string; payload: string }> {
    const limit = this.deps.commandLimit;
    if (cause.kind === 'user' && limit) {
      const waitMs = limit.take(cause.id ?? '');
      if (waitMs > 0) {
        throw new RumahError(ErrorCodes.RATE_LIMITED, `too many commands from ${cause.id ?? 'this user'}: devices.commandRate allows ${limit.rate} a second; try again in ${waitMs} ms`);
      }
    }
    const device = this.device(id);
    if (device.disabled) throw new RumahError(ErrorCodes.DEVICE_DISABLED, `device ${device.id} is disabled: an admin enables it again on the Devices page (or PATCH /api/devices/:id {"disabled": false})`);
    const cap = device.capabilities.find((c) => c.property === property);
    if (!cap) throw new RumahError(ErrorCodes.NOT_FOUND, `device ${device.id} has no property "${property}"`);
    if (!cap.access.settable) throw new RumahError(ErrorCodes.NOT_SETTABLE, `${device.id}.${property} only reports; it cannot be set`);
    const checked = checkValue(cap, value);
    const convention = this.deps.registry.conventionOf(device);
    const out = convention?.encodeCommand(device, property, checked);
    if (!out) throw new RumahError(ErrorCodes.NOT_SETTABLE, `${device.id} (${device.convention}) has no command topic for "${property}"`);
    await this.deps.broker.publish(out);
    this.deps.bus.emit('commandSent', { deviceId: device.id, property, value: checked, topic: out.topic, payload: out.payload, cause });
    return { topic: out.topic, payload: out.payload };
  }

  private device(id: string): Device {
    const device = this.deps.registry.get(id);
    if (!device) throw new RumahError(ErrorCodes.NOT_FOUND, `no device ${excerpt(id)}; GET /api/devices lists them`);
    return device;
  }

  private view(device: Device): DeviceView {
    return { ...device, state: { ...(this.deps.states.get(device.id) ?? {}) } };
  }
}

/** Checks a commanded value against the capability; binary accepts booleans and the device's own words. */
export function checkValue(cap: Capability, value: unknown): StateValue {
  const bad = (why: string): never => {
    throw new RumahError(ErrorCodes.INVALID_VALUE, `${cap.property}: ${why}, got ${excerpt(value)}`);
  };
  switch (cap.kind) {
    case 'binary': {
      if (typeof value === 'boolean') return value;
      if (value === cap.on) return true;
      if (value === cap.off) return false;
      if (typeof value === 'string' && /^(on|true)$/i.test(value)) return true;
      if (typeof value === 'string' && /^(off|false)$/i.test(value)) return false;
      return bad('expected true or false');
    }
    case 'numeric': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad('expected a number');
      if (cap.min !== undefined && n < cap.min) return bad(`below the minimum ${cap.min}`);
      if (cap.max !== undefined && n > cap.max) return bad(`above the maximum ${cap.max}`);
      return n;
    }
    case 'enum':
      if (typeof value !== 'string' || !(cap.values ?? []).includes(value)) return bad(`expected one of ${(cap.values ?? []).join(', ')}`);
      return value;
    default:
      if (value === undefined) return bad('a value is required');
      return value as StateValue;
  }
}
