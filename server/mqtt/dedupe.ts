import type { Aedes, Client } from 'aedes';
import type { Dispatch } from './dispatch.js';
import { aedesInternals, clientInternals, type AedesPacket, type Deliver } from './aedes-internals.js';
import { withinGrantedQos } from './granted-qos.js';

/** What a held copy costs besides its topic and payload (the packet object, the closure), roughly. */
const heldOverhead = 128;

function noop(): void {}

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
 *
 * The wrappers are put on a client at its first subscription (live, or restored with its session at CONNECT).
 * The same wrappers keep the copies for a client whose CONNECT is still being handled until its session's queue is
 * sent (queue first, below); `maxHeldBytes` bounds them (mqtt.maxBufferedBytes, as for a reader that fell behind):
 * past it the client is dropped, and a persistent session loses nothing by it (its messages are in the store, sent
 * at its next connection).
 */
export function dedupeWithinDispatch(aedes: Aedes, dispatch: Dispatch, maxHeldBytes: number): (client: Client) => void {
  const brokerId = aedesInternals(aedes).id;
  const installed = new WeakSet<Client>();
  // Called at each subscription (Broker's authorizeSubscribe hook), acting at the first: aedes reads deliver0 /
  // deliverQoS when it adds a subscription, and delivers nothing to a client without one, so a client that never
  // subscribes (an idle device, a publisher) never gets these closures, nor their objects (~1 KB).
  return (client) => {
    if (installed.has(client)) return;
    installed.add(client);
    const c = clientInternals(client);
    let seenIn: object | undefined;
    /**
     * Copies sent in the dispatch `seenIn`, by Subscription Identifier (0: none): the first, and any others (an MQTT 5
     * client with several identifiers). One Set cleared at each dispatch cost a new table per delivery (V8's clear()
     * allocates one, ~120 B per message delivered, bench/tails-profile.ts); a 3.1.1 client never needs the Set.
     */
    let seenFirst = 0;
    let seenOthers: Set<number> | undefined;
    /** The identifier of the subscription delivering right now (set around aedes's deliver functions). */
    let delivering = 0;
    /** A held copy being sent (queue-first below): already judged new in its own dispatch. */
    let releasing = false;
    const seen = (): boolean =>
      dispatch.current !== undefined && seenIn === dispatch.current && (seenFirst === delivering || (seenOthers !== undefined && seenOthers.has(delivering)));
    const markSeen = (): void => {
      if (seenIn !== dispatch.current) {
        seenIn = dispatch.current;
        seenFirst = delivering;
        if (seenOthers !== undefined && seenOthers.size > 0) seenOthers.clear();
      } else if (seenFirst !== delivering) (seenOthers ??= new Set()).add(delivering);
    };
    const duplicates = Object.create(null) as Record<string, number>;
    Object.defineProperty(duplicates, brokerId, {
      enumerable: true,
      configurable: true,
      // aedes compares `duplicates[id] < packet.brokerCounter`: Infinity says "seen", 0 says "new".
      get: () => (!releasing && seen() ? Infinity : 0),
      set: markSeen,
    });
    c.duplicates = duplicates;
    // aedes reads deliver0/deliverQoS when a subscription is made (subscribe.js addSubs, after the authorizeSubscribe
    // hook that put these here), so they are what every subscription of this client calls, with the SI already on the
    // packet. (An outbound window's deliverQoS, made at CONNECT, is then inside them: it only paces retained copies,
    // which are never deduped nor held.)
    const send = (deliver: Deliver, qos: boolean, packet: AedesPacket, identifier: number, cb: () => void): void => {
      delivering = identifier;
      try {
        deliver(qos ? withinGrantedQos(c, packet, identifier) : packet, cb);
      } finally {
        delivering = 0;
      }
    };
    /**
     * Queue first: a resumed session's subscriptions are live from restoreSubs on, before the CONNACK, while aedes
     * sends the session's queue only after it (connect.js emptyQueue, one stored message at a time). A message routed
     * meanwhile was written at once: before the CONNACK [MQTT-3.2.0-1], or ahead of the older messages of its topic
     * still in the queue [MQTT-4.6.0-6] — the state a device sent while the subscriber was away arrived after the
     * newer one, and stayed. Copies routed to a client whose CONNECT is still being handled are judged (duplicate or
     * not) in their dispatch as always, then kept in order and sent once aedes marks the client connected.
     */
    let held: Array<() => void> | undefined;
    let heldBytes = 0;
    const hold = (deliver: Deliver, qos: boolean, packet: AedesPacket, identifier: number, cb: () => void): void => {
      if (packet.brokerId === brokerId) {
        delivering = identifier;
        const duplicate = seen();
        if (!duplicate) markSeen();
        delivering = 0;
        if (duplicate) return void setImmediate(cb);
      }
      if (held === undefined) {
        held = [];
        client.once('connected' as never, () => {
          const copies = held ?? [];
          held = undefined;
          releasing = true;
          try {
            for (const copy of copies) copy();
          } finally {
            releasing = false;
          }
        });
        heldBytes = 0;
        c.conn.once('close', () => void (held = undefined));
      }
      // Answered now: a client being connected holds none of the router's delivery slots.
      setImmediate(cb);
      heldBytes += heldOverhead + packet.topic.length + packet.payload.length;
      if (heldBytes > maxHeldBytes) return c.close();
      held.push(() => send(deliver, qos, packet, identifier, noop));
    };
    const withIdentifier = (deliver: Deliver, qos: boolean): Deliver => (packet: AedesPacket, cb) => {
      const si = packet.properties?.subscriptionIdentifier;
      const identifier = typeof si === 'number' ? si : 0;
      if (c.connecting && !c.connected) return hold(deliver, qos, packet, identifier, cb);
      send(deliver, qos, packet, identifier, cb);
    };
    c.deliver0 = withIdentifier(c.deliver0, false);
    c.deliverQoS = withIdentifier(c.deliverQoS, true);
  };
}
