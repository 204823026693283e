import { ErrorCodes, RumahError } from '../core/errors.js';
import { randomSecret, sha256 } from '../auth/passwords.js';
import type { Database } from './database.js';

export interface Session {
  username: string;
  createdAt: number;
  expiresAt: number;
}

/** Login sessions. The token goes to the browser; only its sha256 is stored, so a copy of the file logs no one in. */
export class SessionsRepo {
  constructor(private readonly db: Database) {}

  /** A new random token for `username`, valid for ttlMs. NOT_FOUND if there is no such user. */
  async create(username: string, ttlMs: number, now = Date.now()): Promise<string> {
    const token = randomSecret(32);
    // INSERT ... SELECT: no row when the user does not exist, instead of a foreign-key error to decode.
    const { changes } = await this.db.run(
      `INSERT INTO sessions (token_hash, username, created_at, expires_at)
       SELECT ?, username, ?, ? FROM users WHERE username = ?`,
      [sha256(token), now, now + ttlMs, username],
    );
    if (changes === 0) throw new RumahError(ErrorCodes.NOT_FOUND, `user "${username}" does not exist`, { username });
    return token;
  }

  /** The session of a token, or undefined if unknown or expired. */
  async get(token: string, now = Date.now()): Promise<Session | undefined> {
    const row = await this.db.get<{ username: string; created_at: number; expires_at: number }>(
      'SELECT username, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?',
      [sha256(token), now],
    );
    return row && { username: row.username, createdAt: row.created_at, expiresAt: row.expires_at };
  }

  async remove(token: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM sessions WHERE token_hash = ?', [sha256(token)])).changes > 0;
  }

  /** Ends every session of a user (after a password change, say); returns how many. */
  async removeForUser(username: string): Promise<number> {
    return (await this.db.run('DELETE FROM sessions WHERE username = ?', [username])).changes;
  }

  /** Deletes expired sessions; returns how many. */
  async purgeExpired(now = Date.now()): Promise<number> {
    return (await this.db.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes;
  }
}
