import { ErrorCodes, RumahError } from '../core/errors.js';
import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { Broker } from '../mqtt/broker.js';
import type { AccountStorageView } from '../mqtt/storage-quotas.js';
import type { Store } from '../store/index.js';
import type { Account } from '../store/accounts-repo.js';
import { Candidates, type Candidate } from '../../devices/pairing/candidates.js';
import { JoinWindow } from '../../devices/pairing/join-window.js';
import { DeviceAcl, type DenialCount } from '../../devices/pairing/acl.js';
import { filterError } from '../mqtt/topics.js';
import type { Convention } from '../../devices/convention.js';
import type { DeviceLog, LogEntry } from '../core/device-log.js';

export interface PairingState {
  open: boolean;
  remaining: number;
  candidates: Candidate[];
}

export interface AccountView extends Account {
  denied?: DenialCount;
  /** Its retained messages against its quota, and what its quotas refused or dropped (docs/limits.md). */
  storage?: AccountStorageView;
}

const maxWindowSeconds = 3600;

/** Candidates of another protocol, listed, accepted and rejected here beside the MQTT ones (server/mqttsn/join-candidates.ts). */
export interface OtherCandidates {
  list(): Candidate[];
  has(username: string): boolean;
  accept(username: string, acl?: string[]): Promise<Account>;
  reject(username: string): boolean;
  reset(): void;
}

/**
 * Pairing and device credentials, transport-neutral (REST, socket.io and the CLI call these): the join window,
 * candidates accepted or rejected, credentials created ahead of time, rotated and revoked.
 */
export class PairingApi {
  readonly window: JoinWindow;
  readonly candidates = new Candidates();
  readonly acl: DeviceAcl;
  private broker?: Broker;
  private others?: OtherCandidates;
  /** Where devices connect, once the hub listens: shown with new credentials. */
  ports?: { mqtt: number; mqtts?: number };

  constructor(private readonly deps: { store: Store; bus: EventBus; log: Logger; conventions: () => readonly Convention[]; deviceLog: DeviceLog }) {
    this.window = new JoinWindow((open, seconds) => this.windowChanged(open, seconds));
    this.acl = new DeviceAcl(this.candidates, (username) => deps.bus.emit('candidateChanged', { username, state: 'pending' }));
  }

  /** The broker exists only after the authenticator (this) is built: wired in late by the hub. */
  attachBroker(broker: Broker): void {
    this.broker = broker;
  }

  /** MQTT-SN candidates, when the gateway is on (server/mqttsn/start.ts). */
  attachCandidates(others: OtherCandidates): void {
    this.others = others;
  }

  state(): PairingState {
    return { open: this.window.isOpen, remaining: this.window.remaining, candidates: [...this.candidates.list(), ...(this.others?.list() ?? [])] };
  }

  open(seconds: number): PairingState {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxWindowSeconds) {
      throw new RumahError(ErrorCodes.BAD_REQUEST, `seconds must be a whole number from 1 to ${maxWindowSeconds}`);
    }
    this.candidates.reset();
    this.others?.reset();
    this.window.open(seconds);
    return this.state();
  }

  close(): PairingState {
    this.window.close();
    return this.state();
  }

  /** The candidate's presented password becomes its account's (hashed); it reconnects as a normal device. */
  async accept(username: string, acl?: string[]): Promise<AccountView> {
    if (acl) checkFilters(acl);
    if (!this.candidates.has(username) && this.others?.has(username)) {
      const account = await this.others.accept(username, acl);
      this.deps.bus.emit('candidateChanged', { username, state: 'accepted' });
      this.deps.bus.emit('accountsChanged', { username });
      return account;
    }
    const candidate = this.candidates.take(username);
    if (!candidate) throw new RumahError(ErrorCodes.NOT_FOUND, `no pairing candidate "${username}"; GET /api/pairing lists them`);
    await this.deps.store.accounts.createHashed(username, candidate.passwordHash, 'device', acl);
    // Its session so far was a candidate's (routed nowhere): reconnecting makes it a device with its messages.
    this.broker?.disconnectUser(username);
    this.deps.log.info({ username, topics: candidate.topics.length }, 'pairing candidate accepted');
    this.deps.bus.emit('candidateChanged', { username, state: 'accepted' });
    this.deps.bus.emit('accountsChanged', { username });
    return (await this.deps.store.accounts.get(username))!;
  }

  reject(username: string): void {
    if (!this.candidates.has(username) && this.others?.reject(username)) return void this.deps.bus.emit('candidateChanged', { username, state: 'rejected' });
    if (!this.candidates.reject(username)) throw new RumahError(ErrorCodes.NOT_FOUND, `no pairing candidate "${username}"`);
    this.broker?.disconnectUser(username);
    this.deps.bus.emit('candidateChanged', { username, state: 'rejected' });
  }

  candidateDisconnected(username: string): void {
    if (!this.candidates.has(username)) return;
    this.candidates.disconnected(username);
    this.deps.bus.emit('candidateChanged', { username, state: 'pending' });
  }

  async accounts(): Promise<AccountView[]> {
    const quotas = this.broker?.storage.quotas;
    return (await this.deps.store.accounts.list()).map((a) => ({
      ...a, denied: this.acl.denied.get(a.username), ...(quotas ? { storage: quotas.viewOf(a.username, a.kind === 'admin') } : {}),
    }));
  }

  accountLog(username: string): LogEntry[] {
    return this.deps.deviceLog.forAccount(username);
  }

  /** Credentials made ahead of time; the password is returned once. */
  async createAccount(username: string, acl?: string[]): Promise<{ username: string; password: string; ports?: { mqtt: number; mqtts?: number } }> {
    if (acl) checkFilters(acl);
    const password = await this.deps.store.accounts.create(username, 'device');
    if (acl) await this.deps.store.accounts.setAcl(username, acl);
    this.deps.bus.emit('accountsChanged', { username });
    return { username, password, ports: this.ports };
  }

  async rotate(username: string): Promise<{ username: string; password: string }> {
    const password = await this.deps.store.accounts.rotate(username);
    this.broker?.disconnectUser(username);
    this.deps.bus.emit('accountsChanged', { username });
    return { username, password };
  }

  /** Revoking disconnects the device at once; its next CONNECT is refused. */
  async revoke(username: string): Promise<{ username: string; disconnected: number }> {
    await this.deps.store.accounts.revoke(username);
    this.deps.bus.emit('accountsChanged', { username });
    return { username, disconnected: this.broker?.disconnectUser(username) ?? 0 };
  }

  stop(): void {
    this.window.stop();
  }

  private windowChanged(open: boolean, seconds: number): void {
    this.deps.log.info({ open, seconds }, open ? 'join window opened' : 'join window closed');
    this.deps.bus.emit('joinWindowChanged', { open, remaining: seconds });
    // Bridges with their own join (Zigbee2MQTT permit_join) open and close with ours.
    for (const convention of this.deps.conventions()) {
      for (const msg of convention.joinWindowMessages?.(open, seconds) ?? []) void this.broker?.publish(msg).catch(() => undefined);
    }
    if (!open) for (const c of this.candidates.list()) if (c.connected) this.broker?.disconnectUser(c.username);
  }
}

function checkFilters(filters: string[]): void {
  const problems = filters.map((f, i) => [i, filterError(f)] as const).filter(([, e]) => e);
  if (problems.length) throw new RumahError(ErrorCodes.BAD_REQUEST, problems.map(([i, e]) => `acl[${i}]: ${e}`).join('; '));
}
