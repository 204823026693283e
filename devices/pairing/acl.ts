import type { Convention } from '../convention.js';
import type { EventBus } from '../../server/core/event-bus.js';
import type { Device } from '../../server/core/model.js';
import type { Registry } from '../../server/core/registry.js';
import type { MqttAcl, MqttIdentity } from '../../server/mqtt/broker.js';
import { isCommandTopic, topicMatches } from '../../server/mqtt/topics.js';
import type { Candidates } from './candidates.js';
import { OwnedTopics } from './owned-topics.js';

/**
 * Filters every device may subscribe to because its convention needs them: HA's birth message, and a Zigbee2MQTT
 * bridge's base topic (it subscribes to `<base>/#` at connect, before its first `bridge/devices` makes the base its
 * own). Like any filter, granted only while no other account owns a topic they match.
 */
const conventionSubscriptions = new Set(['homeassistant/status', 'zigbee2mqtt/#', 'zigbee2mqtt/bridge/request/#']);
/** What a candidate may subscribe to besides exact command topics: the hub's own birth message. */
const candidateSubscriptions = new Set(['homeassistant/status']);

export interface DenialCount {
  publish: number;
  subscribe: number;
  lastTopic?: string;
}

/**
 * Device ACLs. An account with explicit topic filters may publish and subscribe only under them. An account
 * without filters follows ownership: every topic a device owns (its convention's `ownedFilters`: native
 * `<topic>/#`, Tasmota `cmnd|stat|tele/<t>/#`, Homie `homie/5/<id>/#`, Shelly `<prefix>/#`, the Zigbee2MQTT base
 * topic, HA discovery, state, command and availability topics) belongs to the account that created the device; no
 * other device may publish on it, subscribe to it or receive it. Unowned topics are free to claim (up to
 * devices.maxPerAccount). Subscriptions are limited to command topics, exact topics and what the device's
 * convention needs, and a wildcard only where no topic of another account matches it: a device cannot follow the
 * whole house, nor another device's commands. Admins are unrestricted; candidates in the join window are recorded,
 * routed nowhere, and may subscribe to exact, unowned command topics only.
 */
export class DeviceAcl implements MqttAcl {
  readonly owned = new OwnedTopics();
  readonly denied = new Map<string, DenialCount>();
  private conventions: () => readonly Convention[] = () => [];

  constructor(private readonly candidates: Candidates, private readonly onCandidateActivity: (username: string) => void = () => {}) {}

  attach(bus: EventBus, registry: Registry): void {
    this.conventions = () => registry.conventions;
    this.reindex(registry.list());
    bus.on('deviceAdded', 'acl', ({ device }) => this.index(device));
    bus.on('deviceUpdated', 'acl', ({ device }) => this.index(device));
    bus.on('deviceRemoved', 'acl', ({ deviceId }) => this.owned.delete(deviceId));
  }

  /** Asks every convention again: after the retained messages are replayed at start, they know each device fully. */
  reindex(devices: readonly Device[]): void {
    for (const device of devices) this.index(device);
  }

  /** The account owning `topic`, if any. */
  ownerOf(topic: string): string | undefined {
    return this.owned.owner(topic);
  }

  publish(identity: MqttIdentity, topic: string): string | undefined {
    switch (identity.kind) {
      case 'admin':
      case 'anonymous':
        return undefined;
      case 'candidate':
        if (this.candidates.published(identity.username, topic)) this.onCandidateActivity(identity.username);
        return 'not accepted yet: the client is a candidate in the join window';
      default: {
        if (identity.acl) return identity.acl.some((f) => topicMatches(f, topic)) ? undefined : this.deny(identity, 'publish', topic, 'outside the account\'s topic filters');
        const owner = this.owned.otherOwner(topic, identity.username);
        return owner ? this.deny(identity, 'publish', topic, `topic belongs to a device of account ${owner}`) : undefined;
      }
    }
  }

