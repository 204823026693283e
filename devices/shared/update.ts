import type { Availability, StateValue } from '../../server/core/model.js';
import type { ConventionUpdate, DeviceDescriptor, OutgoingMessage } from '../convention.js';

/** Collects what one message taught a convention, then yields a ConventionUpdate (undefined when empty). */
export class UpdateBuilder {
  private readonly devices = new Map<string, DeviceDescriptor>();
  private readonly removed = new Set<string>();
  private readonly states = new Map<string, Record<string, StateValue>>();
  private readonly events: { deviceId: string; property: string; value: StateValue }[] = [];
  private readonly availability = new Map<string, Availability>();
  private readonly publish: OutgoingMessage[] = [];
  private readonly reasons: string[] = [];
  private rejectedDevice: string | undefined;
  private foreign = false;

  device(d: DeviceDescriptor): this {
    this.devices.set(d.id, d);
    return this;
  }
  remove(deviceId: string): this {
    this.removed.add(deviceId);
    return this;
  }
  state(deviceId: string, property: string, value: StateValue): this {
    const values = this.states.get(deviceId) ?? {};
    values[property] = value;
    this.states.set(deviceId, values);
    return this;
  }
  event(deviceId: string, property: string, value: StateValue): this {
    this.events.push({ deviceId, property, value });
    return this;
  }
  avail(deviceId: string, availability: Availability): this {
    this.availability.set(deviceId, availability);
    return this;
  }
  send(msg: OutgoingMessage): this {
    if (!this.publish.some((m) => m.topic === msg.topic && m.payload === msg.payload)) this.publish.push(msg);
    return this;
  }
  /** Several reasons from one message are joined: ConventionUpdate carries one rejection. */
  reject(reason: string, deviceId?: string, foreign = false): this {
    this.reasons.push(reason);
    if (foreign) this.foreign = true;
    this.rejectedDevice ??= deviceId;
    return this;
  }

  build(): ConventionUpdate | undefined {
    const u: ConventionUpdate = {};
    if (this.devices.size) u.devices = [...this.devices.values()];
    if (this.removed.size) u.removed = [...this.removed];
    if (this.states.size) u.states = [...this.states].map(([deviceId, values]) => ({ deviceId, values }));
    if (this.events.length) u.events = this.events;
    if (this.availability.size) u.availability = [...this.availability].map(([deviceId, availability]) => ({ deviceId, availability }));
    if (this.publish.length) u.publish = this.publish;
    if (this.reasons.length) {
      u.rejected = { reason: this.reasons.join('; ') };
      if (this.rejectedDevice !== undefined) u.rejected.deviceId = this.rejectedDevice;
      if (this.foreign) u.rejected.foreign = true;
    }
    return Object.keys(u).length ? u : undefined;
  }
}

export function rejected(reason: string, deviceId?: string): ConventionUpdate {
  return { rejected: deviceId === undefined ? { reason } : { deviceId, reason } };
}
