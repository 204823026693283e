import type { Client } from 'aedes';
import { clientInternals } from './aedes-internals.js';

interface Aliases {
  max: number;
  byTopic: Map<string, number>;
}

/**
 * Topic aliases from the hub to an MQTT 5 client (§3.3.2.3.4), which aedes 2.0.0-beta.1 does not send (#1117 is not
 * in it). A client that says in CONNECT how many it takes (Topic Alias Maximum) gets its first topics numbered, once
 * each: the first message on a topic carries the topic and its alias, the next ones only the alias [MQTT-3.3.2-12].
 * Aliases are never reassigned, so a client that sees few topics (a dashboard, a bridge) saves most of each header.
 *
 * Only where it cannot go wrong:
 * - a session that ends with its connection: aedes stores each QoS 1/2 message it sends to a persistent session and
 *   sends the stored copy again after a reconnect, when the aliases of the old connection mean nothing [MQTT-3.3.2-
 *   7];
 * - QoS 0 and 1: aedes lowers a QoS 2 message to the subscription's QoS by looking the subscription up by topic,
 *   which an emptied topic would defeat.
 */
export class OutboundAliases {
  private readonly clients = new WeakMap<Client, Aliases>();

  /** At CONNECT: how many aliases this client takes (0 or absent: none). */
  connecting(client: Client, packet: { protocolVersion?: number; properties?: { topicAliasMaximum?: number } }): void {
    const max = packet.protocolVersion === 5 ? (packet.properties?.topicAliasMaximum ?? 0) : 0;
    if (max > 0) this.clients.set(client, { max, byTopic: new Map() });
  }

  /** The copy of `packet` to write to `client`: with its topic's alias, and without the topic once it was sent. */
  apply<P extends { topic: string; qos?: number; properties?: Record<string, unknown> }>(client: Client, packet: P): P {
    const aliases = this.clients.get(client);
    if (!aliases || (packet.qos ?? 0) > 1 || !clientInternals(client).clean) return packet;
    const known = aliases.byTopic.get(packet.topic);
    if (known !== undefined) return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } };
    if (aliases.byTopic.size >= aliases.max) return packet;
    const alias = aliases.byTopic.size + 1;
    aliases.byTopic.set(packet.topic, alias);
    // The properties object may be shared by every subscriber's copy (aedes freezes the one with the SI): a new one.
    return { ...packet, properties: { ...packet.properties, topicAlias: alias } };
  }
}
