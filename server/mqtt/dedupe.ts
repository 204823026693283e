import type { Aedes, Client } from 'aedes';
import type { Dispatch } from './dispatch.js';

/**
 * aedes (lib/client.js dedupe) drops a packet for a subscriber when its number is not above the last one that
 * subscriber got from this broker. The filter is there for overlapping subscriptions (`a/#` and `a/b`: two handlers,
 * one packet). But packets are numbered when created and routed later, not always in that order: a retained QoS 1
 * message waits for its commit while another client's QoS 0 message, numbered after it, goes at once — and the
 * retained one was then dropped for every subscriber that had seen the newer one (8 of 30 in
 * test/flows/hub-basics.test.ts; upstream: moscajs/aedes#955, #994, open).
 *
 * Here a packet counts as a duplicate only within the dispatch that delivers it (dispatch.ts): the second
 * subscription of one client that matches the packet being dispatched is the copy to drop, and nothing else is.
 * Packet numbers stay as aedes made them (the broker store keys queued QoS 1 messages by them).
 */
export function dedupeWithinDispatch(aedes: Aedes, dispatch: Dispatch): (client: Client) => void {
  const brokerId = (aedes as unknown as { id: string }).id;
  return (client) => {
    let seenIn: object | undefined;
    let seen = 0;
    const duplicates = Object.create(null) as Record<string, number>;
    Object.defineProperty(duplicates, brokerId, {
      enumerable: true,
      configurable: true,
      get: () => (dispatch.current !== undefined && seenIn === dispatch.current ? seen : 0),
      set: (counter: number) => {
        seenIn = dispatch.current;
        seen = counter;
      },
    });
    (client as unknown as { duplicates: Record<string, number> }).duplicates = duplicates;
  };
}
