import type { Convention, ConventionUpdate, DeviceDescriptor, OutgoingMessage } from '../../devices/convention.js';
import type { EventBus } from './event-bus.js';
import type { MqttMessage } from './events.js';
import type { Logger } from './logger.js';
import type { Availability, Capability, Cause, Device } from './model.js';
import type { StateStore } from './state-store.js';
import { displayText } from './display-text.js';
import { RecentMessages } from './recent-messages.js';
import { OwnConnections } from './own-connections.js';
import { Staleness, type StalenessOptions, type StaleWindow } from './staleness.js';

export interface RegistryOptions {
  bus: EventBus;
  log: Logger;
  states: StateStore;
  conventions: Convention[];
  maxDevicesPerAccount: number;
  now?: () => number;
  /** Sends what a convention asks to publish in reply (ConventionUpdate.publish) through the hub's publish path. */
  publish?: (msg: OutgoingMessage) => void;
  /** The account owning a topic (the ACL's index of owned filters): no device is pointed at another account's topics. */
  topicOwner?: (topic: string) => string | undefined;
  /** When a silent device becomes stale (server/core/staleness.ts); the defaults of devices.stale* when absent. */
  staleness?: Omit<StalenessOptions, 'onStale' | 'now'>;
  /** A new device's floor and room from its topic made into the hub's areas (server/api/areas.ts), before it is announced. */
  place?: (device: Device) => void;
}

/** What the registry keeps of each device: found with one lookup per message. */
interface Entry {
  device: Device;
  /** The device's own cause, made once: every report and every state change carries it. */
  cause: Cause;
  /** The descriptor last merged into the device (see upsert). */
  merged?: DeviceDescriptor;
  /** The client that last reported the device: its keepalive loss makes the device offline. */
  reporter?: string;
  /** The availability is what the device said on its availability topic, not what the hub concluded. */
  said: boolean;
}

function entryFor(device: Device, merged?: DeviceDescriptor): Entry {
  return { device, cause: Object.freeze({ kind: 'device', id: device.id }), merged, reporter: undefined, said: false };
}

/**
 * Turns device messages into devices and typed state. The first convention that claims a topic parses it; the
 * registry applies what it concluded: devices created or updated, state, events, availability.
 */
export class Registry {
  private readonly entries = new Map<string, Entry>();
  private readonly aliases = new Map<string, string>();
  private readonly perOwner = new Map<string, number>();
  private readonly limitWarned = new Map<string, number>();
  /** foreign: messages from one account about another account's device, refused. */
  readonly counters = { rejected: 0, capped: 0, foreign: 0 };
  /** Devices whose replayed retained messages were not made into devices (see upsert); the hub logs and clears it. */
  readonly notRecreated = new Set<string>();
  readonly recent = new RecentMessages();
  private readonly now: () => number;
  private readonly staleness: Staleness;
  private readonly own: OwnConnections;

  constructor(private readonly opts: RegistryOptions) {
    this.now = opts.now ?? Date.now;
    this.staleness = new Staleness({
      factor: 3, minSeconds: 60, firstSeconds: 3600, ...opts.staleness, now: this.now,
      onStale: (id, source) => {
        const entry = this.entries.get(id);
        // A disabled device is not read, so its silence says nothing (Device.disabled).
        if (!entry || entry.device.disabled) return;
        // A device on its own MQTT connection that is still open (its keepalive checked by the broker) is quiet, not
        // gone: looked at again next sweep. A gateway's connection (Zigbee2MQTT) says nothing about one device. A
        // window the device (expire_after) or an admin set holds all the same.
        if ((source === 'learned' || source === 'first') && this.onOwnConnection(entry)) return false;
        // An offline the device said (or its connection's loss) says more than its silence.
        if (entry.device.availability !== 'offline') this.setAvailability(entry, 'stale', this.now());
      },
    });
    this.own = new OwnConnections(opts.bus);
  }

  stop(): void {
    this.staleness.stop();
  }

  /** Devices saved before a restart. Their availability is unknown until they speak again. */
  restore(devices: Device[]): void {
    for (const device of devices) {
      this.entries.set(device.id, entryFor({ ...device, availability: 'unknown' }));
      this.staleness.configure(device);
      if (device.owner) this.perOwner.set(device.owner, (this.perOwner.get(device.owner) ?? 0) + 1);
    }
  }

  get(idOrAlias: string): Device | undefined {
    return this.entry(idOrAlias)?.device;
  }

  list(): Device[] {
    return Array.from(this.entries.values(), (e) => e.device);
  }

