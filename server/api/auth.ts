import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ConnectContext, MqttAuthenticator, MqttIdentity } from '../mqtt/broker.js';
import { randomSecret, sha256, type HashSlot } from '../auth/passwords.js';
import type { Store } from '../store/index.js';
import type { TokenScope } from '../store/api-tokens-repo.js';
import { LoginBusy, type LoginGate } from '../mqtt/login-gate.js';

export type Role = 'admin' | 'member';
export interface Principal {
  username: string;
  role: Role;
  /** How the caller proved who it is. */
  via: 'session' | 'token';
  /** An API token's scope (server/store/api-tokens-repo.ts); sessions have none: their role says it all. */
  scope?: TokenScope;
}

const sessionTtlMs = 30 * 24 * 3600 * 1000;
const setupCodeKey = 'setup_code_hash';

/**
 * Logins, sessions, API tokens and first-run setup: transport-neutral, used by HTTP routes and socket.io.
 */
export class AuthApi implements MqttAuthenticator {
  private readonly failures = new Map<string, { count: number; until: number }>();
  /**
   * The MQTT logins' gate (server/mqtt/login-gate.ts), shared: a dashboard password is a scrypt of 16 MiB too, and
   * 1,000 logins posted at once were 888 checked at once, beside the devices' logins. Set by the hub. Only the hash
   * waits for its turn there.
   */
  gate?: LoginGate;

  /** Told of each password login checked, accepted or refused (the hub puts it on the bus for the logbook). */
  onLogin?: (e: { username: string; ok: boolean; address: string }) => void;

  constructor(private readonly store: Store, private readonly log: Logger) {}

  /**
   * The first start's bootstrap while it runs. The hub opens MQTT before the admin's password is hashed (a scrypt of
   * 16 MiB, tens of ms that a device's login need not wait for): a login that is no device account's waits for it,
   * since the admin it makes may be who logs in.
   */
  private booting?: Promise<unknown>;

  /** First start: the admin from RUMAH_ADMIN_PASSWORD, or a one-time setup code to create one in the browser. */
  bootstrap(adminPassword: string | undefined): Promise<{ setupCode?: string; adminCreated?: boolean }> {
    const running = this.firstStart(adminPassword);
    this.booting = running.catch(() => undefined);
    return running;
  }

  private async firstStart(adminPassword: string | undefined): Promise<{ setupCode?: string; adminCreated?: boolean }> {
    if ((await this.store.users.count()) > 0) return {};
    if (adminPassword) {
      await this.store.users.create('admin', adminPassword, 'admin');
      this.log.info('admin account "admin" created from RUMAH_ADMIN_PASSWORD');
      return { adminCreated: true };
    }
    const code = randomSecret(9);
    await this.store.settings.set(setupCodeKey, sha256(code));
    return { setupCode: code };
  }

  async setup(code: string, username: string, password: string): Promise<Principal> {
    if ((await this.store.users.count()) > 0) throw new RumahError(ErrorCodes.CONFLICT, 'setup is already done; log in instead');
    const expected = await this.store.settings.get(setupCodeKey);
    if (!expected || sha256(code) !== expected) throw new RumahError(ErrorCodes.UNAUTHORIZED, 'wrong setup code; it was printed in the hub\'s log at first start');
    checkPassword(password);
    await this.store.users.create(username, password, 'admin');
    await this.store.settings.delete(setupCodeKey);
    return { username, role: 'admin', via: 'session' };
  }

  /** Throws unless setup is still to do and `code` is its code (the dashboard's restore on the first-run page). */
  async checkSetupCode(code: string): Promise<void> {
    if ((await this.store.users.count()) > 0) throw new RumahError(ErrorCodes.CONFLICT, 'setup is already done: restore a backup with the hub stopped (npm run rumah -- restore FILE)');
    const expected = await this.store.settings.get(setupCodeKey);
    if (!expected || sha256(code) !== expected) throw new RumahError(ErrorCodes.UNAUTHORIZED, 'wrong setup code; it was printed in the hub\'s log at first start');
  }

