import { ErrorCodes, RumahError } from '../core/errors.js';
import { randomSecret, sha256 } from '../auth/passwords.js';
import type { Database } from './database.js';
import { requireName } from './validate.js';

/**
 * What a token may do, least first: `metrics` only GET /metrics (Prometheus); `read` what a member sees, nothing it
 * changes; `control` what a member does (devices, commands); `admin` everything. The /metrics token of a monitoring
 * box cannot create users.
 */
export const tokenScopes = ['metrics', 'read', 'control', 'admin'] as const;
export type TokenScope = (typeof tokenScopes)[number];

export interface ApiToken {
  name: string;
  scope: TokenScope;
  createdAt: number;
  lastUsedAt?: number;
}

/** last_used_at is refreshed at most this often, so a busy script does not turn every GET into a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Named bearer tokens for scripts. The token is shown once; only its sha256 is stored. */
export class ApiTokensRepo {
  constructor(private readonly db: Database) {}

  async create(name: string, now = Date.now(), scope: TokenScope = 'admin'): Promise<string> {
    requireName(name, 'name');
    if (!tokenScopes.includes(scope)) throw new RumahError(ErrorCodes.BAD_REQUEST, `a token's scope is one of ${tokenScopes.join(', ')}`);
    const token = randomSecret(32);
    const { changes } = await this.db.run(
      'INSERT INTO api_tokens (name, token_hash, created_at, scope) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [name, sha256(token), now, scope],
    );
    if (changes === 0) throw new RumahError(ErrorCodes.CONFLICT, `API token "${name}" already exists`, { name });
    return token;
  }

  /** The token's name if it is known, else undefined. */
  async verify(token: string, now = Date.now()): Promise<{ name: string; scope: TokenScope } | undefined> {
    const hash = sha256(token);
    const row = await this.db.get<{ name: string; scope: TokenScope }>('SELECT name, scope FROM api_tokens WHERE token_hash = ?', [hash]);
    if (!row) return undefined;
    await this.db.run(
      'UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
      [now, hash, now - LAST_USED_RESOLUTION_MS],
    );
    return { name: row.name, scope: row.scope };
  }

  async list(): Promise<ApiToken[]> {
    const rows = await this.db.all<{ name: string; scope: TokenScope; created_at: number; last_used_at: number | null }>(
      'SELECT name, scope, created_at, last_used_at FROM api_tokens ORDER BY name',
    );
    return rows.map((r) => {
      const t: ApiToken = { name: r.name, scope: r.scope, createdAt: r.created_at };
      if (r.last_used_at !== null) t.lastUsedAt = r.last_used_at;
      return t;
    });
  }

  async remove(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM api_tokens WHERE name = ?', [name])).changes > 0;
  }
}
