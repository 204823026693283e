import type { Aedes } from 'aedes';
import { aedesInternals } from './aedes-internals.js';

/**
 * Where a packet goes that aedes must not route: a denied publish (MQTT 3.1.1 has no negative PUBACK, so it is
 * acknowledged and dropped, as mosquitto does) and a QoS 1 message rumah has already published and acknowledged
 * itself. aedes has no "drop" answer to authorizePublish; the packet is renamed to this topic instead.
 */
export const sinkTopic = '$SYS/rumah/denied';

/**
 * Makes a packet renamed to the sink end there. Routed, it cost a second pass through mqemitter per QoS 1 message,
 * and an admin following `$SYS/#` received a copy of every QoS 1 and every denied message.
 */
export function endAtSink(aedes: Aedes): void {
  const a = aedesInternals(aedes);
  const publish = a.publish.bind(aedes);
  a.publish = (packet, client, done) => ((packet as { topic: string }).topic === sinkTopic ? done?.(null) : publish(packet, client, done));
}
