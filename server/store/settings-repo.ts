import { parseJson } from './codec.js';
import type { Database } from './database.js';

/** Small JSON values by key. */
export class SettingsRepo {
  constructor(private readonly db: Database) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
    return row ? parseJson<T | undefined>(row.value, undefined) : undefined;
  }

  /** `value` must survive JSON.stringify (undefined cannot be stored: use delete). */
  async set(key: string, value: unknown): Promise<void> {
    await this.db.run(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, JSON.stringify(value ?? null)],
    );
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM settings WHERE key = ?', [key])).changes > 0;
  }

  /** Deletes every key that starts with `prefix` (compared as text: no LIKE wildcards). */
  async deletePrefix(prefix: string): Promise<number> {
    return (await this.db.run('DELETE FROM settings WHERE substr(key, 1, length(?1)) = ?1', [prefix])).changes;
  }
}
