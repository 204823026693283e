import crypto from 'node:crypto';
import type { ConnectContext, MqttAuthenticator, MqttIdentity } from '../mqtt/identity.js';
import type { Account } from '../store/accounts-repo.js';

interface AccountLookup {
  get(username: string): Promise<Account | undefined>;
}

/** How long a login the gateway opened may take to reach the broker's authenticate hook. */
const tokenTtlMs = 30_000;

/**
 * How an MQTT-SN client logs in to the broker. MQTT-SN 1.2 carries no credentials; the gateway has admitted the client
 * by its binding (client id → account, source address) and now connects it as that account with a one-time password
 * only it knows (32 random bytes, bound to the client id, used once). The identity is exactly what a password login
 * of that account gets (kind and topic filters), so the ACL is the same; a revoked account is refused. Everything
 * else goes on to the next authenticator unchanged.
 */
export class GatewayLogins implements MqttAuthenticator {
  private readonly tokens = new Map<string, { clientId: string; account: string; expires: number }>();

  constructor(private readonly next: MqttAuthenticator, private readonly accounts: AccountLookup, private readonly now: () => number = Date.now) {}

  /** A password for one login of `clientId` as `account`. */
  issue(clientId: string, account: string): string {
    const now = this.now();
    for (const [t, v] of this.tokens) if (v.expires < now) this.tokens.delete(t);
    const token = `mqttsn:${crypto.randomBytes(32).toString('base64url')}`;
    this.tokens.set(token, { clientId, account, expires: now + tokenTtlMs });
    return token;
  }

  /** A gateway login is answered here, without the login gate: no password hash to check. */
  async verifiedBefore(username: string, password: string): Promise<MqttIdentity | undefined> {
    if (!this.tokens.has(password)) return this.next.verifiedBefore?.(username, password);
    return undefined; // the client id is needed: authenticate() decides
  }

  async authenticate(username: string, password: string, ctx: ConnectContext): Promise<MqttIdentity | undefined> {
    const token = this.tokens.get(password);
    if (!token) return this.next.authenticate(username, password, ctx);
    this.tokens.delete(password);
    if (token.expires < this.now() || token.account !== username || token.clientId !== ctx.clientId) return undefined;
    const account = await this.accounts.get(username);
    if (!account || account.revokedAt !== undefined) return undefined;
    return { username: account.username, kind: account.kind, acl: account.acl };
  }
}
