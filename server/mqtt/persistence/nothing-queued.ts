import { Readable } from 'node:stream';

const empty = new WeakSet<object>();

/**
 * The outgoing queue of a session that has none. aedes reads every client's queue at CONNECT (connect.js emptyQueue),
 * and three wrappers each put a stream and an async generator of their own around it (redelivery.ts, granted-qos.ts,
 * outbound-window.ts): four streams per CONNECT for nothing to send, a fifth of the hub's CPU per login in a reconnect
 * storm of clean sessions (issue 19, item 1). A queue known to be empty is passed through as it is.
 */
export function nothingQueued(): Readable {
  const stream = Readable.from([]);
  empty.add(stream);
  return stream;
}

/** Whether `stream` is a queue the persistence knows to hold nothing. */
export function isNothingQueued(stream: unknown): boolean {
  return typeof stream === 'object' && stream !== null && empty.has(stream);
}

/**
 * aedes's offline-queueing step at every QoS > 0 PUBLISH (aedes.js enqueueOffline) when no session stores anything:
 * the subscriptions that queue it (none) and the enqueue of them (nothing). Settled once and shared by every call, not
 * an async function's promise, a trie walk and a `Promise.resolve()` per message; aedes only reads the frozen array.
 */
export const noQueueingSubscriptions: Promise<never[]> = Promise.resolve(Object.freeze([]) as never[]);
export const nothingToEnqueue: Promise<void> = Promise.resolve();
