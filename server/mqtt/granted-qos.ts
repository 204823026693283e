import { Readable } from 'node:stream';
import type { AedesPacket, ClientInternals, PersistenceInternals } from './aedes-internals.js';
import { isNothingQueued } from './persistence/nothing-queued.js';
import { topicMatches } from './topics.js';

/**
 * [MQTT-3.8.4-8] (3.1.1: MQTT-3.8.4-6) A message goes to a subscriber at most at the QoS its subscription was granted.
 * aedes (client.js deliverQoS) lowers the QoS by looking the subscription up under the message's topic, so only a
 * subscription whose filter is that very topic was honoured: a QoS 2 message reached `home/#` granted QoS 1 at QoS 2,
 * retained ones on subscribe too (also a QoS 1 one to a QoS 0 subscription).
 *
 * The subscription delivering is not known by name here, only by its Subscription Identifier (dedupe.ts; 0 for
 * none): the QoS is that of the best matching subscription with that identifier — the one copy that subscriptions
 * without an identifier share goes at the highest QoS among them [MQTT-3.3.4-2].
 */
export function withinGrantedQos(c: ClientInternals, packet: AedesPacket, identifier: number): AedesPacket {
  // QoS 1 needs a look only for a retained message sent at SUBSCRIBE (numbered by no broker: brokerId null), which
  // aedes hands to deliverQoS whatever the subscription's QoS; live and queued QoS 1 copies come from subscriptions
  // granted QoS 1 or 2.
  if (packet.qos === 0 || (packet.qos === 1 && packet.brokerId !== null)) return packet;
  let granted: number | undefined;
  for (const filter in c.subscriptions) {
    const sub = c.subscriptions[filter]!;
    if ((sub.si ?? 0) !== identifier || !topicMatches(filter, packet.topic)) continue;
    granted = Math.max(granted ?? 0, sub.qos);
    if (granted >= 2) return packet;
  }
  if (granted === undefined || granted >= packet.qos) return packet;
  // A copy: the packet may be shared with other subscribers.
  return Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as AedesPacket, packet, { qos: granted as 0 | 1 | 2 });
}

/**
 * The same bound on a session's queued messages, sent at reconnect (aedes connect.js emptyQueue): aedes queues the
 * message as published and sends it as stored, so a QoS 2 message queued for a QoS 1 subscription (wildcard or not)
 * came back at QoS 2. Each copy is judged against the session's subscriptions, restored by then, as the queue is read.
 */
export function queuedWithinGrantedQos(persistence: PersistenceInternals): void {
  const stream = persistence.outgoingStream.bind(persistence);
  persistence.outgoingStream = (client) => {
    const c = client as unknown as ClientInternals;
    const source = stream(client) as AsyncIterable<AedesPacket>;
    if (c.subscriptions === undefined || isNothingQueued(source)) return source;
    return Readable.from(
      (async function* bounded(): AsyncGenerator<AedesPacket> {
        for await (const packet of source) {
          const si = packet.properties?.subscriptionIdentifier;
          yield packet.cmd === 'publish' ? withinGrantedQos(c, packet, typeof si === 'number' ? si : 0) : packet;
        }
      })(),
    );
  };
}
