import { ErrorCodes, RumahError } from '../core/errors.js';
import { hashPassword, runNow, verifyPassword, type HashSlot } from '../auth/passwords.js';
import { Resalt } from '../auth/resalt.js';
import { VerifiedCache } from '../auth/verified-cache.js';
import type { Database } from './database.js';
import { readIn, RowsByKey } from './rows-by-key.js';
import { requireName, requirePassword } from './validate.js';

export type UserRole = 'admin' | 'member';

export interface User {
  username: string;
  role: UserRole;
  createdAt: number;
}

interface Row {
  username: string;
  password_hash: string;
  role: UserRole;
  created_at: number;
}

/** Dashboard users. Passwords are stored as scrypt hashes only. */
export class UsersRepo {
  /** Admins log in over MQTT too (apps, bridges): their reconnects must not each cost a scrypt. */
  private readonly verified = new VerifiedCache();
  /** A login reads its row, many logins in one query (rows-by-key.ts). */
  private readonly rows: RowsByKey<Row>;

  /** Old hashes get today's salt after a quiet login (auth/resalt.ts). */
  readonly resalt: Resalt;

  constructor(private readonly db: Database) {
    this.rows = new RowsByKey(readIn<Row>(db, 'SELECT * FROM users WHERE username IN'), (row) => row.username);
    this.resalt = new Resalt(this.verified, async (username, stored, next) => {
      const { changes } = await db.run('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?', [next, username, stored]);
      return changes === 1;
    });
  }

  async create(username: string, password: string, role: UserRole, now = Date.now()): Promise<User> {
    requireName(username, 'username');
    requirePassword(password);
    // One MQTT username, one principal: an MQTT account already has this name (server/store/accounts-repo.ts).
    if (await this.db.get('SELECT 1 AS taken FROM accounts WHERE username = ?', [username])) {
      throw new RumahError(ErrorCodes.CONFLICT, `"${username}" is an MQTT account's name; choose another name for the user`, { username });
    }
    const hash = await hashPassword(password);
    const { changes } = await this.db.run(
      `INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (username) DO NOTHING`,
      [username, hash, role, now],
    );
    if (changes === 0) throw new RumahError(ErrorCodes.CONFLICT, `user "${username}" already exists`, { username });
    return { username, role, createdAt: now };
  }

  /**
   * The user if the password is right, else undefined (an unknown name takes as long as a wrong password). The hash
   * runs in `slot` (the login gate); the row is read again after it, so a user removed, demoted or given a new
   * password while the login waited for its turn is answered as now.
   */
  async verify(username: string, password: string, slot: HashSlot = runNow): Promise<User | undefined> {
    const row = await this.rows.get(username);
    if (!row) {
      await slot(() => verifyPassword(password, undefined));
      return undefined;
    }
    const ok = await this.verified.verify(row.username, row.password_hash, password, () => verifyPassword(password, row.password_hash), slot);
    if (!ok) return undefined;
    const now = await this.rows.get(username);
    if (!now || !this.verified.stillHolds(now.username, row.password_hash, now.password_hash, password)) return undefined;
    this.resalt.offer(now.username, now.password_hash, password);
    return toUser(now);
  }

  /** The user when this password was verified before against the current hash (one HMAC), else undefined. */
  async verifyCached(username: string, password: string): Promise<User | undefined> {
    if (!this.verified.has(username)) return undefined;
    const row = await this.rows.get(username);
    if (!row || !this.verified.known(row.username, row.password_hash, password)) return undefined;
    this.resalt.offer(row.username, row.password_hash, password);
    return toUser(row);
  }

  async get(username: string): Promise<User | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM users WHERE username = ?', [username]);
    return row && toUser(row);
  }

  /** 0 means first run: the setup page creates the first admin. */
  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n ?? 0;
  }

  async list(): Promise<User[]> {
    return (await this.db.all<Row>('SELECT * FROM users ORDER BY username')).map(toUser);
  }

  /** Other sessions stay valid: the caller decides (SessionsRepo.removeForUser) whether to end them. */
  async setPassword(username: string, password: string): Promise<void> {
    requirePassword(password);
    const hash = await hashPassword(password);
    const { changes } = await this.db.run('UPDATE users SET password_hash = ? WHERE username = ?', [hash, username]);
    if (changes === 0) throw notFound(username);
  }

  async setRole(username: string, role: UserRole): Promise<void> {
    const { changes } = await this.db.run('UPDATE users SET role = ? WHERE username = ?', [role, username]);
    if (changes === 0) throw notFound(username);
  }

  /** Also ends the user's sessions (foreign key, ON DELETE CASCADE). */
  async remove(username: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM users WHERE username = ?', [username])).changes > 0;
  }
}

function toUser(r: Row): User {
  return { username: r.username, role: r.role, createdAt: r.created_at };
}

function notFound(username: string): RumahError {
  return new RumahError(ErrorCodes.NOT_FOUND, `user "${username}" does not exist`, { username });
}