  async login(username: string, password: string, address = '?'): Promise<{ token: string; principal: Principal }> {
    this.throttle(address);
    // Asked again when the hash starts: logins that waited their turn behind failures of the same address are
    // refused then, without a scrypt (the throttle counts an attempt when it is checked, not when it arrived).
    const gate = this.gate;
    const slot: HashSlot = (work) => {
      const checked = () => {
        this.throttle(address);
        return work();
      };
      return gate ? gate.run(checked) : checked();
    };
    const user = await this.store.users.verify(username, password, slot).catch((err: unknown) => {
      if (err instanceof LoginBusy) throw new RumahError(ErrorCodes.RATE_LIMITED, 'too many logins are being checked; try again in a few seconds');
      throw err;
    });
    if (!user) {
      this.failed(address);
      this.onLogin?.({ username, ok: false, address });
      throw new RumahError(ErrorCodes.UNAUTHORIZED, 'wrong username or password');
    }
    this.failures.delete(address);
    this.onLogin?.({ username: user.username, ok: true, address });
    const token = await this.store.sessions.create(user.username, sessionTtlMs);
    return { token, principal: { username: user.username, role: user.role, via: 'session' } };
  }

  async logout(token: string): Promise<void> {
    await this.store.sessions.remove(token);
  }

  async fromSession(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const session = await this.store.sessions.get(token);
    if (!session) return undefined;
    const user = await this.store.users.get(session.username);
    return user ? { username: user.username, role: user.role, via: 'session' } : undefined;
  }

  /** Long-lived API tokens (made from the CLI on the hub's machine) act within their scope: only `admin` is an admin. */
  async fromToken(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const found = await this.store.apiTokens.verify(token);
    return found ? { username: `token:${found.name}`, role: found.scope === 'admin' ? 'admin' : 'member', via: 'token', scope: found.scope } : undefined;
  }

  /** MQTT logins: device accounts first (the repository caches verified passwords), then dashboard admins. */
  async authenticate(username: string, password: string, ctx?: Pick<ConnectContext, 'hashSlot'>): Promise<MqttIdentity | undefined> {
    // An account and a user never share a name (accounts-repo.ts): a user's login spends no scrypt on the
    // account it is not; users.verify() spends the one an unknown name costs.
    const account = await this.store.accounts.verify(username, password, { unknownCostsScrypt: false, slot: ctx?.hashSlot });
    if (account) return { username, kind: account.kind, acl: account.acl };
    await this.booting;
    const user = await this.store.users.verify(username, password, ctx?.hashSlot);
    return user?.role === 'admin' ? { username, kind: 'admin' } : undefined;
  }

  /** Both kinds of login, answered from the verified-credentials cache (server/auth/verified-cache.ts). */
  async verifiedBefore(username: string, password: string): Promise<MqttIdentity | undefined> {
    const account = await this.store.accounts.verifyCached(username, password);
    if (account) return { username, kind: account.kind, acl: account.acl };
    const user = await this.store.users.verifyCached(username, password);
    return user?.role === 'admin' ? { username, kind: 'admin' } : undefined;
  }

  remember(username: string, password: string, hash: string): void {
    this.store.accounts.remember(username, password, hash);
  }

  /** Whether a name is taken by an account or a user: an unknown name may become a pairing candidate. */
  async knows(username: string): Promise<boolean> {
    await this.booting;
    return (await this.store.accounts.exists(username)) || (await this.store.users.get(username)) !== undefined;
  }

  private throttle(address: string): void {
    const f = this.failures.get(address);
    if (f && f.count >= 5 && f.until > Date.now()) {
      throw new RumahError(ErrorCodes.RATE_LIMITED, `too many failed logins; try again in ${Math.ceil((f.until - Date.now()) / 1000)} s`);
    }
  }

  private failed(address: string): void {
    // Bounded like the MQTT login throttle: an attacker with many addresses must not grow this without end.
    if (!this.failures.has(address) && this.failures.size >= 10_000) this.failures.clear();
    const f = this.failures.get(address) ?? { count: 0, until: 0 };
    f.count++;
    // Doubling back-off from the 5th failure: 2 s, 4 s, ... capped at 15 minutes.
    f.until = Date.now() + Math.min(15 * 60_000, 1000 * 2 ** Math.max(0, f.count - 4));
    this.failures.set(address, f);
  }
}

export function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < 8) {
    throw new RumahError(ErrorCodes.BAD_REQUEST, 'password must have at least 8 characters');
  }
}
