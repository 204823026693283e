import { ErrorCodes, RumahError } from '../core/errors.js';
import { hashPassword, randomSecret, runNow, verifyPassword, type HashSlot, type PasswordCost } from '../auth/passwords.js';
import { Resalt } from '../auth/resalt.js';
import { VerifiedCache } from '../auth/verified-cache.js';
import type { Database } from './database.js';
import { readIn, RowsByKey } from './rows-by-key.js';
import { requireName, requirePassword } from './validate.js';

export type AccountKind = 'device' | 'admin';

export interface Account {
  username: string;
  kind: AccountKind;
  createdAt: number;
  revokedAt?: number;
  /** Topic filters this account is limited to; absent: ownership rules (devices/pairing/acl.ts). */
  acl?: string[];
}

interface Row {
  username: string;
  password_hash: string;
  kind: AccountKind;
  created_at: number;
  revoked_at: number | null;
  acl: string | null;
}

/** 24 random bytes = 192 bits: far beyond guessing, and short enough to type into a device's web page. */
const GENERATED_PASSWORD_BYTES = 24;

/**
 * MQTT credentials. verify() runs on every CONNECT, and scrypt costs tens of milliseconds of a libuv thread (the
 * same pool SQLite uses): verified passwords are remembered, and concurrent checks shared (server/auth/
 * verified-cache.ts). Revocation is read from the row each time; the rows of logins arriving together are read in
 * one query (rows-by-key.ts).
 */
export class AccountsRepo {
  private readonly verified = new VerifiedCache();
  private readonly rows: RowsByKey<Row>;
  /** Old hashes get today's salt after a quiet login (auth/resalt.ts). */
  readonly resalt: Resalt;

  constructor(private readonly db: Database) {
    this.rows = new RowsByKey(readIn<Row>(db, 'SELECT * FROM accounts WHERE username IN'), (row) => row.username);
    this.resalt = new Resalt(this.verified, async (username, stored, next) => {
      const { changes } = await db.run('UPDATE accounts SET password_hash = ? WHERE username = ? AND password_hash = ?', [next, username, stored]);
      return changes === 1;
    });
  }

  /** Creates an account with a generated password and returns that password: it is shown once, stored hashed. */
  async create(username: string, kind: AccountKind, now = Date.now()): Promise<string> {
    requireName(username, 'username');
    await this.refuseUserName(username);
    const password = randomSecret(GENERATED_PASSWORD_BYTES);
    const hash = await hashPassword(password, 'device');
    const { changes } = await this.db.run(
      `INSERT INTO accounts (username, password_hash, kind, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (username) DO NOTHING`,
      [username, hash, kind, now],
    );
    if (changes === 0) throw new RumahError(ErrorCodes.CONFLICT, `MQTT account "${username}" already exists`, { username });
    return password;
  }

  /** Creates an account from a password hashed elsewhere (a paired device's presented password). */
  async createHashed(username: string, hash: string, kind: AccountKind, acl?: string[], now = Date.now()): Promise<void> {
    requireName(username, 'username');
    await this.refuseUserName(username);
    const { changes } = await this.db.run(
      `INSERT INTO accounts (username, password_hash, kind, created_at, acl) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (username) DO NOTHING`,
      [username, hash, kind, now, acl ? JSON.stringify(acl) : null],
    );
    if (changes === 0) throw new RumahError(ErrorCodes.CONFLICT, `MQTT account "${username}" already exists`, { username });
  }

  async setAcl(username: string, acl: string[] | undefined): Promise<void> {
    const { changes } = await this.db.run('UPDATE accounts SET acl = ? WHERE username = ?', [acl ? JSON.stringify(acl) : null, username]);
    if (changes === 0) throw notFound(username);
  }

  /** Creates or replaces an account with a chosen password (config, CLI); re-enables it if it was revoked. */
  async set(username: string, password: string, kind: AccountKind, now = Date.now()): Promise<void> {
    requireName(username, 'username');
    requirePassword(password);
    await this.refuseUserName(username);
    const hash = await hashPassword(password, costOf(kind));
    await this.db.run(
      `INSERT INTO accounts (username, password_hash, kind, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, kind = excluded.kind, revoked_at = NULL`,
      [username, hash, kind, now],
    );
    this.verified.forget(username);
  }

  /**
   * Remembers a password as verified against `hash` before the account exists (a pairing candidate): once it is
   * created with that hash, its first login needs no scrypt. Nothing is trusted that the row does not confirm.
   */
  remember(username: string, password: string, hash: string): void {
    this.verified.remember(username, hash, password);
  }

