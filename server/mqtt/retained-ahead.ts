import type { Client } from 'aedes';
import { clientInternals, type AedesPacket, type Deliver } from './aedes-internals.js';
import { windowSlotsFree } from './outbound-window.js';

/** Retained messages of one SUBSCRIBE on their way to a client before the stream of them waits. */
export const retainedAheadCount = 128;
/** ... and their topic and payload bytes (one larger message still goes alone). */
export const retainedAheadBytes = 64 * 1024;

/**
 * The retained messages a SUBSCRIBE matches go out many per event-loop turn, not one per two turns.
 *
 * aedes (subscribe.js completeSubscribe) pipes the store's stream of them through a transform that hands each to
 * `client.deliverQoS` and takes the next only at its callback; deliverQoS writes on a `setImmediate` and write.js
 * calls back on another. So each message cost two turns of the event loop: a SUBSCRIBE to `ourhome/#` over 10,000
 * retained states (Home Assistant's discovery and states at its start, a dashboard) took ~650 ms where mosquitto
 * takes ~95 (bench/broker-store.ts).
 *
 * Here the transform is answered as soon as a message is handed over, while fewer than `retainedAheadCount`
 * messages and `retainedAheadBytes` are on their way (handed over, not yet written); past that it is answered when one
 * of them is written. Their writes go in order (setImmediate runs its callbacks first in, first out), and what waits
 * is bounded: aedes's write still waits for a full socket to drain, so the slow-reader guard sees what it saw. For a
 * client with an MQTT 5 Receive Maximum (outbound-window.ts, inside this wrapper) no more go ahead than its window
 * has free slots: the window keeps what waits for a slot in its bytes bound, and would drop a client that merely
 * subscribed to more than that.
 *
 * Only retained copies made at SUBSCRIBE take this path: aedes numbers them with no broker (`brokerId` null, so they
 * are never deduplicated); live and queued messages keep aedes's pace (a router slot each, answered when written).
 * Put on a client at its first subscription, after the dedupe's wrappers (dedupe.ts), so that it is the outermost.
 */
export function sendRetainedAhead(): (client: Client) => void {
  const installed = new WeakSet<Client>();
  return (client) => {
    if (installed.has(client)) return;
    installed.add(client);
    const c = clientInternals(client);
    c.deliverQoS = ahead(client, c.deliverQoS);
  };
}

function ahead(client: Client, deliver: Deliver): Deliver {
  let count = 0;
  let bytes = 0;
  /**
   * The transforms' callbacks held while the bound is reached: one per SUBSCRIBE whose messages are on their way (a
   * transform sends one message at a time, and each SUBSCRIBE packet has its own).
   */
  const held: Array<() => void> = [];
  // `count` includes the message just handed over, so this is room for one more.
  const hasRoom = (): boolean => count < retainedAheadCount && bytes < retainedAheadBytes && count < windowSlotsFree(client);
  return (packet: AedesPacket, cb: () => void): void => {
    if (packet.brokerId !== null || packet.retain !== true) return deliver(packet, cb);
    const weight = packet.topic.length + packet.payload.length;
    count++;
    bytes += weight;
    deliver(packet, () => {
      count--;
      bytes -= weight;
      // With none left on its way every held stream goes on whatever the room: a stream released earlier may have had
      // nothing more to send, and a full Receive Maximum frees a slot at an acknowledgement, which calls nothing here
      // (the window itself holds that message, as it did before).
      if (count === 0) for (const next of held.splice(0)) next();
      else if (held.length > 0 && hasRoom()) held.shift()!();
    });
    if (hasRoom()) cb();
    else held.push(cb);
  };
}
