import type { Cause, PropertyState } from '../core/model.js';
import { parseJson } from './codec.js';
import type { Database } from './database.js';

export interface StoredState {
  deviceId: string;
  property: string;
  state: PropertyState;
}

interface Row {
  device_id: string;
  property: string;
  value: string;
  ts: number;
  cause: string;
}

/** Reads the last value of each (device, property) back at start. The HistoryWriter is its only writer. */
export class StateRepo {
  constructor(private readonly db: Database) {}

  async all(): Promise<StoredState[]> {
    const rows = await this.db.all<Row>('SELECT device_id, property, value, ts, cause FROM state ORDER BY device_id, property');
    return rows.map(toStored);
  }

  async forDevice(deviceId: string): Promise<StoredState[]> {
    const rows = await this.db.all<Row>(
      'SELECT device_id, property, value, ts, cause FROM state WHERE device_id = ? ORDER BY property',
      [deviceId],
    );
    return rows.map(toStored);
  }
}

function toStored(r: Row): StoredState {
  return {
    deviceId: r.device_id,
    property: r.property,
    state: { value: parseJson(r.value, r.value), ts: r.ts, cause: parseJson<Cause>(r.cause, { kind: 'restore' }) },
  };
}
