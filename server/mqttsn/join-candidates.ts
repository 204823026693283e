import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Candidate } from '../../devices/pairing/candidates.js';
import type { AccountsRepo, Account } from '../store/accounts-repo.js';
import type { BindingsRepo } from './bindings-repo.js';

// A house's worth of sensors found at once; each entry is a client id and an address.
const maxCandidates = 1000;

/**
 * MQTT-SN clients that sent CONNECT with an unbound client id while the join window was open: pairing candidates
 * beside the MQTT ones (server/api/pairing.ts lists, accepts and rejects them). MQTT-SN has no credentials, so
 * acceptance makes an account named after the client id (a generated password nobody is shown: the gateway logs
 * the client in with its own one-time passwords) and binds the client id to it, from the address it came from.
 * Until then the client is refused as any unbound one (CONNACK 0x03); its next CONNECT after acceptance is admitted.
 */
export class MqttSnCandidates {
  private readonly entries = new Map<string, Candidate>();
  /** Client ids rejected in this window: not candidates again until the next one. */
  private readonly rejected = new Set<string>();

  constructor(private readonly deps: {
    window: { readonly isOpen: boolean };
    accounts: Pick<AccountsRepo, 'exists' | 'create' | 'setAcl' | 'get'>;
    bindings: Pick<BindingsRepo, 'bind'>;
    /** A name an MQTT candidate already has: left to it (one list, one name per candidate). */
    taken: (name: string) => boolean;
    changed: (username: string) => void;
    log: Logger;
  }) {}

  /** An unbound client id's CONNECT (refused by the gateway); a candidate while the window is open. */
  async seen(clientId: string, address: string, now = Date.now()): Promise<void> {
    if (!this.deps.window.isOpen || this.rejected.has(clientId) || this.deps.taken(clientId)) return;
    const known = this.entries.get(clientId);
    // The first address to present a client id keeps it (as the first password does for MQTT candidates).
    if (known) return;
    if (this.entries.size >= maxCandidates) return;
    // A client id that names an existing account is not offered: accepting it could not create the account.
    if (await this.deps.accounts.exists(clientId)) {
      this.deps.log.info({ clientId, address }, 'MQTT-SN CONNECT in the join window: an account has this name; bind it with mqttsn bind');
      return;
    }
    if (this.entries.has(clientId) || !this.deps.window.isOpen) return; // decided while we looked
    this.entries.set(clientId, { username: clientId, clientId, address, firstSeen: now, topics: [], announcements: [], subscriptions: [], connected: false, protocol: 'MQTT-SN' });
    this.deps.log.info({ clientId, address }, 'MQTT-SN pairing candidate');
    this.deps.changed(clientId);
  }

  has(username: string): boolean {
    return this.entries.has(username);
  }

  list(): Candidate[] {
    return [...this.entries.values()].map((c) => ({ ...c }));
  }

  /** Creates the account and binds the client id to it, restricted to the address the candidate came from. */
  async accept(username: string, acl?: string[]): Promise<Account> {
    const c = this.entries.get(username);
    if (!c) throw new RumahError(ErrorCodes.NOT_FOUND, `no MQTT-SN pairing candidate "${username}"`);
    this.entries.delete(username);
    try {
      await this.deps.accounts.create(c.clientId, 'device');
      if (acl) await this.deps.accounts.setAcl(c.clientId, acl);
      await this.deps.bindings.bind(c.clientId, c.clientId, [c.address]);
    } catch (err) {
      this.entries.set(username, c); // still a candidate: the admin sees why and may try again
      throw err;
    }
    this.deps.log.info({ clientId: c.clientId, address: c.address }, 'MQTT-SN pairing candidate accepted');
    return (await this.deps.accounts.get(c.clientId))!;
  }

  reject(username: string): boolean {
    if (!this.entries.delete(username)) return false;
    this.rejected.add(username);
    return true;
  }

  /** A new window is a new chance for clients rejected in the last one. */
  reset(): void {
    this.rejected.clear();
  }
}
