import type { DeviceTags, InfluxCounters } from './influx-pump.js';

/** From the hub to the export's thread. */
export type ToWorker =
  /** Tags of these devices, null for one forgotten (its points then carry id and property only). */
  | { type: 'tags'; tags: Array<[string, DeviceTags | null]> }
  | { type: 'stop' };

/** From the export's thread to the hub. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'stopped' }
  /** Counters and backlog for /metrics, after each batch or failed attempt. */
  | { type: 'state'; counters: InfluxCounters; backlog: number }
  /** Everything up to this history rowid is done with: the hub keeps it in settings. */
  | { type: 'cursor'; rowid: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error' | 'debug'; obj: Record<string, unknown>; msg: string };
