import type { Aedes, Client } from 'aedes';
import type { Dispatch } from './dispatch.js';
import { aedesInternals, clientInternals, type AedesPacket, type Deliver } from './aedes-internals.js';
import { withinGrantedQos } from './granted-qos.js';

/**
 * Which copies of one message a client gets when several of its subscriptions match it.
 *
 * aedes (lib/client.js dedupe) drops a packet for a subscriber when its number is not above the last one that
 * subscriber got from this broker. Two things are wrong with that for rumah:
 *  - packets are numbered when created and routed later, not always in that order: a retained QoS 1 message waits
 *    for its commit while another client's QoS 0 message, numbered after it, goes at once — and the retained one was
 *    then dropped for every subscriber that had seen the newer one (moscajs/aedes#955, #994, open);
 *  - an MQTT 5 client routes messages by Subscription Identifier: Home Assistant subscribes every plain topic with
 *    SI 1 and each wildcard with its own SI, Node-RED gives every node its own SI and drops a message whose SI is not
 *    its own. aedes sends one copy carrying one SI (moscajs/aedes#1090), so the other subscription never hears of
 *    the message.
 *
 * Here a packet counts as a duplicate only within the dispatch that delivers it (dispatch.ts), and only against a
 * copy for the same Subscription Identifier: an MQTT 5 subscription with an identifier gets its own copy carrying
 * its own identifier ([MQTT-3.3.4-5] allows one copy per subscription); subscriptions without one (every 3.1.1
 * client) share one copy, as before. An array of identifiers on one copy [MQTT-3.3.4-4] would break Node-RED,
 * which compares the property with `!==`. Packet numbers stay as aedes made them (the broker store keys queued
 * QoS 1 messages by them).
 */
export function dedupeWithinDispatch(aedes: Aedes, dispatch: Dispatch): (client: Client) => void {
  const brokerId = aedesInternals(aedes).id;
  return (client) => {
    const c = clientInternals(client);
    let seenIn: object | undefined;
    /** Copies sent in the dispatch `seenIn`, by Subscription Identifier (0: none). */
    const seenFor = new Set<number>();
    /** The identifier of the subscription delivering right now (set around aedes's deliver functions). */
    let delivering = 0;
    const duplicates = Object.create(null) as Record<string, number>;
    Object.defineProperty(duplicates, brokerId, {
      enumerable: true,
      configurable: true,
      // aedes compares `duplicates[id] < packet.brokerCounter`: Infinity says "seen", 0 says "new".
      get: () => (dispatch.current !== undefined && seenIn === dispatch.current && seenFor.has(delivering) ? Infinity : 0),
      set: () => {
        if (seenIn !== dispatch.current) {
          seenIn = dispatch.current;
          seenFor.clear();
        }
        seenFor.add(delivering);
      },
    });
    c.duplicates = duplicates;
    // aedes reads deliver0/deliverQoS when a subscription is made (subscribe.js addSubs), so these wrappers, set
    // before the first SUBSCRIBE, are what every subscription of this client calls, with the SI already on the packet.
    const withIdentifier = (deliver: Deliver, qos: boolean): Deliver => (packet: AedesPacket, cb) => {
      const si = packet.properties?.subscriptionIdentifier;
      delivering = typeof si === 'number' ? si : 0;
      try {
        deliver(qos ? withinGrantedQos(c, packet, delivering) : packet, cb);
      } finally {
        delivering = 0;
      }
    };
    c.deliver0 = withIdentifier(c.deliver0, false);
    c.deliverQoS = withIdentifier(c.deliverQoS, true);
  };
}
