import type { Registry } from '../core/registry.js';
import type { AreasApi } from './areas.js';

/** Ids one bulk request may name: "select all" of 1,000 devices is one request; the page sends more in parts. */
export const maxBulkIds = 1000;

export interface BulkResult {
  /** Devices changed or forgotten. */
  done: number;
  /** Ids that named no device (deleted meanwhile): skipped, not an error. */
  missing: string[];
}

/**
 * The Devices page's bulk actions (admins): move many devices to one area, or forget them. Each device goes through
 * the same registry calls as the single-device API, so dashboards, the persister and rules see ordinary
 * deviceUpdated / deviceRemoved events.
 */
export class DeviceBulkApi {
  constructor(private readonly registry: Registry, private readonly areas: AreasApi) {}

  move(ids: readonly string[], areaId: number | null): BulkResult {
    const place = this.areas.placeOf(areaId); // an unknown area fails before any device moves
    return this.each(ids, (id) => this.registry.update(id, place) !== undefined);
  }

  /** Disables or enables each (Device.disabled): the hub ignores a disabled device's reports and refuses its commands. */
  setDisabled(ids: readonly string[], disabled: boolean): BulkResult {
    return this.each(ids, (id) => this.registry.update(id, { disabled }) !== undefined);
  }

  /** Like DELETE /api/devices/:id for each: a device that keeps publishing comes back (revoke its account). */
  forget(ids: readonly string[]): BulkResult {
    return this.each(ids, (id) => this.registry.remove(id));
  }

  private each(ids: readonly string[], fn: (id: string) => boolean): BulkResult {
    const result: BulkResult = { done: 0, missing: [] };
    for (const id of new Set(ids)) {
      if (fn(id)) result.done++;
      else result.missing.push(id);
    }
    return result;
  }
}
