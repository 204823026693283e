import { MAX_STATE_VALUE_CHARS } from '../../devices/shared/limits.js';
import type { Logger } from '../core/logger.js';
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
  /** NULL when the stored JSON is over MAX_STORED_BYTES: it is not read at all. */
  value: string | null;
  bytes: number;
  ts: number;
  cause: string;
}

/**
 * The longest stored JSON read back, in bytes: the per-value bound with room for JSON's escapes (a string of
 * quotes or control characters takes up to 6 bytes each, but such values are measured again, exactly, by
 * StateStore.restore). A rumah.db from before the bounds may hold a state of hundreds of MB (an HA template that
 * doubled its payload); reading one such row into a string, and sending it to the dashboard, once crashed the hub
 * at every start.
 */
export const MAX_STORED_BYTES = 4 * MAX_STATE_VALUE_CHARS;

// The size is asked of SQLite (length of the BLOB cast: a byte count, without decoding the text), and the value
// itself is selected only when it is within the bound.
const COLUMNS = `device_id, property, ts, cause, length(CAST(value AS BLOB)) AS bytes,
  CASE WHEN length(CAST(value AS BLOB)) <= ${MAX_STORED_BYTES} THEN value END AS value`;

/** Reads the last value of each (device, property) back at start. The HistoryWriter is its only writer. */
export class StateRepo {
  constructor(
    private readonly db: Database,
    private readonly log?: Logger,
  ) {}

  /**
   * Every stored state within the bound. Rows over it are left out and deleted (the device's next report writes
   * its property again), each one logged: a damaged state must not stop the hub from starting.
   */
  async all(): Promise<StoredState[]> {
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM state ORDER BY device_id, property`);
    const out: StoredState[] = [];
    let oversized = 0;
    for (const r of rows) {
      if (r.value === null) {
        oversized++;
        this.log?.warn({ deviceId: r.device_id, property: r.property, bytes: r.bytes, max: MAX_STORED_BYTES }, 'stored state over the size bound: not restored, deleted');
      } else out.push(toStored(r, r.value));
    }
    if (oversized > 0) {
      // Not worth failing the start over: the rows are skipped either way, and deleted at the next start.
      await this.db.run(`DELETE FROM state WHERE length(CAST(value AS BLOB)) > ${MAX_STORED_BYTES}`).catch((err: unknown) => {
        this.log?.warn({ err }, 'oversized stored states could not be deleted');
      });
    }
    return out;
  }

  async forDevice(deviceId: string): Promise<StoredState[]> {
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM state WHERE device_id = ? ORDER BY property`, [deviceId]);
    return rows.flatMap((r) => (r.value === null ? [] : [toStored(r, r.value)]));
  }
}

function toStored(r: Row, value: string): StoredState {
  return {
    deviceId: r.device_id,
    property: r.property,
    state: { value: parseJson(value, value), ts: r.ts, cause: parseJson<Cause>(r.cause, { kind: 'restore' }) },
  };
}
