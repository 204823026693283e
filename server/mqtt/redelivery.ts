import { Readable } from 'node:stream';
import type { Aedes } from 'aedes';
import { aedesInternals, type AedesPacket } from './aedes-internals.js';
import { isNothingQueued } from './persistence/nothing-queued.js';

/**
 * A resumed session's unacknowledged PUBLISH packets go again with DUP set [MQTT-3.3.1-1] (3.1.1 and 5 alike).
 *
 * aedes 2.0.0-beta.1 (lib/handlers/connect.js emptyQueue) resends them from the session's outgoing queue with their
 * original packet identifiers [MQTT-4.4.0-1], as it should, but copies the stored DUP flag, 0: a client that
 * de-duplicates by DUP (or a test, as paho's test/paho/v5_sessions.py redelivery) took them for new messages. A stored
 * PUBLISH has a packet identifier only once aedes handed it to the client (QoSPacket numbers a queued message when
 * it delivers it, and outgoingUpdate records the number), so one with an identifier is a redelivery. Packets are
 * flagged as the queue is read, on the copies the persistence streams (rumah's store streams copies; aedes's memory
 * store streams its own objects, which are only ever sent again).
 */
export function flagRedeliveries(aedes: Aedes): void {
  const persistence = aedesInternals(aedes).persistence;
  const stream = persistence.outgoingStream.bind(persistence);
  persistence.outgoingStream = (client) => {
    const source = stream(client) as AsyncIterable<AedesPacket>;
    if (isNothingQueued(source)) return source;
    return Readable.from(
      (async function* flagged(): AsyncGenerator<AedesPacket> {
        for await (const packet of source) {
          if (packet.cmd === 'publish' && packet.messageId) packet.dup = true;
          yield packet;
        }
      })(),
    );
  };
}
