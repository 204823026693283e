import type { Client } from 'aedes';
import { clientInternals, type PersistenceInternals } from './aedes-internals.js';

/** [MQTT-3.3.4-9] / MQTT 5 0x93: the client sent more QoS 2 messages awaiting PUBREL than the hub's Receive Maximum. */
const receiveMaximumExceeded = 0x93;

/**
 * Bounds the QoS 2 messages one client may leave waiting for PUBREL (GHSA-5jvp-3p2v-5qgf, fixed in aedes 1.2.0 as
 * `maxInflightInbound` and missing from the 2.0 beta rumah runs). Without it a client that sends fresh message ids and
 * never releases them grows the incoming store without bound. The count sits where every such message goes, the
 * persistence's incoming store, so it holds for the SQLite and the memory store alike; the same number is advertised
 * to MQTT 5 clients as the hub's Receive Maximum. Over it: an MQTT 5 client gets DISCONNECT 0x93, a 3.1.1 client
 * (which has no reason codes) is disconnected, and the message is neither stored nor published.
 */
export function limitInboundQos2(persistence: PersistenceInternals, limit: number, onExceeded: (client: Client) => void): void {
  const waiting = new Map<string, Set<number>>();
  const store = persistence.incomingStorePacket.bind(persistence);
  const release = persistence.incomingDelPacket.bind(persistence);
  const clean = persistence.cleanIncoming?.bind(persistence);
  persistence.incomingStorePacket = (client, packet) => {
    const id = packet.messageId ?? 0;
    let ids = waiting.get(client.id);
    if (!ids) waiting.set(client.id, (ids = new Set()));
    // A DUP retransmission of a message already waiting takes its own slot again, not a second one.
    if (!ids.has(id) && ids.size >= limit) {
      onExceeded(client as unknown as Client);
      const c = clientInternals(client as unknown as Client);
      const err = new Error(`more than ${limit} QoS 2 messages awaiting PUBREL (mqtt.maxInflightInbound)`);
      // The refusal makes aedes destroy the socket at once (client.js _onError), which discarded the DISCONNECT still
      // held for this turn's write (write-coalescer.ts): the client saw the connection drop without 0x93. It is
      // refused once that DISCONNECT has been written and the client closed [MQTT-3.3.4-9].
      if (c.version === 5) return new Promise((_resolve, reject) => c.disconnect({ reasonCode: receiveMaximumExceeded }, () => reject(err)));
      return Promise.reject(err);
    }
    ids.add(id);
    return store(client, packet).catch((err: unknown) => {
      ids.delete(id);
      throw err;
    });
  };
  persistence.incomingDelPacket = (client, packet) => {
    const ids = waiting.get(client.id);
    if (ids) {
      ids.delete(packet.messageId ?? 0);
      if (ids.size === 0) waiting.delete(client.id);
    }
    return release(client, packet);
  };
  // A store without cleanIncoming (the memory store aedes 2.0.0-beta.1 brings, aedes-persistence 10) forgets the
  // messages this count knows of one by one.
  persistence.cleanIncoming = (client) => {
    const ids = waiting.get(client.id);
    waiting.delete(client.id);
    if (clean) return clean(client);
    return Promise.all([...(ids ?? [])].map((messageId) => release(client, { messageId }).catch(() => undefined)));
  };
}
