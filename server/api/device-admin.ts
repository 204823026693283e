import { ErrorCodes, excerpt, RumahError } from '../core/errors.js';
import type { Device } from '../core/model.js';
import type { Registry } from '../core/registry.js';
import type { AreasApi } from './areas.js';
import type { StaleWindow } from '../core/staleness.js';

export interface DevicePatch {
  name?: string;
  /** null clears the area back to none. */
  floor?: string | null;
  room?: string | null;
  /** Picked from the areas (a floor or a room; null: none): replaces floor and room. */
  areaId?: number | null;
  /** Seconds of silence before the device is stale (0: never); null: automatic again (server/core/staleness.ts). */
  staleAfter?: number | null;
  /** Ignore the device (true) or read it again (false): Device.disabled. */
  disabled?: boolean;
}

/**
 * Administering devices (rename, move to a room, delete): admin-only, transport-neutral. Kept apart from
 * DevicesApi, which everyone who may control devices uses. The registry emits deviceUpdated / deviceRemoved;
 * the store and the dashboards follow those events.
 */
export class DeviceAdminApi {
  constructor(private readonly registry: Registry, private readonly areas?: AreasApi) {}

  async update(id: string, patch: DevicePatch): Promise<Device> {
    if (!this.registry.get(id)) throw notFound(id);
    const change: Partial<Pick<Device, 'name' | 'floor' | 'room' | 'staleAfter' | 'disabled'>> = {};
    if (patch.name !== undefined) {
      const name = patch.name.trim();
      if (!name) throw new RumahError(ErrorCodes.BAD_REQUEST, 'name: must not be empty');
      change.name = name;
    }
    for (const key of ['floor', 'room'] as const) {
      const value = patch[key];
      if (value !== undefined) change[key] = value === null || value.trim() === '' ? undefined : value.trim();
    }
    // Free text names an area (made if new, matched case- and space-insensitively); areaId picks one.
    if (this.areas && (patch.floor !== undefined || patch.room !== undefined)) {
      const current = this.registry.get(id)!;
      Object.assign(change, await this.areas.canonical('floor' in change ? change.floor : current.floor, 'room' in change ? change.room : current.room));
    }
    if (this.areas && patch.areaId !== undefined) Object.assign(change, this.areas.placeOf(patch.areaId));
    if (patch.staleAfter !== undefined) change.staleAfter = patch.staleAfter ?? undefined;
    if (patch.disabled !== undefined) change.disabled = patch.disabled;
    const device = this.registry.update(id, change);
    if (!device) throw notFound(id);
    return device;
  }

  /** How long the device may be silent before it is stale, and why. */
  staleness(id: string): StaleWindow {
    const window = this.registry.staleWindow(id);
    if (!window) throw notFound(id);
    return window;
  }

  /**
   * Forgets the device and its state. A device that keeps publishing comes back as new at its next message:
   * revoke its MQTT account (`rumah devices remove`) to keep it out. Its retained messages stay with the broker
   * and do not bring it back at a restart.
   */
  remove(id: string): void {
    if (!this.registry.remove(id)) throw notFound(id);
  }
}

function notFound(id: string): RumahError {
  return new RumahError(ErrorCodes.NOT_FOUND, `no device ${excerpt(id)}; GET /api/devices lists them`);
}
