import type { PersistenceInternals } from './aedes-internals.js';

/** A retained payload as aedes carries it. */
export type Payload = Buffer | Uint8Array | string;

/**
 * The payload of a topic's retained message as the store holds it now: null when it holds none, undefined when it
 * cannot say at once (the SQLite store keeps large payloads only in broker.db).
 */
export type RetainedNow = (topic: string) => Payload | null | undefined;

/**
 * What retained-ahead.ts asks before it hands on a retained message copied at a SUBSCRIBE: the store's stream of
 * them runs ahead of the client (Readable.from and aedes's transform hold up to 32 copies while the client's socket or
 * Receive Maximum is full), and a copy taken before its topic was replaced or removed would reach the client after the
 * live message that replaced it. The SQLite store answers from its trie (retained-store.ts `now`); for aedes's memory
 * store, whose map is private, the payloads it is given are kept here as well (references: it holds them anyway).
 */
export function retainedNow(persistence: PersistenceInternals): RetainedNow {
  const own = (persistence as { retainedNow?: RetainedNow }).retainedNow;
  if (own) return own.bind(persistence);
  const payloads = new Map<string, Payload>();
  const store = persistence.storeRetained.bind(persistence);
  persistence.storeRetained = (packet, owner) => {
    const done = store(packet, owner);
    // aedes's memory store changes its map synchronously, within the call, and never fails.
    const payload = packet.payload as Payload | undefined;
    if (payload === undefined || payload.length === 0) payloads.delete(packet.topic);
    else payloads.set(packet.topic, payload);
    return done;
  };
  return (topic) => payloads.get(topic) ?? null;
}

/** Whether a copy's payload is what the topic holds now (the same bytes; undefined now: cannot tell, so yes). */
export function stillRetained(now: Payload | null | undefined, payload: Payload): boolean {
  if (now === undefined || now === payload) return true;
  if (now === null || typeof now === 'string' || typeof payload === 'string') return false;
  return Buffer.compare(now, payload) === 0;
}
