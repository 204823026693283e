import type { Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { clientInternals, type AedesPacket, type PersistenceInternals } from './aedes-internals.js';
import type { MqttIdentity } from './identity.js';
import type { QueueDropped, QueueLimit } from './persistence/outgoing-store.js';
import { retainedBytes, type RetainedOwnership } from './persistence/retained-store.js';
import { sinkTopic } from './sink.js';

/** MQTT 5 reason code 0x97 Quota exceeded, on a PUBACK or PUBREC [MQTT-3.4.2.1, 3.5.2.1]. */
const quotaExceeded = 0x97;

/** What one account has been refused or lost to its quotas since the start (logged, and in `byAccount()`). */
export interface AccountQuotaCount {
  retainedRefused: number;
  queuedDropped: number;
  queuedDroppedBytes: number;
}

/**
 * One account's storage as `GET /api/accounts` shows it: the retained messages it holds against its quota (admins have
 * none: null), and what it was refused or lost since the start. Queues are bounded per session, not per account.
 */
export interface AccountStorageView {
  retained: { messages: number; bytes: number; maxMessages: number | null; maxBytes: number | null };
  retainedRefused: number;
  queuedDropped: number;
  queuedDroppedBytes: number;
  /** mqtt.maxQueuedPerSession and mqtt.maxQueuedBytesPerSession: the bound of each of its sessions' queues. */
  queueBound: { messages: number; bytes: number };
}

export interface StorageQuotaDeps {
  config: Config['mqtt'];
  log: Logger;
  counters: { retainedQuotaRefused: number; queuedDropped: number };
  /** The account of a client id: connected, just gone, or owning the persistent session (client-id-owner.ts). */
  accountOf(clientId: string): string | undefined;
}

/** What the SQLite persistence adds for the quotas; aedes's memory persistence has none of it. */
interface QuotaAwarePersistence {
  storeRetained(packet: AedesPacket, owner?: string): Promise<void>;
  retainedOwnership?(): RetainedOwnership[];
  limitQueues?(limit: QueueLimit, onDropped: QueueDropped): void;
}

/** Accounts whose counts are kept; past it the table starts over (a count is for diagnosis, not for billing). */
const accountsKept = 10_000;
/** One log line per account and kind of quota at most this often: a device over quota publishes on and on. */
const logEveryMs = 10_000;

/**
 * Broker storage per account (issue 15, item 7), as mosquitto's max_queued_messages / max_queued_bytes and beyond:
 *
 * - **Retained messages**: count and bytes (topic + payload) per account (`mqtt.maxRetainedPerAccount`,
 *   `mqtt.maxRetainedBytesPerAccount`). A retained publish that would take its account over is refused — MQTT 5:
 *   PUBACK/PUBREC 0x97 Quota exceeded; 3.1.1 (no negative acknowledgement): acknowledged and dropped, as denied
 *   publishes are — and neither stored nor routed. Replacing one's own retained message counts only the difference;
 *   an empty payload (a delete) is always taken. The owner is the account that published it, kept in broker.db
 *   (`retained.owner`, schema 3), so the counts are rebuilt at start. The hub's own retained messages count for no one.
 * - **Queued messages per session**: `mqtt.maxQueuedPerSession`, `mqtt.maxQueuedBytesPerSession`. A queue is filled by
 *   others' publishes, so refusing the publisher would punish the wrong client: past either bound the oldest queued
 *   message is dropped (outgoing-store.ts), counted against the session's account.
 * - **Persistent sessions per account**: `mqtt.maxSessionsPerAccount`, enforced at CONNECT (client-id-owner.ts).
 * - **Unreleased inbound QoS 2**: count per connection, `mqtt.maxInflightInbound` (inbound-qos2-limit.ts); bytes per
 *   account, `mqtt.maxInflightInboundBytesPerAccount` (inbound-qos2-budget.ts).
 *
 * Admins (the house's owner: Home Assistant, Node-RED, bridges that mirror the whole house) have no retained or
 * session quota; their queues are bounded like every session's, since others' traffic fills them. Quotas need
 * `mqtt.persistence: sqlite` for queues (aedes's memory store is not bounded); retained quotas hold with both.
 */
export class StorageQuotas {
  /** topic → who stored its retained message and what it weighs. */
  private readonly retained = new Map<string, { owner: string | undefined; bytes: number }>();
  private readonly usage = new Map<string, { messages: number; bytes: number }>();
  private readonly counts = new Map<string, AccountQuotaCount>();
  private readonly logged = new Map<string, number>();

  constructor(private readonly deps: StorageQuotaDeps) {}

  /** Wraps the persistence's retained store (to count who stores what) and bounds its queues. At start, once. */
  attach(persistence: PersistenceInternals): void {
    const p = persistence as unknown as QuotaAwarePersistence;
    for (const { topic, owner, bytes } of p.retainedOwnership?.() ?? []) this.account(topic, { owner, bytes });
    const store = p.storeRetained.bind(p);
    p.storeRetained = (packet, _owner) => {
      const topic = packet.topic;
      const stamped = packet.clientId;
      const owner = stamped !== undefined ? this.deps.accountOf(stamped) : undefined;
      const empty = !packet.payload || packet.payload.length === 0;
      const previous = this.retained.get(topic);
      this.account(topic, empty ? undefined : { owner, bytes: retainedBytes(topic, packet.payload) });
      // The stamp is for this count only: not stored, so a retained message reads back as it did before.
      const { clientId: _stamp, ...unstamped } = packet;
      return store(stamped === undefined ? packet : unstamped, owner).catch((err: unknown) => {
        // Not stored: the count goes back to what the file holds.
        this.account(topic, previous);
        throw err;
      });
    };
    const c = this.deps.config;
    p.limitQueues?.({ messages: c.maxQueuedPerSession, bytes: c.maxQueuedBytesPerSession }, (clientId, messages, bytes) => {
      this.deps.counters.queuedDropped += messages;
      const account = this.deps.accountOf(clientId) ?? '';
      const count = this.countOf(account);
      count.queuedDropped += messages;
      count.queuedDroppedBytes += bytes;
      this.logSometimes(account, 'queue', { clientId, username: account, dropped: messages, droppedTotal: count.queuedDropped, limit: c.maxQueuedPerSession, limitBytes: c.maxQueuedBytesPerSession }, 'session queue over mqtt.maxQueuedPerSession / maxQueuedBytesPerSession: oldest queued messages dropped');
    });
  }

  /**
   * Called from authorizePublish for a retained PUBLISH of a logged-in client, after the ACL. Stamps the packet with
   * its client id (so the store knows whose it is) and returns false; or, over quota, answers it itself (0x97 / a
   * silent drop, see above), calls `cb` and returns true.
   */
  refuseRetained(client: Client, identity: MqttIdentity, packet: { topic: string; retain: boolean; payload?: Buffer | string; qos?: number; messageId?: number }, cb: (err?: Error | null) => void): boolean {
    // The stamp that tells the retained store whose message it is (attach() above). Only for broker.db: with aedes's
    // memory persistence aedes acknowledges QoS 1 itself, and a stamped PUBLISH lost some of its PUBACKs (60 of
    // 4,000 from 20 connections of one account; test/flows/storage-quotas.test.ts). That store keeps no owners, so
    // retained quotas count nothing there: memory persistence is for tests and benchmarks (docs/limits.md).
    if (this.deps.config.persistence !== 'memory') (packet as { clientId?: string }).clientId = client.id;
    const why = this.overQuota(identity, packet.topic, packet.payload);
    if (why === undefined) return false;
    this.deps.counters.retainedQuotaRefused++;
    const count = this.countOf(identity.username);
    count.retainedRefused++;
    this.logSometimes(identity.username, 'retained', { clientId: client.id, username: identity.username, topic: packet.topic, why, refusedTotal: count.retainedRefused }, 'retained publish refused: account over its retained quota');
    const c = clientInternals(client);
    const qos = packet.qos ?? 0;
    if (c.version === 5 && qos > 0 && (c.connected || c.connecting)) {
      mqttPacket.writeToStream({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId, reasonCode: quotaExceeded, ...(c._requestProblemInformation === false ? {} : { properties: { reasonString: why } }) } as mqttPacket.Packet, client.conn as unknown as NodeJS.WritableStream, { protocolVersion: 5 });
      // Answered: aedes goes on with a QoS 0 message to the sink (sink.ts), which acknowledges nothing more.
      (packet as { qos?: number }).qos = 0;
    }
    packet.topic = sinkTopic;
    packet.retain = false;
    cb(null);
    return true;
  }

  /** Retained messages and bytes an account holds. */
  retainedUsage(username: string): { messages: number; bytes: number } {
    return { ...(this.usage.get(username) ?? { messages: 0, bytes: 0 }) };
  }

  /** What `username` holds and has lost; `admin`: an admin account, which has no retained quota. */
  viewOf(username: string, admin: boolean): AccountStorageView {
    const c = this.deps.config;
    const count = this.counts.get(username);
    return {
      retained: { ...this.retainedUsage(username), maxMessages: admin ? null : c.maxRetainedPerAccount, maxBytes: admin ? null : c.maxRetainedBytesPerAccount },
      retainedRefused: count?.retainedRefused ?? 0,
      queuedDropped: count?.queuedDropped ?? 0,
      queuedDroppedBytes: count?.queuedDroppedBytes ?? 0,
      queueBound: { messages: c.maxQueuedPerSession, bytes: c.maxQueuedBytesPerSession },
    };
  }

  /** Per account: publishes refused and queued messages dropped since the start. */
  byAccount(): Map<string, AccountQuotaCount> {
    return new Map([...this.counts].map(([k, v]) => [k, { ...v }]));
  }

  /** Why this retained publish would take the account over its quota; undefined when it fits. */
  private overQuota(identity: MqttIdentity, topic: string, payload: Buffer | string | undefined): string | undefined {
    if (identity.kind === 'admin') return undefined;
    const bytes = retainedBytes(topic, payload);
    if (!payload || payload.length === 0) return undefined; // a delete frees, never takes
    const own = this.retained.get(topic);
    const mine = own !== undefined && own.owner === identity.username;
    const usage = this.usage.get(identity.username) ?? { messages: 0, bytes: 0 };
    const c = this.deps.config;
    if (!mine && usage.messages + 1 > c.maxRetainedPerAccount) return `retained quota: ${usage.messages} of mqtt.maxRetainedPerAccount ${c.maxRetainedPerAccount} messages held`;
    const after = usage.bytes - (mine ? own.bytes : 0) + bytes;
    if (after > c.maxRetainedBytesPerAccount && bytes > (mine ? own.bytes : 0)) return `retained quota: ${after} bytes would pass mqtt.maxRetainedBytesPerAccount ${c.maxRetainedBytesPerAccount}`;
    return undefined;
  }

  /** Moves a topic's retained message to its new owner and weight (undefined: deleted), keeping the sums. */
  private account(topic: string, next: { owner: string | undefined; bytes: number } | undefined): void {
    const previous = this.retained.get(topic);
    if (previous?.owner !== undefined) this.add(previous.owner, -1, -previous.bytes);
    if (next === undefined) this.retained.delete(topic);
    else {
      this.retained.set(topic, next);
      if (next.owner !== undefined) this.add(next.owner, 1, next.bytes);
    }
  }

  private add(owner: string, messages: number, bytes: number): void {
    const usage = this.usage.get(owner) ?? { messages: 0, bytes: 0 };
    usage.messages += messages;
    usage.bytes += bytes;
    if (usage.messages <= 0) this.usage.delete(owner);
    else this.usage.set(owner, usage);
  }

  private countOf(account: string): AccountQuotaCount {
    let count = this.counts.get(account);
    if (!count) {
      if (this.counts.size >= accountsKept) this.counts.clear();
      this.counts.set(account, (count = { retainedRefused: 0, queuedDropped: 0, queuedDroppedBytes: 0 }));
    }
    return count;
  }

  private logSometimes(account: string, kind: string, fields: Record<string, unknown>, msg: string): void {
    const key = `${kind}\u0000${account}`;
    const now = Date.now();
    if (now - (this.logged.get(key) ?? 0) < logEveryMs) return;
    if (this.logged.size >= accountsKept) this.logged.clear();
    this.logged.set(key, now);
    this.deps.log.warn(fields, msg);
  }
}