  get size(): number {
    return this.entries.size;
  }

  get online(): number {
    return this.count('online');
  }

  count(availability: Availability): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.device.availability === availability) n++;
    return n;
  }

  /** How long the device may be silent before it is stale, and why (the device page shows it). */
  staleWindow(id: string): StaleWindow | undefined {
    const entry = this.entry(id);
    const window = entry && this.staleness.describe(entry.device.id);
    const learned = window?.source === 'learned' || window?.source === 'first';
    return window && learned && this.onOwnConnection(entry!) ? { ...window, ownConnection: true } : window;
  }

  get conventions(): readonly Convention[] {
    return this.opts.conventions;
  }

  conventionOf(device: Device): Convention | undefined {
    return this.opts.conventions.find((c) => c.name === device.convention);
  }

  handleMessage(msg: MqttMessage): void {
    // A loop, not find() with a closure: called for every message on the broker path (bench/tails.ts).
    let convention: Convention | undefined;
    for (const c of this.opts.conventions) if (c.claims(msg.topic) && (convention = c)) break;
    if (!convention) return;
    const update = convention.handle(msg);
    if (update) this.apply(update, msg);
  }

  apply(update: ConventionUpdate, msg: MqttMessage): void {
    const ts = this.now();
    const { bus, log } = this.opts;
    if (update.rejected) {
      this.counters.rejected++;
      if (update.rejected.foreign) this.counters.foreign++;
      log.info({ topic: msg.topic, username: msg.username, reason: update.rejected.reason }, 'device message rejected');
      bus.emit('deviceRejected', { topic: msg.topic, username: msg.username, deviceId: update.rejected.deviceId, reason: update.rejected.reason });
    }
    // A device belongs to the account that created it: a message from another account (not an admin) may not
    // describe, remove or report it, whatever topic a convention read it from (README "What a device may do").
    const publisher = msg.username && !msg.admin ? msg.username : undefined;
    let refused = false;
    if (update.devices) for (const descriptor of update.devices) if (!this.upsert(descriptor, msg, ts, publisher)) refused = true;
    if (update.removed) {
      for (const id of update.removed) {
        const entry = this.entry(id);
        if (entry && !this.mine(entry, publisher)) this.refuse(entry.device.id, msg, `account ${publisher} may not remove device ${entry.device.id} of account ${entry.device.owner}`);
        else this.remove(id);
      }
    }
    if (update.states) {
      for (const { deviceId, values } of update.states) {
        const entry = this.entry(deviceId);
        if (!entry || entry.device.disabled || !this.mine(entry, publisher)) continue;
        const device = entry.device;
        device.lastSeen = ts;
        this.recent.add(device.id, msg, ts);
        // A retained message replayed at start is an old report, not one now.
        if (!msg.replayed) this.staleness.touch(device.id, ts);
        if (msg.clientId && entry.reporter !== msg.clientId) this.setReporter(entry, msg.clientId);
        // A device that reports is there, unless it said otherwise on its availability topic: an offline the hub
        // concluded (keepalive loss) or a stale (server/core/staleness.ts) ends with the next report.
        if (device.availability !== 'online' && !entry.said) this.setAvailability(entry, 'online', ts);
        this.opts.states.apply(device.id, values, entry.cause, ts, msg);
      }
    }
    if (update.events) {
      for (const event of update.events) {
        const entry = this.entry(event.deviceId);
        if (!entry || entry.device.disabled || !this.mine(entry, publisher)) continue;
        entry.device.lastSeen = ts;
        this.recent.add(entry.device.id, msg, ts);
        if (!msg.replayed) this.staleness.touch(entry.device.id, ts);
        if (entry.device.availability !== 'online' && !entry.said) this.setAvailability(entry, 'online', ts);
        bus.emit('deviceEvent', { deviceId: entry.device.id, property: event.property, value: event.value, ts, cause: entry.cause });
      }
    }
    if (update.availability) {
      for (const { deviceId, availability } of update.availability) {
        const entry = this.entry(deviceId);
        if (!entry || entry.device.disabled || !this.mine(entry, publisher)) continue;
        this.recent.add(entry.device.id, msg, ts);
        this.staleness.announces(entry.device.id);
        this.setAvailability(entry, availability, ts, true);
      }
    }
    // Replies (Tasmota's state request after discovery) go out for a message whose devices were accepted, and only
    // to topics the publisher owns or nobody does: the hub publishes unrestricted, so it must not be a relay.
    if (update.publish && this.opts.publish && !refused) {
      for (const out of update.publish) {
        const owner = this.opts.topicOwner?.(out.topic);
        if (!owner || !publisher || owner === publisher) this.opts.publish(out);
      }
    }
  }

  /** May `publisher` (undefined: an admin or the hub) speak for this device? A method, not a closure per message. */
  private mine(entry: Entry, publisher: string | undefined): boolean {
    if (!publisher || !entry.device.owner || entry.device.owner === publisher) return true;
    this.counters.foreign++;
    return false;
  }

  remove(id: string): boolean {
    const device = this.get(id);
    if (!device) return false;
    const entry = this.entries.get(device.id);
    if (entry) this.setReporter(entry, undefined);
    this.entries.delete(device.id);
    for (const [alias, target] of this.aliases) if (target === device.id) this.aliases.delete(alias);
    if (device.owner) this.perOwner.set(device.owner, Math.max(0, (this.perOwner.get(device.owner) ?? 1) - 1));
    this.staleness.forget(device.id);
    this.recent.forget(device.id);
    this.opts.states.remove(device.id);
    this.opts.bus.emit('deviceRemoved', { deviceId: device.id });
    return true;
  }

  /**
   * Applies a user's change of name, area, stale setting (`staleAfter: undefined` goes back to automatic) or
   * disabled flag (`disabled: false` enables it again).
   */
  update(id: string, patch: Partial<Pick<Device, 'name' | 'floor' | 'room' | 'staleAfter' | 'disabled'>>): Device | undefined {
    const device = this.get(id);
    if (!device) return undefined;
    Object.assign(device, patch);
    if ('staleAfter' in patch) {
      if (patch.staleAfter === undefined) delete device.staleAfter;
      this.staleness.configure(device);
    }
    if ('disabled' in patch) this.setDisabled(device, patch.disabled === true);
    this.opts.bus.emit('deviceUpdated', { device });
    return device;
  }

  /**
   * Disabled, a device's availability is unknown (nothing it says is read; its silence is not stale either: onStale
   * above); enabled again, it is online at its next report, as after a restart.
   */
  private setDisabled(device: Device, disabled: boolean): void {
    if (disabled) device.disabled = true;
    else delete device.disabled;
    const entry = this.entries.get(device.id);
    if (!entry) return;
    entry.said = false;
    this.setAvailability(entry, 'unknown', this.now());
  }

  /** Keepalive loss: a device whose reporting client vanished without a will is offline. */
  clientLost(clientId: string): void {
    const ts = this.now();
    for (const entry of this.entries.values()) if (entry.reporter === clientId) this.setAvailability(entry, 'offline', ts);
  }

  private onOwnConnection(entry: Entry): boolean {
    return this.own.isOwn(entry.reporter);
  }

  private setReporter(entry: Entry, clientId: string | undefined): void {
    this.own.moved(entry.reporter, clientId);
    entry.reporter = clientId;
  }

  private entry(idOrAlias: string): Entry | undefined {
    return this.entries.get(idOrAlias) ?? this.entries.get(this.aliases.get(idOrAlias) ?? '');
  }

  private setAvailability(entry: Entry, availability: Availability, ts: number, fromDevice = false): void {
    entry.said = fromDevice;
    const device = entry.device;
    const previous = device.availability;
    if (previous === availability) return;
    device.availability = availability;
    this.opts.bus.emit('availabilityChanged', { deviceId: device.id, availability, previous, ts });
  }

  /** Creates or updates the device a descriptor names; false when refused (another account's device or topics). */
  private upsert(d: DeviceDescriptor, msg: MqttMessage, ts: number, publisher: string | undefined): boolean {
    const found = this.entry(d.id) ?? d.aliases?.map((a) => this.entry(a)).find(Boolean);
    // A convention that hands over the very descriptor it gave last time says nothing new about the device.
    if (found?.merged === d) return true;
    if (publisher) {
      const owner = found?.device.owner;
      if (owner && owner !== publisher) {
        this.refuse(found.device.id, msg, `device ${found.device.id} belongs to account ${owner}; a description from account ${publisher} may not change or re-point it`);
        return false;
      }
      for (const topic of [d.topic, d.commandTopic, d.availabilityTopic]) {
        const holder = topic === undefined ? undefined : this.opts.topicOwner?.(topic);
        if (holder && holder !== publisher) {
          this.refuse(found?.device.id ?? d.id, msg, `${topic} belongs to a device of account ${holder}; device ${d.id} of account ${publisher} may not use it`);
          return false;
        }
      }
    }
    if (found) {
      found.merged = d;
      const existing = found.device;
      const changed = mergeInto(existing, d);
      for (const alias of d.aliases ?? []) if (alias !== existing.id) this.aliases.set(alias, existing.id);
      if (d.id !== existing.id) this.aliases.set(d.id, existing.id);
      if (changed) {
        this.staleness.configure(existing);
        this.opts.bus.emit('deviceUpdated', { device: existing });
      }
      return true;
    }
    // A retained message replayed at start creates no device: its device was restored from the database, or it was
    // forgotten (DELETE /api/devices/:id) or refused (devices.maxPerAccount) while the hub ran, and a restart must not
    // bring it back; a replayed message has no publisher either, so a cap could not be applied to it.
    if (msg.replayed) {
      this.notRecreated.add(d.id);
      return true;
    }
    const owner = msg.username || undefined;
    if (owner && !this.withinLimit(owner, msg.topic)) return false;
    // Names and areas come from topics and payloads: shown to people, so without hidden or reordering characters.
    const shown = (text: string | undefined): string | undefined => (text === undefined ? undefined : displayText(text) || undefined);
    const device: Device = {
      id: d.id, name: shown(d.name) ?? d.id, convention: d.convention, topic: d.topic, commandTopic: d.commandTopic,
      availabilityTopic: d.availabilityTopic, home: shown(d.home), floor: shown(d.floor), room: shown(d.room),
      capabilities: d.capabilities.map((c) => ({ ...c })), availability: 'unknown', owner, createdAt: ts,
    };
    this.opts.place?.(device);
    this.entries.set(device.id, entryFor(device, d));
    this.staleness.configure(device);
    for (const alias of d.aliases ?? []) this.aliases.set(alias, device.id);
    if (owner) this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    this.opts.log.info({ deviceId: device.id, convention: device.convention, topic: device.topic }, 'device added');
    this.opts.bus.emit('deviceAdded', { device });
    return true;
  }

  /**
   * A message of one account about another account's device: refused, logged, and shown in that device's log. A
   * retained one is cleared, or the next start would replay it without its publisher and accept it.
   */
  private refuse(deviceId: string, msg: MqttMessage, reason: string): void {
    this.counters.foreign++;
    this.opts.log.warn({ deviceId, topic: msg.topic, username: msg.username, reason }, 'message about another account\'s device refused');
    this.opts.bus.emit('deviceRejected', { topic: msg.topic, username: msg.username, deviceId, reason });
    if (msg.retain && !msg.replayed) this.opts.publish?.({ topic: msg.topic, payload: '', qos: 1, retain: true });
  }

  private withinLimit(owner: string, topic: string): boolean {
    const count = this.perOwner.get(owner) ?? 0;
    if (count < this.opts.maxDevicesPerAccount) return true;
    this.counters.capped++;
    const now = this.now();
    if ((this.limitWarned.get(owner) ?? 0) + 60_000 < now) {
      this.limitWarned.set(owner, now);
      this.opts.log.warn({ username: owner, limit: this.opts.maxDevicesPerAccount, topic }, 'account reached devices.maxPerAccount; messages for new devices are dropped. Raise the limit or give each device its own account');
    }
    this.opts.bus.emit('deviceRejected', { topic, username: owner, reason: `account ${owner} has reached devices.maxPerAccount (${this.opts.maxDevicesPerAccount})` });
    return false;
  }
}

/** Merges a descriptor into a device; true when anything a user would see changed. */
function mergeInto(device: Device, d: DeviceDescriptor): boolean {
  let changed = false;
  for (const cap of d.capabilities) {
    const i = device.capabilities.findIndex((c) => c.property === cap.property);
    if (i < 0) {
      device.capabilities.push({ ...cap });
      changed = true;
    } else if (!sameCapability(device.capabilities[i]!, cap)) {
      const merged: Capability & { expireAfter?: number } = { ...device.capabilities[i]!, ...cap };
      // A config without expire_after means the device no longer has one (Home Assistant replaces the whole config).
      if (!('expireAfter' in cap)) delete merged.expireAfter;
      device.capabilities[i] = merged;
      changed = true;
    }
  }
  for (const key of ['commandTopic', 'availabilityTopic'] as const) {
    if (d[key] && device[key] !== d[key]) {
      device[key] = d[key];
      changed = true;
    }
  }
  return changed;
}

function sameCapability(a: Capability, b: Capability): boolean {
  return a.kind === b.kind && a.unit === b.unit && a.on === b.on && a.off === b.off && a.access.settable === b.access.settable &&
    (a as { expireAfter?: number }).expireAfter === (b as { expireAfter?: number }).expireAfter;
}
