import type { Logger } from '../core/logger.js';
import type { PacketOf } from './codec/index.js';
import { BrokerLink, type LinkTarget } from './broker-link.js';
import type { AddressStats } from './address-stats.js';
import type { BindingsRepo } from './bindings-repo.js';
import type { GatewayLogins } from './gateway-logins.js';

/** A QoS −1 publisher's broker connection is closed after this long without a message. */
const idleMs = 30_000;

/**
 * §6.8 "Publish with QoS Level −1": a client sends PUBLISH without any connection, with a predefined topic id or a
 * short topic name. Such a client has no client id on the wire, so it is known only by its source address: a binding
 * made with `--from ADDR` names the account it publishes as (the first binding naming the address, by client id).
 * Its messages go to the broker as QoS 0 through a connection with client id `<clientId>.qos-1`, which ends after
 * 30 s without a message; the account's ACL applies as to any of its clients.
 */
export class QosMinusOne {
  private readonly links = new Map<string, { link: BrokerLink; ready: Promise<boolean>; idle: NodeJS.Timeout }>();

  constructor(private readonly deps: { bindings: BindingsRepo; logins: GatewayLogins; target: LinkTarget; stats: AddressStats; log: Logger; maxLinks: number }) {}

  async publish(address: string, p: PacketOf<'publish'>, connected?: { account: string; clientId: string; predefined: ReadonlyMap<number, string> }): Promise<void> {
    const { stats } = this.deps;
    if (p.topic.type === 'normal') {
      // §6.8: only predefined ids and short names: a normal id needs a REGISTER, which needs a connection.
      stats.count(address, 'unsupported');
      return;
    }
    let who = connected;
    if (!who) {
      const binding = (await this.deps.bindings.fromAddress(address)).sort((a, b) => (a.clientId < b.clientId ? -1 : 1))[0];
      if (!binding) {
        stats.count(address, 'refused');
        this.deps.log.debug({ address }, 'MQTT-SN QoS -1 publish from an address no binding names; dropped');
        return;
      }
      who = { account: binding.account, clientId: binding.clientId, predefined: p.topic.type === 'predefined' ? await this.deps.bindings.topics(binding.account) : new Map() };
    }
    const topic = p.topic.type === 'predefined' ? who.predefined.get(p.topic.id) : p.topic.name;
    if (topic === undefined) {
      stats.count(address, 'invalidTopicId');
      return;
    }
    const entry = this.link(who.clientId, who.account, address);
    if (!entry) return void stats.count(address, 'flooded');
    if (await entry.ready) await entry.link.publish(topic, p.data, 0, p.flags.retain);
  }

  /** Whether this broker client id is one of these connections. */
  has(clientId: string): boolean {
    return this.links.has(clientId);
  }

  stop(): void {
    for (const { link, idle } of this.links.values()) {
      clearTimeout(idle);
      link.disconnect();
    }
    this.links.clear();
  }

  private link(clientId: string, account: string, address: string): { link: BrokerLink; ready: Promise<boolean> } | undefined {
    const id = `${clientId}.qos-1`;
    let entry = this.links.get(id);
    if (entry) {
      entry.idle.refresh();
      return entry;
    }
    if (this.links.size >= this.deps.maxLinks) return undefined;
    const link = new BrokerLink(this.deps.target, address, { publish: () => undefined, closed: () => this.forget(id, link) });
    const ready = link.connect({ clientId: id, username: account, password: Buffer.from(this.deps.logins.issue(id, account)), clean: true, keepalive: 0 }).then((rc) => {
      if (rc !== 0) this.deps.log.info({ clientId: id, account, brokerReturnCode: rc }, 'MQTT-SN QoS -1 publisher refused by the broker');
      return rc === 0;
    });
    const idle = setTimeout(() => link.disconnect(), idleMs);
    idle.unref();
    entry = { link, ready, idle };
    this.links.set(id, entry);
    return entry;
  }

  private forget(id: string, link: BrokerLink): void {
    const entry = this.links.get(id);
    if (entry?.link !== link) return;
    clearTimeout(entry.idle);
    this.links.delete(id);
  }
}
