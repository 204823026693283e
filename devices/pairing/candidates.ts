import crypto from 'node:crypto';
import { hashPassword, runNow, type HashSlot } from '../../server/auth/passwords.js';

export interface Candidate {
  username: string;
  clientId: string;
  address: string;
  firstSeen: number;
  /** Topics it tried to publish (capped), discovery announcements among them. */
  topics: string[];
  announcements: string[];
  subscriptions: string[];
  connected: boolean;
  /** Absent: MQTT. An MQTT-SN candidate (server/mqttsn/join-candidates.ts) has no password and is never connected. */
  protocol?: 'MQTT-SN';
}

interface Entry extends Candidate {
  passwordHash: string;
  /** HMAC of the password under a per-process key: a reconnect is checked without another scrypt. */
  mac: Buffer;
}

// Enough for a whole house paired at once (the bench pairs 1,000); each holds a hash and a few topic names.
const maxCandidates = 5000;
const maxTopics = 50;

/** Unknown clients that connected while the join window was open. Their password is kept only as a hash. */
export class Candidates {
  private readonly entries = new Map<string, Entry>();
  private readonly macKey = crypto.randomBytes(32);
  private readonly rejected = new Set<string>();
  /** Names accepted in this window: no longer candidates, even for a login that was being checked meanwhile. */
  private readonly accepted = new Set<string>();
  /** Names whose first presented password is being hashed. */
  private readonly hashing = new Map<string, { mac: Buffer; done: Promise<Entry | undefined> }>();

  /** The hash of the presented password runs in `slot` (the login gate: server/mqtt/identity.ts). */
  async add(username: string, password: string, clientId: string, address: string, now: number, slot: HashSlot = runNow): Promise<Candidate | undefined> {
    if (this.rejected.has(username) || this.accepted.has(username)) return undefined;
    const mac = crypto.createHmac('sha256', this.macKey).update(password).digest();
    // The same name with another password is someone else: the first one to present the name keeps it — also
    // while its password is still being hashed (two logins at once must not both become the candidate).
    const existing = this.entries.get(username);
    const inFlight = existing ? undefined : this.hashing.get(username);
    if (existing ?? inFlight) {
      if (!crypto.timingSafeEqual((existing ?? inFlight!).mac, mac)) return undefined;
      const entry = existing ?? (await inFlight!.done);
      if (!entry || this.entries.get(username) !== entry) return undefined;
      entry.clientId = clientId;
      entry.connected = true;
      return view(entry);
    }
    if (this.entries.size + this.hashing.size >= maxCandidates) return undefined;
    const done = (async (): Promise<Entry | undefined> => {
      const passwordHash = await slot(() => hashPassword(password, 'device'));
      // Rejected while hashing: no candidate session may be made now (it would outlive the admin's decision).
      if (this.rejected.has(username) || this.accepted.has(username)) return undefined;
      const entry: Entry = { username, clientId, address, firstSeen: now, topics: [], announcements: [], subscriptions: [], connected: true, passwordHash, mac };
      this.entries.set(username, entry);
      return entry;
    })().finally(() => this.hashing.delete(username));
    this.hashing.set(username, { mac, done });
    const entry = await done;
    return entry && view(entry);
  }

  /** Records a topic a candidate published to; true when it is new (worth telling the dashboard). */
  published(username: string, topic: string): boolean {
    const e = this.entries.get(username);
    if (!e) return false;
    const list = isDiscovery(topic) ? e.announcements : e.topics;
    if (list.includes(topic) || list.length >= maxTopics) return false;
    list.push(topic);
    return true;
  }

  subscribed(username: string, filter: string): void {
    const e = this.entries.get(username);
    if (e && !e.subscriptions.includes(filter) && e.subscriptions.length < maxTopics) e.subscriptions.push(filter);
  }

  disconnected(username: string): void {
    const e = this.entries.get(username);
    if (e) e.connected = false;
  }

  /** Removes and returns the candidate with its password hash, for acceptance. */
  take(username: string): (Candidate & { passwordHash: string }) | undefined {
    const e = this.entries.get(username);
    if (e) {
      this.entries.delete(username);
      this.accepted.add(username);
    }
    return e;
  }

  /** Taken for acceptance in this window: its logins are the account's now (or in a moment, once it is stored). */
  wasAccepted(username: string): boolean {
    return this.accepted.has(username);
  }

  reject(username: string): boolean {
    const had = this.entries.delete(username);
    this.rejected.add(username);
    return had;
  }

  hashOf(username: string): string | undefined {
    return this.entries.get(username)?.passwordHash;
  }

  has(username: string): boolean {
    return this.entries.has(username);
  }

  list(): Candidate[] {
    return [...this.entries.values()].map(view);
  }

  /** A new window is a new chance for clients rejected in the last one. */
  reset(): void {
    this.rejected.clear();
    this.accepted.clear();
  }
}

function view(e: Entry): Candidate {
  const { passwordHash: _hidden, mac: _alsoHidden, ...candidate } = e;
  return { ...candidate, topics: [...e.topics], announcements: [...e.announcements], subscriptions: [...e.subscriptions] };
}

export function isDiscovery(topic: string): boolean {
  return topic.startsWith('homeassistant/') || topic.startsWith('tasmota/discovery/') || topic.endsWith('/$description') || topic.endsWith('bridge/devices');
}
