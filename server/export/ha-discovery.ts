import type { EventBus } from '../core/event-bus.js';
import type { MqttMessage } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Device } from '../core/model.js';
import type { Registry } from '../core/registry.js';
import type { StateStore } from '../core/state-store.js';
import type { DevicesApi } from '../api/devices.js';
import type { OutgoingPublish } from '../mqtt/broker.js';
import type { Account } from '../store/accounts-repo.js';
import { topicMatches } from '../mqtt/topics.js';
import { discoveryConfig, type Origin } from './ha-config.js';
import {
  availabilityTopic, configTopic, discoveryPrefix, exportedDeviceOf, haStatusTopic, hubStatusTopic, isExportConfigTopic, parseCommandTopic, stateTopic,
} from './ha-topics.js';

export interface HaDiscoveryDeps {
  bus: EventBus;
  registry: Registry;
  states: StateStore;
  devices: Pick<DevicesApi, 'command'>;
  publish: (msg: OutgoingPublish) => Promise<void>;
  /** The retained messages under a filter (the broker's store): stale configs are found and cleared at start. */
  retained: (filter: string) => AsyncIterable<{ topic: string; payload: Buffer }>;
  account: (username: string) => Promise<Account | undefined>;
  log: Logger;
  origin: Origin;
  /** Devices of these conventions are not announced (HA already has them: they came in through its discovery). */
  skipConventions: readonly string[];
}

/** Coalesces a burst of changes (a JSON report changes several properties, one event each) into one publish. */
const FLUSH_MS = 25;
/**
 * A device's state topic is published at most this often: a sensor reporting 40 times a second is one retained
 * publish a second for HA, not 40 (each retained publish is a write to broker.db). The first change after a quiet
 * second goes out at once, so a light switched from HA shows its new state without waiting.
 */
const STATE_INTERVAL_MS = 1000;
/** HA asks for a random delay before re-announcing on its birth, so that every device does not answer at once. */
const ANNOUNCE_DELAY_MS = 250;

/** Publishes handed to the broker in one turn by send(): they share a broker.db commit. */
const SEND_GROUP = 256;

/**
 * Home Assistant sees rumah's devices: device-based discovery for every device rumah knows (docs/exports.md).
 * Off by default; switched on by config (`exports.homeassistant.enabled`) or at run time (setEnabled).
 */
export class HaDiscoveryExport {
  /** Config JSON last published per device id: an unchanged config is not sent again (HA reloads on each). */
  private readonly sent = new Map<string, string>();
  private readonly dirtyConfigs = new Set<string>();
  private readonly dirtyStates = new Set<string>();
  /** When each device's state was last published (for STATE_INTERVAL_MS). */
  private readonly stateSentAt = new Map<string, number>();
  /**
   * The availability last published per device: sent again only when it changes (or everything is re-announced), not
   * with every state. Each is a retained publish, so a write to broker.db: with 1,000 busy devices that was 1,000
   * writes a second saying `online` again (bench/exports.ts).
   */
  private readonly availabilitySent = new Map<string, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private flushTimer?: NodeJS.Timeout;
  private announceTimer?: NodeJS.Timeout;
  private enabledNow = false;
  private stopped = false;
  /** Publishes in order (send): a config before the state it describes, a removal after the last state. */
  private chain: Promise<void> = Promise.resolve();
  readonly counters = { announced: 0, commands: 0, commandsRefused: 0 };

  constructor(private readonly deps: HaDiscoveryDeps) {}

  get enabled(): boolean {
    return this.enabledNow;
  }

  async start(enabled: boolean): Promise<void> {
    const { bus } = this.deps;
    const owner = 'ha-export';
    this.unsubscribe.push(
      bus.on('deviceAdded', owner, ({ device }) => this.markConfig(device.id)),
      bus.on('deviceUpdated', owner, ({ device }) => this.markConfig(device.id)),
      bus.on('deviceRemoved', owner, ({ deviceId }) => this.forget(deviceId)),
      bus.on('stateChanged', owner, ({ deviceId }) => this.markState(deviceId)),
      bus.on('availabilityChanged', owner, ({ deviceId }) => this.markState(deviceId)),
      bus.on('message', owner, (msg) => this.onMessage(msg)),
    );
    await this.setEnabled(enabled);
  }

  /** The run-time switch: on announces every device; off removes every config rumah published. */
  async setEnabled(on: boolean): Promise<void> {
    this.enabledNow = on;
    if (on) {
      await this.send({ topic: hubStatusTopic, payload: 'online', qos: 1, retain: true });
      await this.clearStale();
      this.announceAll();
      await this.flush(true);
    } else {
      this.clearTimers();
      this.dirtyConfigs.clear();
      this.dirtyStates.clear();
      this.sent.clear();
      this.stateSentAt.clear();
      this.availabilitySent.clear();
      await this.clearStale();
    }
  }

