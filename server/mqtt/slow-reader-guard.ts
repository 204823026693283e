import type { Client } from 'aedes';
import { clientInternals, type ClientInternals } from './aedes-internals.js';

/**
 * Keeps a subscriber that stops reading from stalling everyone else.
 *
 * aedes (lib/write.js) calls a delivery back only once a full socket has drained, and its router (mqemitter) has a
 * fixed number of delivery slots shared by all clients. A subscriber that stops reading holds one slot per message
 * sent to it until its drain timeout drops it, and when the slots are gone every other client waits too. Measured
 * with stock aedes: a paused subscriber of a busy topic stopped all deliveries, to every client, for the whole
 * drainTimeout (3 s configured, 3.0 s gap; 30 s by default).
 *
 * So a delivery is answered at once and the socket buffers instead, up to `maxBufferedBytes`: a reader that falls
 * further behind is dropped on the spot, and one that does not drain within mqtt.drainTimeout is dropped by aedes's
 * own timer (still armed here). Memory per slow client is bounded by the cap, not by the number of messages.
 */
export function slowReaderGuard(maxBufferedBytes: number, onDropped: (client: Client, buffered: number) => void): (client: Client) => void {
  // One function for every client (aedes calls it as client.waitForDrain(done), `this` the client), over aedes's own
  // Client.prototype.waitForDrain: no closure or bound function per connection.
  let inherited: ClientInternals['waitForDrain'] | undefined;
  const guarded = function guardedWaitForDrain(this: Client, done: (err: Error | null, client: Client) => void): void {
    guard(this, inherited!, done);
  };
  const guard = (client: Client, waitForDrain: ClientInternals['waitForDrain'], done: (err: Error | null, client: Client) => void): void => {
    const c = clientInternals(client);
    const buffered = c.conn.writableLength;
    if (buffered > maxBufferedBytes) {
      if (!c.conn.destroyed) onDropped(client, buffered);
      const err = new Error(`subscriber not reading: ${buffered} bytes waiting to be sent, over the limit of ${maxBufferedBytes}`);
      c.conn.destroy(err);
      setImmediate(done, err, client);
      return;
    }
    waitForDrain.call(client, noop); // arms the drain timer: no drain within drainTimeout and aedes drops the client
    setImmediate(done, null, client);
  };
  return (client) => {
    // waitForDrain is part of the checked contract (aedes-internals.ts): it cannot be missing here.
    const c = clientInternals(client);
    const waitForDrain = c.waitForDrain;
    if (Object.hasOwn(client, 'waitForDrain') || (inherited !== undefined && inherited !== waitForDrain)) {
      c.waitForDrain = function guardedWaitForDrain(done) {
        guard(client, waitForDrain, done);
      };
      return;
    }
    inherited = waitForDrain;
    c.waitForDrain = guarded;
  };
}

function noop(): void {}
