import type { EventBus } from '../../server/core/event-bus.js';
import type { Device } from '../../server/core/model.js';
import type { Registry } from '../../server/core/registry.js';
import type { MqttAcl, MqttIdentity } from '../../server/mqtt/broker.js';
import { isCommandTopic, topicMatches } from '../../server/mqtt/topics.js';
import type { Candidates } from './candidates.js';

/** Filters every device may subscribe to because its convention needs them (requests from the hub, not data). */
const conventionSubscriptions = new Set(['homeassistant/status', 'zigbee2mqtt/bridge/request/#']);
const suffixes = ['/set', '/status', '/availability', '/get', '/rpc', '/command'];

export interface DenialCount {
  publish: number;
  subscribe: number;
  lastTopic?: string;
}

/**
 * Device ACLs. An account with explicit topic filters may publish and subscribe only under them. An account
 * without filters follows ownership: a device's topics belong to the account that created it, and no other device
 * may publish on them, command them, or read them; unowned topics are free to claim (up to devices.maxPerAccount).
 * Subscriptions are limited to command topics and what the device's convention needs: a device cannot follow the
 * whole house. Admins are unrestricted; candidates in the join window are recorded and routed nowhere.
 */
export class DeviceAcl implements MqttAcl {
  /** Topic → the device on it and the account that owns that device. */
  private readonly owners = new Map<string, { deviceId: string; owner: string }>();
  readonly denied = new Map<string, DenialCount>();

  constructor(private readonly candidates: Candidates, private readonly onCandidateActivity: (username: string) => void = () => {}) {}

  attach(bus: EventBus, registry: Registry): void {
    for (const device of registry.list()) this.index(device);
    bus.on('deviceAdded', 'acl', ({ device }) => this.index(device));
    bus.on('deviceUpdated', 'acl', ({ device }) => this.index(device));
    bus.on('deviceRemoved', 'acl', ({ deviceId }) => {
      for (const [topic, entry] of this.owners) if (entry.deviceId === deviceId) this.owners.delete(topic);
    });
  }

  publish(identity: MqttIdentity, topic: string): string | undefined {
    switch (identity.kind) {
      case 'admin':
      case 'anonymous':
        return undefined;
      case 'candidate':
        if (this.candidates.published(identity.username, topic)) this.onCandidateActivity(identity.username);
        return 'not accepted yet: the client is a candidate in the join window';
      default:
        if (identity.acl) return identity.acl.some((f) => topicMatches(f, topic)) ? undefined : this.deny(identity, 'publish', topic, 'outside the account\'s topic filters');
        {
          const owner = this.ownerOf(topic);
          return owner && owner !== identity.username ? this.deny(identity, 'publish', topic, `topic belongs to a device of account ${owner}`) : undefined;
        }
    }
  }

  subscribe(identity: MqttIdentity, filter: string): string | undefined {
    switch (identity.kind) {
      case 'admin':
      case 'anonymous':
        return undefined;
      case 'candidate':
        this.candidates.subscribed(identity.username, filter);
        return isCommandTopic(filter) || conventionSubscriptions.has(filter) ? undefined : 'candidates may only subscribe to command topics';
      default: {
        if (identity.acl) return identity.acl.some((f) => covers(f, filter)) ? undefined : this.deny(identity, 'subscribe', filter, 'outside the account\'s topic filters');
        if (conventionSubscriptions.has(filter)) return undefined;
        const wildcard = filter.search(/[#+]/);
        const owner = this.ownerOf(wildcard < 0 ? filter : filter.slice(0, wildcard).replace(/\/$/, ''));
        if (owner && owner !== identity.username) return this.deny(identity, 'subscribe', filter, `topic belongs to a device of account ${owner}`);
        if (isCommandFilter(filter)) return undefined;
        // Its own (or a not yet claimed) exact topic: devices restore their state from the retained message.
        if (!/[#+]/.test(filter)) return undefined;
        return this.deny(identity, 'subscribe', filter, 'devices may subscribe only to their command topics');
      }
    }
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
    if (!device.owner) return;
    const entry = { deviceId: device.id, owner: device.owner };
    for (const topic of [device.topic, device.commandTopic, device.availabilityTopic]) if (topic) this.owners.set(topic, entry);
  }

  private ownerOf(topic: string): string | undefined {
    let hit = this.owners.get(topic);
    for (const suffix of suffixes) {
      if (hit) break;
      if (topic.endsWith(suffix)) hit = this.owners.get(topic.slice(0, -suffix.length));
    }
    return hit?.owner;
  }
}

/** Command filters a device may follow: exact command topics, or a wildcard only below a command prefix. */
/**
 * Command filters a device may follow: exact command topics; a wildcard below a command prefix (`cmnd/<t>/#`,
 * `<id>/command/+`); or command topics under one device's own root, three levels deep at least — Homie's
 * `homie/5/<device>/+/+/set` — but not `ourhome/+/+/light/set`, which spans the whole house.
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
