// Two CommonJS helpers of aedes-persistence, loaded once and typed here (neither ships usable types):
// - QlobberSub: the subscription trie aedes-persistence's reference implementation uses, so
//   `subscriptionsByTopic` matches (and orders) exactly as aedes expects;
// - Packet (aedes-packet): the constructor aedes uses to copy a packet for queueing, so a queued
//   packet has the same shape here as in the in-memory persistence.
// Both are dependencies of aedes-persistence, which is ours.
import { createRequire } from 'node:module';
import type { StoredPacket, TopicSubscription } from './types.js';

const require = createRequire(import.meta.url);

export interface QlobberSubEntry {
  clientId: string;
  topic: string;
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
}

export interface QlobberSubTrie {
  /** Number of distinct (clientId, filter) pairs held. */
  readonly subscriptionsCount: number;
  add(filter: string, entry: QlobberSubEntry): unknown;
  remove(filter: string, entry: { clientId: string; topic: string }): unknown;
  match(topic: string): TopicSubscription[];
}

// The same options as aedes-persistence: MQTT wildcards and separator (MQTT 3.1.1 section 4.7).
const QLOBBER_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' } as const;

const QlobberSub = require('qlobber/aedes/qlobber-sub') as new (options: typeof QLOBBER_OPTIONS) => QlobberSubTrie;

export function createSubscriptionTrie(): QlobberSubTrie {
  return new QlobberSub(QLOBBER_OPTIONS);
}

type PacketConstructor = new (original: StoredPacket, broker?: { id: string; counter: number }) => StoredPacket;

const Packet = require('aedes-packet') as PacketConstructor;

/** Copies a packet the way aedes does before queueing it (drops `length`, sets `messageId` undefined for QoS > 0). */
export function copyAsAedesPacket(original: StoredPacket): StoredPacket {
  return new Packet(original);
}
