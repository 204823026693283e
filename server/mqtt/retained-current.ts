import type { AedesPacket, PersistenceInternals } from './aedes-internals.js';

/** A retained payload as aedes carries it. */
export type Payload = Buffer | Uint8Array | string;

/** Whether `payload` is what the topic's retained message holds now (false when it holds none). */
export type RetainedCurrent = (topic: string, payload: Payload) => boolean;

/**
 * What retained-ahead.ts and outbound-window.ts ask before they send on a retained message copied at a SUBSCRIBE: the
 * store's stream of them runs ahead of the client (Readable.from and aedes's transform hold up to 32 copies while the
 * client's socket or Receive Maximum is full), and a copy taken before its topic was replaced or removed would reach
 * the client after the live message that replaced it. The SQLite store answers from its trie (retained-store.ts
 * `isCurrent`); for aedes's memory store, whose map is private, the payloads it is given are kept here as well
 * (references: it holds them anyway).
 */
function retainedCurrent(persistence: PersistenceInternals): RetainedCurrent {
  const own = (persistence as { retainedCurrent?: RetainedCurrent }).retainedCurrent;
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
  return (topic, payload) => {
    const now = payloads.get(topic);
    return now !== undefined && samePayload(now, payload);
  };
}

/** Set over the persistence at the broker's start; until then every copy counts as current. */
export class RetainedCheck {
  #current: RetainedCurrent | undefined;

  attach(persistence: PersistenceInternals): void {
    this.#current = retainedCurrent(persistence);
  }

  /** Whether a retained copy made at a SUBSCRIBE is still what its topic holds, as it is about to be sent. */
  readonly stillHeld = (packet: AedesPacket): boolean => this.#current?.(packet.topic, packet.payload) ?? true;
}

/** The same object, or the same bytes (a message replaced by an equal one may be sent either way). */
export function samePayload(a: Payload, b: Payload): boolean {
  if (a === b) return true;
  if (typeof a === 'string' || typeof b === 'string') return false;
  return Buffer.compare(a, b) === 0;
}