  /**
   * The account if the password is right and the account not revoked; otherwise undefined. The hash runs in `slot`
   * (the login gate); the row is read before it, and again after it: an account revoked or given a new password
   * while this login waited for its turn is refused, as if the change had come first.
   */
  async verify(username: string, password: string, opts: { unknownCostsScrypt?: boolean; slot?: HashSlot } = {}): Promise<Account | undefined> {
    const slot = opts.slot ?? runNow;
    const row = await this.row(username);
    if (!row) {
      // Same time as a wrong password, so names cannot be probed — unless the caller checks another kind of login
      // next, which then spends that time itself.
      if (opts.unknownCostsScrypt !== false) await slot(() => verifyPassword(password, undefined, 'device'));
      return undefined;
    }
    const ok = await this.verified.verify(row.username, row.password_hash, password, () => verifyPassword(password, row.password_hash), slot);
    if (!ok) return undefined;
    const now = await this.row(username);
    if (!now || now.revoked_at !== null || !this.verified.stillHolds(now.username, row.password_hash, now.password_hash, password)) return undefined;
    this.resalt.offer(now.username, now.password_hash, password);
    return toAccount(now);
  }

  /**
   * The account when this password was verified before against its current hash (one HMAC, no scrypt), else
   * undefined — which says nothing: verify() decides. Lets a reconnecting device skip the queue of password checks.
   */
  async verifyCached(username: string, password: string): Promise<Account | undefined> {
    if (!this.verified.has(username)) return undefined;
    const row = await this.row(username);
    if (!row || row.revoked_at !== null || !this.verified.known(row.username, row.password_hash, password)) return undefined;
    this.resalt.offer(row.username, row.password_hash, password);
    return toAccount(row);
  }

  /**
   * Dashboard users log in over MQTT too, under their names: an MQTT account of the same name would be a second
   * principal behind one MQTT username (and revoking it disconnected the user's MQTT sessions, found by the fuzz).
   */
  private async refuseUserName(username: string): Promise<void> {
    if (await this.db.get('SELECT 1 AS taken FROM users WHERE username = ?', [username])) {
      throw new RumahError(ErrorCodes.CONFLICT, `"${username}" is a dashboard user's name, which logs in over MQTT too; choose another name for the account`, { username });
    }
  }

  async get(username: string): Promise<Account | undefined> {
    const row = await this.row(username);
    return row && toAccount(row);
  }

  async exists(username: string): Promise<boolean> {
    return (await this.row(username)) !== undefined;
  }

  /** Every account, revoked ones included, without hashes. */
  async list(): Promise<Account[]> {
    const rows = await this.db.all<Row>('SELECT * FROM accounts ORDER BY username');
    return rows.map(toAccount);
  }

  /** Refuses further logins. Does not disconnect a client already connected: the broker does that. */
  async revoke(username: string, now = Date.now()): Promise<void> {
    const { changes } = await this.db.run(
      'UPDATE accounts SET revoked_at = coalesce(revoked_at, ?) WHERE username = ?',
      [now, username],
    );
    if (changes === 0) throw notFound(username);
    this.verified.forget(username);
  }

  /** Issues a fresh generated password (returned once) and re-enables the account; the old one stops working. */
  async rotate(username: string): Promise<string> {
    const password = randomSecret(GENERATED_PASSWORD_BYTES);
    const hash = await hashPassword(password, 'device');
    const { changes } = await this.db.run(
      'UPDATE accounts SET password_hash = ?, revoked_at = NULL WHERE username = ?',
      [hash, username],
    );
    if (changes === 0) throw notFound(username);
    this.verified.forget(username);
    return password;
  }

  private row(username: string): Promise<Row | undefined> {
    return this.rows.get(username);
  }
}

/** A chosen password for an admin account is a person's; everything else a device's (passwords.ts says why). */
function costOf(kind: AccountKind): PasswordCost {
  return kind === 'admin' ? 'person' : 'device';
}

function toAccount(r: Row): Account {
  const account: Account = { username: r.username, kind: r.kind, createdAt: r.created_at };
  if (r.revoked_at !== null) account.revokedAt = r.revoked_at;
  if (r.acl) account.acl = JSON.parse(r.acl) as string[];
  return account;
}

function notFound(username: string): RumahError {
  return new RumahError(ErrorCodes.NOT_FOUND, `MQTT account "${username}" does not exist`, { username });
}
