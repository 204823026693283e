import { ErrorCodes, RumahError } from '../core/errors.js';
import { randomSecret, sha256 } from '../auth/passwords.js';
import type { Database } from './database.js';
import { requireName } from './validate.js';

export interface ApiToken {
  name: string;
  createdAt: number;
  lastUsedAt?: number;
}

/** last_used_at is refreshed at most this often, so a busy script does not turn every GET into a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Named bearer tokens for scripts. The token is shown once; only its sha256 is stored. */
export class ApiTokensRepo {
  constructor(private readonly db: Database) {}

  async create(name: string, now = Date.now()): Promise<string> {
    requireName(name, 'name');
    const token = randomSecret(32);
    const { changes } = await this.db.run(
      'INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [name, sha256(token), now],
    );
    if (changes === 0) throw new RumahError(ErrorCodes.CONFLICT, `API token "${name}" already exists`, { name });
    return token;
  }

  /** The token's name if it is known, else undefined. */
  async verify(token: string, now = Date.now()): Promise<{ name: string } | undefined> {
    const hash = sha256(token);
    const row = await this.db.get<{ name: string }>('SELECT name FROM api_tokens WHERE token_hash = ?', [hash]);
    if (!row) return undefined;
    await this.db.run(
      'UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
      [now, hash, now - LAST_USED_RESOLUTION_MS],
    );
    return { name: row.name };
  }

  async list(): Promise<ApiToken[]> {
    const rows = await this.db.all<{ name: string; created_at: number; last_used_at: number | null }>(
      'SELECT name, created_at, last_used_at FROM api_tokens ORDER BY name',
    );
    return rows.map((r) => {
      const t: ApiToken = { name: r.name, createdAt: r.created_at };
      if (r.last_used_at !== null) t.lastUsedAt = r.last_used_at;
      return t;
    });
  }

  async remove(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM api_tokens WHERE name = ?', [name])).changes > 0;
  }
}