  /** After the broker stops nothing can be published: called first (stops run in reverse). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.clearTimers();
    if (this.enabledNow) {
      await this.flush(true);
      // HA shows every entity unavailable while the hub is down: rumah is the broker, so it has no will to do it.
      await this.send({ topic: hubStatusTopic, payload: 'offline', qos: 1, retain: true });
    }
    await this.chain;
  }

  private clearTimers(): void {
    clearTimeout(this.flushTimer);
    clearTimeout(this.announceTimer);
    this.flushTimer = undefined;
    this.announceTimer = undefined;
  }

  /** Not a device HA has already, nor one an admin disabled (HA would show it frozen at its last state). */
  private announceable(device: Device | undefined): device is Device {
    return device !== undefined && !device.disabled && !this.deps.skipConventions.includes(device.convention);
  }

  private markConfig(id: string): void {
    if (!this.enabledNow) return;
    this.dirtyConfigs.add(id);
    this.dirtyStates.add(id);
    this.scheduleFlush();
  }

  private markState(id: string): void {
    if (!this.enabledNow) return;
    this.dirtyStates.add(id);
    this.scheduleFlush();
  }

  private scheduleFlush(ms = FLUSH_MS): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, ms);
  }

  /** Every device again (flush(true) sends even unchanged configs): HA may have missed them. */
  private announceAll(): void {
    for (const device of this.deps.registry.list()) {
      this.dirtyConfigs.add(device.id);
      this.dirtyStates.add(device.id);
    }
  }

  /** `all`: every dirty state now (announcing, stopping); otherwise those whose interval has passed. */
  private async flush(all = false): Promise<void> {
    const configs = new Set(this.dirtyConfigs);
    this.dirtyConfigs.clear();
    const now = Date.now();
    let wait = Infinity;
    const states: string[] = [];
    for (const id of this.dirtyStates) {
      const due = (this.stateSentAt.get(id) ?? 0) + STATE_INTERVAL_MS;
      if (all || configs.has(id) || due <= now) states.push(id);
      else wait = Math.min(wait, due - now);
    }
    for (const id of states) this.dirtyStates.delete(id);
    if (wait !== Infinity) this.scheduleFlush(Math.max(wait, FLUSH_MS));
    const out: OutgoingPublish[] = [];
    for (const id of configs) {
      const device = this.deps.registry.get(id);
      // Disabled since it was announced: removed from HA as a forgotten one is; enabled, it is announced again.
      if (device?.disabled) this.forget(id);
      if (!this.announceable(device)) continue;
      const built = discoveryConfig(device, this.deps.origin);
      if (!built) continue;
      if (built.skipped.length > 0) this.deps.log.debug({ deviceId: id, skipped: built.skipped }, 'properties left out of HA discovery: their names cannot be a topic level');
      const json = JSON.stringify(built.config);
      if (!all && this.sent.get(id) === json) continue;
      this.sent.set(id, json);
      this.counters.announced++;
      out.push({ topic: configTopic(device.id), payload: json, qos: 1, retain: true });
    }
    for (const id of states) {
      const device = this.deps.registry.get(id);
      if (!this.announceable(device) || !this.sent.has(id)) continue;
      const values: Record<string, unknown> = {};
      for (const [property, s] of Object.entries(this.deps.states.get(id) ?? {})) values[property] = s.value;
      this.stateSentAt.set(id, now);
      out.push({ topic: stateTopic(id), payload: JSON.stringify(values), qos: 1, retain: true });
      const availability = device.availability === 'offline' || device.availability === 'stale' ? 'offline' : 'online';
      if (!all && this.availabilitySent.get(id) === availability) continue;
      this.availabilitySent.set(id, availability);
      out.push({ topic: availabilityTopic(id), payload: availability, qos: 1, retain: true });
    }
    await this.send(...out);
  }

  /** A forgotten device: HA removes it on the empty retained config (HA docs "Removing"), and its topics are cleared. */
  private forget(id: string): void {
    this.dirtyConfigs.delete(id);
    this.dirtyStates.delete(id);
    this.stateSentAt.delete(id);
    this.availabilitySent.delete(id);
    if (!this.sent.delete(id)) return;
    void this.send(...[configTopic(id), stateTopic(id), availabilityTopic(id)].map((topic) => ({ topic, payload: '', qos: 1 as const, retain: true })));
  }

  /**
   * Retained topics the export left for devices that are gone (forgotten while the hub was down, or a convention now
   * skipped), or all of them when the export is off. Only the export's own shapes are touched: a native home named
   * `rumah` has four levels, never three.
   */
  private async clearStale(): Promise<void> {
    const keep = new Set<string>();
    if (this.enabledNow) for (const d of this.deps.registry.list()) if (this.announceable(d)) keep.add(configTopic(d.id)).add(stateTopic(d.id)).add(availabilityTopic(d.id));
    const stale: string[] = [];
    for await (const packet of this.deps.retained(`${discoveryPrefix}/device/+/config`)) {
      if (isExportConfigTopic(packet.topic) && packet.payload.length > 0 && !keep.has(packet.topic)) stale.push(packet.topic);
    }
    for await (const packet of this.deps.retained('rumah/+/+')) {
      if (exportedDeviceOf(packet.topic) !== undefined && packet.payload.length > 0 && !keep.has(packet.topic)) stale.push(packet.topic);
    }
    if (!this.enabledNow) {
      for await (const packet of this.deps.retained(hubStatusTopic)) if (packet.payload.length > 0) stale.push(packet.topic);
    }
    await this.send(...stale.map((topic) => ({ topic, payload: '', qos: 1 as const, retain: true })));
    if (stale.length > 0) this.deps.log.info({ cleared: stale.length }, 'cleared retained Home Assistant discovery topics of devices no longer exported');
  }

  private onMessage(msg: MqttMessage): void {
    if (!this.enabledNow) return;
    if (msg.topic === haStatusTopic) {
      // HA's birth: re-announce (HA docs "Discovery messages and availability"). Not rumah's own `online` at start
      // (for devices, devices/homeassistant): everything was announced a moment before.
      if (msg.clientId === undefined || msg.payload.toString('utf8').trim() !== 'online' || this.announceTimer) return;
      this.announceTimer = setTimeout(() => {
        this.announceTimer = undefined;
        this.announceAll();
        void this.flush(true);
      }, ANNOUNCE_DELAY_MS);
      return;
    }
    const target = msg.clientId === undefined ? undefined : parseCommandTopic(msg.topic);
    if (target) void this.command(msg, target.deviceId, target.property);
  }

  /**
   * A command from HA. The broker lets any account publish on a topic no device owns, so the account is checked
   * here: an admin, or an account whose topic filters name the command topic (docs/exports.md).
   */
  private async command(msg: MqttMessage, deviceId: string, property: string): Promise<void> {
    const username = msg.username;
    const account = username ? await this.deps.account(username) : undefined;
    const allowed = account !== undefined && account.revokedAt === undefined && (account.kind === 'admin' || (account.acl ?? []).some((f) => topicMatches(f, msg.topic)));
    if (!allowed) {
      this.counters.commandsRefused++;
      this.deps.log.warn({ topic: msg.topic, username }, 'command on a rumah topic refused: only admin accounts, or accounts whose topic filters include it, may command devices this way');
      this.deps.bus.emit('deviceRejected', { topic: msg.topic, username, deviceId, reason: 'this account may not command devices through rumah/<device>/<property>/set' });
      return;
    }
    try {
      await this.deps.devices.command(deviceId, property, msg.payload.toString('utf8'), { kind: 'user', id: `mqtt:${username}` });
      this.counters.commands++;
    } catch (err) {
      this.counters.commandsRefused++;
      const e = err as Error & { code?: string };
      this.deps.log.warn({ topic: msg.topic, username, code: e.code, err: e.message }, 'command from Home Assistant refused');
      this.deps.bus.emit('deviceRejected', { topic: msg.topic, username, deviceId, reason: e.message });
    }
  }

  /**
   * Publishes `msgs` after everything sent before them, all at once among themselves: handed to the broker in one
   * turn, their retained writes share one broker.db commit, and they reach subscribers in this order (the write
   * batcher commits and answers them in order). One publish waiting for the last one's commit made a flush of 1,000
   * busy devices' states 1,000 commits in a row: ~1,400 one-row transactions a second in bench/exports.ts.
   */
  private send(...msgs: OutgoingPublish[]): Promise<void> {
    const publishOne = (msg: OutgoingPublish): Promise<void> =>
      this.deps.publish(msg).catch((err: Error) => {
        this.deps.log.warn({ topic: msg.topic, err: err.message }, 'Home Assistant export: publish failed');
      });
    // At most SEND_GROUP a turn: announcing 1,000 devices is 3,000 publishes, which in one turn would hold the event
    // loop for tens of milliseconds.
    for (let i = 0; i < msgs.length; i += SEND_GROUP) {
      const group = msgs.slice(i, i + SEND_GROUP);
      this.chain = this.chain.then(() => Promise.all(group.map(publishOne))).then(() => undefined);
    }
    return this.chain;
  }
}
