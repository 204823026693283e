import type { Device } from '../core/model.js';
import { parseJson } from './codec.js';
import type { Database } from './database.js';

/** The device registry's persistence: each Device kept whole as JSON, with its owner pulled out for counting. */
export class DevicesRepo {
  constructor(private readonly db: Database) {}

  async upsert(device: Device, now = Date.now()): Promise<void> {
    await this.db.run(
      `INSERT INTO devices (id, json, owner, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET json = excluded.json, owner = excluded.owner, updated_at = excluded.updated_at`,
      [device.id, JSON.stringify(device), device.owner ?? null, now],
    );
  }

  /**
   * Removes the device and its last-known state (a removed device must not come back at the next restore).
   * Its history stays until retention prunes it, so a device paired again under the same id keeps its charts.
   */
  async remove(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM state WHERE device_id = ?', [id]);
      return (await tx.run('DELETE FROM devices WHERE id = ?', [id])).changes > 0;
    });
  }

  async get(id: string): Promise<Device | undefined> {
    const row = await this.db.get<{ json: string }>('SELECT json FROM devices WHERE id = ?', [id]);
    return row ? parseJson<Device | undefined>(row.json, undefined) : undefined;
  }

  /** Every device, in id order; a row whose JSON does not parse is skipped rather than failing the start. */
  async all(): Promise<Device[]> {
    const rows = await this.db.all<{ json: string }>('SELECT json FROM devices ORDER BY id');
    return rows.map((r) => parseJson<Device | undefined>(r.json, undefined)).filter((d): d is Device => !!d);
  }

  async countByOwner(owner: string): Promise<number> {
    const row = await this.db.get<{ n: number }>('SELECT count(*) AS n FROM devices WHERE owner = ?', [owner]);
    return row?.n ?? 0;
  }
}
