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
