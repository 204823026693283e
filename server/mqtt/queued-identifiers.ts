import type { AedesPacket, PersistenceInternals } from './aedes-internals.js';

type Sub = { clientId: string; subscriptionIdentifier?: number };

/**
 * [MQTT-3.3.4-3] A message sent because of a subscription with a Subscription Identifier carries that identifier,
 * also when it was queued for a session whose client was away. aedes 2.0.0-beta.1 adds the identifier only on the
 * live path (subscribe.js addSubs) and queues the bare message for each matching stored subscription: at the
 * reconnect every copy came without one, and a client routing by identifier (Node-RED drops a message whose
 * identifier is not its node's) lost them all. Here each subscription's copy is queued with its identifier, the way
 * the live path would have sent it; subscriptions without one share the message as it is. The SQLite store gives the
 * identifier with each subscription (subscription-store.ts byTopic) and matches a sent copy to its entry by it
 * (outgoing-store.ts update).
 */
export function queueWithIdentifiers(persistence: PersistenceInternals): void {
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  persistence.outgoingEnqueueCombi = (subs: Sub[], packet: AedesPacket) => {
    // Nothing stores the message (every QoS 1 publish without an offline session): no closure for some() per message.
    if (subs.length === 0 || !subs.some((s) => s.subscriptionIdentifier !== undefined)) return enqueue(subs, packet);
    const bare: Sub[] = [];
    const byIdentifier = new Map<number, Sub[]>();
    for (const sub of subs) {
      const si = sub.subscriptionIdentifier;
      if (si === undefined) bare.push(sub);
      else byIdentifier.set(si, [...(byIdentifier.get(si) ?? []), sub]);
    }
    const queued: Array<Promise<unknown>> = bare.length ? [enqueue(bare, packet)] : [];
    for (const [subscriptionIdentifier, group] of byIdentifier) {
      queued.push(enqueue(group, { ...packet, properties: { ...packet.properties, subscriptionIdentifier } }));
    }
    return Promise.all(queued);
  };
}
