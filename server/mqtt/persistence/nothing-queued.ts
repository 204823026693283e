import { syncBuiltinESMExports } from 'node:module';
import stream, { Readable } from 'node:stream';
import { promisify } from 'node:util';

const empty = new WeakSet<object>();

/**
 * The outgoing queue of a session that has none. aedes reads every client's queue at CONNECT (connect.js emptyQueue),
 * and three wrappers each put a stream and an async generator of their own around it (redelivery.ts, granted-qos.ts,
 * outbound-window.ts): four streams per CONNECT for nothing to send, a fifth of the hub's CPU per login in a reconnect
 * storm of clean sessions (issue 19, item 1). A queue known to be empty is passed through as it is.
 */
export function nothingQueued(): Readable {
  skipEmptyQueuePipelines();
  const stream = Readable.from([]);
  empty.add(stream);
  return stream;
}

/** Whether `stream` is a queue the persistence knows to hold nothing. */
export function isNothingQueued(stream: unknown): boolean {
  return typeof stream === 'object' && stream !== null && empty.has(stream);
}

type Pipeline = typeof stream.pipeline;
let original: Pipeline | undefined;

/**
 * aedes then pipes that queue into a Transform of its own (`pipeline(queue, through(...), done)`, connect.js
 * emptyQueue, after the CONNACK) to learn that it held nothing. Node's `pipeline` makes an AbortController per call and
 * aborts it when the streams end, which builds a DOMException and captures its stack trace; with the eos listeners and
 * the pipe, an empty queue cost ~20 % of the main thread per login and a quarter of what a login allocates (profiled in
 * a reconnect storm, issue 19 item 1). aedes imports `pipeline` from `stream` (an ES module binding, not a property
 * rumah can reach), so the `stream` module's own `pipeline` is wrapped, and its ES module exports synced
 * (node:module syncBuiltinESMExports): a pipeline whose source is a queue known to be empty calls back on the next
 * tick, as Node's would once the streams ended, with no error; every other pipeline is Node's, untouched. Installed
 * once per process, when the first such queue is made.
 */
export function skipEmptyQueuePipelines(): void {
  if (original !== undefined) return;
  const node = stream.pipeline;
  original = node;
  const pipeline = function (this: unknown, ...streams: unknown[]): unknown {
    const done = streams[streams.length - 1];
    if (streams.length === 3 && isNothingQueued(streams[0]) && typeof done === 'function') {
      process.nextTick(done as () => void);
      return streams[1];
    }
    return (node as (...args: unknown[]) => unknown).apply(this, streams);
  };
  // util.promisify(stream.pipeline) reads this: the promise form stays Node's.
  Object.defineProperty(pipeline, promisify.custom, { get: () => (node as unknown as Record<symbol, unknown>)[promisify.custom], configurable: true });
  stream.pipeline = pipeline as unknown as Pipeline;
  syncBuiltinESMExports();
}

/**
 * aedes's offline-queueing step at every QoS > 0 PUBLISH (aedes.js enqueueOffline) when no session stores anything:
 * the subscriptions that queue it (none) and the enqueue of them (nothing). Settled once and shared by every call, not
 * an async function's promise, a trie walk and a `Promise.resolve()` per message; aedes only reads the frozen array.
 */
export const noQueueingSubscriptions: Promise<never[]> = Promise.resolve(Object.freeze([]) as never[]);
export const nothingToEnqueue: Promise<void> = Promise.resolve();
