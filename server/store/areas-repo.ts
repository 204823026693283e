import type { AreaView } from '../realtime/protocol.js';
import { parseJson } from './codec.js';
import type { Database } from './database.js';

interface AreaRow {
  id: number;
  kind: 'floor' | 'room';
  name: string;
  floor_id: number | null;
  position: number;
  owner: string | null;
  aliases: string | null;
}

/** An area as stored: with the account whose device's topic made it (server/api/areas.ts bounds them per account). */
export type StoredArea = AreaView & { owner?: string; aliases?: string[] };

/** Floors and rooms (migration 7). The hub keeps them all in memory (server/api/areas.ts); this only saves them. */
export class AreasRepo {
  constructor(private readonly db: Database) {}

  async all(): Promise<StoredArea[]> {
    const rows = await this.db.all<AreaRow>('SELECT id, kind, name, floor_id, position, owner, aliases FROM areas ORDER BY kind, floor_id, position, id');
    return rows.map((r) => {
      const aliases = r.aliases === null ? [] : parseJson<unknown>(r.aliases, []);
      return {
        id: r.id, kind: r.kind, name: r.name, ...(r.floor_id === null ? {} : { floorId: r.floor_id }), position: r.position,
        ...(r.owner === null ? {} : { owner: r.owner }),
        ...(Array.isArray(aliases) && aliases.length > 0 ? { aliases: aliases.filter((a): a is string => typeof a === 'string') } : {}),
      };
    });
  }

  /** Inserts or updates each area and deletes the `removed` ids, in one transaction. */
  async save(areas: readonly StoredArea[], removed: readonly number[] = [], now = Date.now()): Promise<void> {
    if (areas.length === 0 && removed.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const id of removed) await tx.run('DELETE FROM areas WHERE id = ?', [id]);
      for (const a of areas) {
        await tx.run(
          `INSERT INTO areas (id, kind, name, floor_id, position, owner, aliases, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, floor_id = excluded.floor_id, position = excluded.position, aliases = excluded.aliases`,
          [a.id, a.kind, a.name, a.floorId ?? null, a.position, a.owner ?? null, a.aliases?.length ? JSON.stringify(a.aliases) : null, now],
        );
      }
    });
  }
}
