import type { AreaView } from '../realtime/protocol.js';
import type { Database } from './database.js';

interface AreaRow {
  id: number;
  kind: 'floor' | 'room';
  name: string;
  floor_id: number | null;
  position: number;
}

/** Floors and rooms (migration 7). The hub keeps them all in memory (server/api/areas.ts); this only saves them. */
export class AreasRepo {
  constructor(private readonly db: Database) {}

  async all(): Promise<AreaView[]> {
    const rows = await this.db.all<AreaRow>('SELECT id, kind, name, floor_id, position FROM areas ORDER BY kind, floor_id, position, id');
    return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, ...(r.floor_id === null ? {} : { floorId: r.floor_id }), position: r.position }));
  }

  /** Inserts or updates each area and deletes the `removed` ids, in one transaction. */
  async save(areas: readonly AreaView[], removed: readonly number[] = [], now = Date.now()): Promise<void> {
    if (areas.length === 0 && removed.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const id of removed) await tx.run('DELETE FROM areas WHERE id = ?', [id]);
      for (const a of areas) {
        await tx.run(
          `INSERT INTO areas (id, kind, name, floor_id, position, created_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, floor_id = excluded.floor_id, position = excluded.position`,
          [a.id, a.kind, a.name, a.floorId ?? null, a.position, now],
        );
      }
    });
  }
}
