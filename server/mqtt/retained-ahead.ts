import type { Client } from 'aedes';
import { clientInternals, type AedesPacket, type Deliver } from './aedes-internals.js';
import { windowSlotsFree } from './outbound-window.js';

/** Retained messages of one SUBSCRIBE on their way to a client before the stream of them waits. */
export const retainedAheadCount = 128;
/** ... and their topic and payload bytes (one larger message still goes alone). */
export const retainedAheadBytes = 32 * 1024;

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
 * of them is written. Their writes go in order (setImmediate runs its callbacks first in, first out). They wait, too,
 * while the client's socket holds more than it takes (until 'drain'): a client that reads slower than they come gets
 * them at its pace. Before, nothing waited for a reader there (the slow-reader guard answers every write at once, so
 * that one client cannot hold the router), and a client that merely subscribed to more retained messages than the
 * kernel's buffers and mqtt.maxBufferedBytes hold was dropped. For a client with an MQTT 5 Receive Maximum
 * (outbound-window.ts, inside this wrapper) no more go ahead than its window has free slots: the window keeps what
 * waits for a slot within the same bytes bound.
 *
 * Only retained copies made at SUBSCRIBE take this path: aedes numbers them with no broker (`brokerId` null, so they
 * are never deduplicated); live and queued messages keep aedes's pace (a router slot each, answered when written).
 * Put on a client at its first subscription, after the dedupe's wrappers (dedupe.ts), so that it is the outermost.
 *
 * A copy whose topic was replaced or removed since the store's stream took it is not sent (`current` false,
 * retained-current.ts): the client has the replacement live (aedes subscribes before it streams, and routes a retained
 * publish after storing it), and the old copy would come after it and leave the client on a stale state.
 */
export function sendRetainedAhead(current: (packet: AedesPacket) => boolean): (client: Client) => void {
  const installed = new WeakSet<Client>();
  return (client) => {
    if (installed.has(client)) return;
    installed.add(client);
    const c = clientInternals(client);
    c.deliverQoS = ahead(client, c.deliverQoS, current);
  };
}

function ahead(client: Client, deliver: Deliver, current: (packet: AedesPacket) => boolean): Deliver {
  const conn = clientInternals(client).conn;
  let count = 0;
  let bytes = 0;
  let awaitingDrain = false;
  /**
   * The transforms' callbacks held while the bound is reached: one per SUBSCRIBE whose messages are on their way (a
   * transform sends one message at a time, and each SUBSCRIBE packet has its own).
   */
  const held: Array<() => void> = [];
  // `count` includes the message just handed over, so this is room for one more.
  const hasRoom = (): boolean => count < retainedAheadCount && bytes < retainedAheadBytes && count < windowSlotsFree(client);
  // The client reads slower than they come (a write was refused: 'drain' is sure to come): wait for its socket to
  // drain rather than fill it. What is buffered then stays under ~16 KiB (the socket's mark) + what is on its way,
  // within mqtt.maxBufferedBytes (at least 64 KiB + mqtt.maxPacketSize), past which the slow-reader guard would drop
  // a client that only subscribed to a large retained set.
  const backedUp = (): boolean => conn.writableNeedDrain && !conn.destroyed;
  const release = (): void => {
    if (held.length === 0 || awaitingDrain) return;
    if (backedUp()) {
      awaitingDrain = true;
      conn.once('drain', () => {
        awaitingDrain = false;
        release();
      });
      return;
    }
    // With none left on its way every held stream goes on whatever the room: a stream released earlier may have had
    // nothing more to send, and a full Receive Maximum frees a slot at an acknowledgement, which calls nothing here
    // (the window itself holds that message, as it did before).
    if (count === 0) for (const next of held.splice(0)) next();
    else if (hasRoom()) held.shift()!();
  };
  return (packet: AedesPacket, cb: () => void): void => {
    if (packet.brokerId !== null || packet.retain !== true) return deliver(packet, cb);
    if (!current(packet)) return cb();
    const weight = packet.topic.length + packet.payload.length;
    count++;
    bytes += weight;
    deliver(packet, () => {
      count--;
      bytes -= weight;
      release();
    });
    if (hasRoom() && !backedUp()) return cb();
    held.push(cb);
    release();
  };
}
