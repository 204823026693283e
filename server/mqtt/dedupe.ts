import type { Aedes, Client } from 'aedes';

/**
 * aedes (lib/client.js dedupe) drops a packet for a subscriber when its number is not above the last one that
 * subscriber got from this broker. The filter is there for overlapping subscriptions (`a/#` and `a/b`: two handlers,
 * one packet). But packets are numbered when created and routed later, not always in that order: a retained QoS 1
 * message waits for its commit while another client's QoS 0 message, numbered after it, goes at once — and the
 * retained one was then dropped for every subscriber that had seen the newer one (8 of 30 in
 * test/flows/hub-basics.test.ts; upstream: moscajs/aedes#955, #994, open).
 *
 * Here a packet counts as a duplicate only within the dispatch that delivers it: mqemitter calls every matching
 * handler synchronously in `_do`, so the second subscription of one client that matches the packet being dispatched
 * is the copy to drop, and nothing else is. Packet numbers stay as aedes made them (the broker store keys queued
 * QoS 1 messages by them).
 */
export function dedupeWithinDispatch(aedes: Aedes): (client: Client) => void {
  const broker = aedes as unknown as { id: string; mq: { _do(message: object, cb: unknown): unknown } };
  const mq = broker.mq;
  const dispatch = mq._do.bind(mq);
  let current: object | undefined;
  mq._do = (message, cb) => {
    const outer = current;
    current = message;
    try {
      return dispatch(message, cb);
    } finally {
      current = outer;
    }
  };
  return (client) => {
    let seenIn: object | undefined;
    let seen = 0;
    const duplicates = Object.create(null) as Record<string, number>;
    Object.defineProperty(duplicates, broker.id, {
      enumerable: true,
      configurable: true,
      get: () => (current !== undefined && seenIn === current ? seen : 0),
      set: (counter: number) => {
        seenIn = current;
        seen = counter;
      },
    });
    (client as unknown as { duplicates: Record<string, number> }).duplicates = duplicates;
  };
}
