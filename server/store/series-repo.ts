import type { Database } from './database.js';

export interface Series {
  id: number;
  deviceId: string;
  property: string;
}

/** The id of each (device, property) that has history. */
export class SeriesRepo {
  constructor(private readonly db: Database) {}

  async id(deviceId: string, property: string): Promise<number | undefined> {
    const row = await this.db.get<{ id: number }>('SELECT id FROM series WHERE device_id = ? AND property = ?', [
      deviceId,
      property,
    ]);
    return row?.id;
  }

  /** The id, creating the series if needed. */
  async ensure(deviceId: string, property: string): Promise<number> {
    // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING yields the existing row's id too.
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO series (device_id, property) VALUES (?, ?)
       ON CONFLICT (device_id, property) DO UPDATE SET device_id = excluded.device_id RETURNING id`,
      [deviceId, property],
    );
    return row!.id;
  }

  async list(deviceId?: string): Promise<Series[]> {
    const rows = await this.db.all<{ id: number; device_id: string; property: string }>(
      deviceId === undefined
        ? 'SELECT id, device_id, property FROM series ORDER BY device_id, property'
        : 'SELECT id, device_id, property FROM series WHERE device_id = ? ORDER BY property',
      deviceId === undefined ? [] : [deviceId],
    );
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, property: r.property }));
  }
}