  subscribe(identity: MqttIdentity, filter: string): string | undefined {
    switch (identity.kind) {
      case 'admin':
      case 'anonymous':
        return undefined;
      case 'candidate': {
        this.candidates.subscribed(identity.username, filter);
        if (candidateSubscriptions.has(filter)) return undefined;
        // A candidate is anyone who knocked while the window was open: exact topics only, and none of an account.
        if (/[#+]/.test(filter) || !isCommandTopic(filter)) return 'candidates may subscribe only to exact command topics';
        return this.owned.owner(filter) ? 'candidates may not subscribe to the topics of a paired device' : undefined;
      }
      default: {
        if (identity.acl) return identity.acl.some((f) => covers(f, filter)) ? undefined : this.deny(identity, 'subscribe', filter, 'outside the account\'s topic filters');
        const owner = this.owned.otherOwnerWithin(filter, identity.username);
        if (owner) return this.deny(identity, 'subscribe', filter, `topics of account ${owner} match this filter`);
        if (conventionSubscriptions.has(filter)) return undefined;
        if (isCommandFilter(filter)) return undefined;
        // Its own (or a not yet claimed) exact topic: devices restore their state from the retained message.
        if (!/[#+]/.test(filter)) return undefined;
        // A wildcard inside what the account itself owns (`homie/5/<own id>/#`) reads only its own messages.
        if (this.owned.covered(filter, identity.username)) return undefined;
        return this.deny(identity, 'subscribe', filter, 'devices may subscribe only to their command topics');
      }
    }
  }

  /**
   * Each copy the broker is about to deliver: a device account never receives a topic another account owns, even
   * through a wildcard granted before that account's device appeared; a candidate never receives an owned topic.
   */
  forward(identity: MqttIdentity | undefined, topic: string): boolean {
    if (!identity || identity.kind === 'admin' || identity.kind === 'anonymous' || identity.acl) return true;
    const me = identity.kind === 'candidate' ? '' : identity.username;
    return this.owned.otherOwner(topic, me) === undefined;
  }

  private deny(identity: MqttIdentity, what: 'publish' | 'subscribe', topic: string, reason: string): string {
    const count = this.denied.get(identity.username) ?? { publish: 0, subscribe: 0 };
    count[what]++;
    count.lastTopic = topic;
    if (!this.denied.has(identity.username) && this.denied.size >= 10_000) this.denied.clear();
    this.denied.set(identity.username, count);
    return reason;
  }

  private index(device: Device): void {
    if (!device.owner) return this.owned.delete(device.id);
    const filters = [device.topic, device.commandTopic, device.availabilityTopic].filter((t): t is string => t !== undefined);
    for (const convention of this.conventions()) filters.push(...convention.ownedFilters(device));
    this.owned.set(device.id, device.owner, filters);
  }
}

/**
 * Command filters a device may follow: exact command topics; a wildcard below a command prefix (`cmnd/<t>/#`,
 * `<id>/command/+`); or command topics under one device's own root, three levels deep at least — Homie's
 * `homie/5/<device>/+/+/set` — but not `+/+/+/light/set`. Another account's topics were ruled out before.
 */
function isCommandFilter(filter: string): boolean {
  if (filter.startsWith('cmnd/')) return !filter.slice(5).startsWith('#') && !filter.slice(5).startsWith('+');
  if (!isCommandTopic(filter)) return false;
  const wildcard = filter.search(/[#+]/);
  if (wildcard < 0) return true;
  if ([filter.indexOf('/set'), filter.indexOf('/rpc'), filter.indexOf('/command/')].some((i) => i >= 0 && i < wildcard)) return true;
  return filter.slice(0, wildcard).split('/').filter(Boolean).length >= 3;
}

/** Whether every topic `filter` can match is matched by `allowed`. */
export function covers(allowed: string, filter: string): boolean {
  const a = allowed.split('/');
  const f = filter.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= f.length) return false;
    if (f[i] === '#') return false;
    if (a[i] === '+') continue;
    if (a[i] !== f[i]) return false;
  }
  return a.length === f.length;
}
