import type { EventBus } from './event-bus.js';
import type { Cause, DeviceState, PropertyState, StateValue } from './model.js';

/** The last reported value of every (device, property). Emits `stateChanged` for real changes only. */
export class StateStore {
  private readonly states = new Map<string, DeviceState>();
  /** State changes applied since start, for /metrics. */
  changes = 0;

  constructor(private readonly bus: EventBus) {}

  /** Restores state saved before a restart; emits nothing (the values did not change). */
  restore(deviceId: string, property: string, state: PropertyState): void {
    this.device(deviceId)[property] = state;
  }

  apply(deviceId: string, values: Record<string, StateValue>, cause: Cause, ts: number): number {
    const current = this.device(deviceId);
    let changed = 0;
    // for-in, not Object.entries: no array per property on the hub's hottest path. `values` comes from a
    // convention (JSON.parse or a literal), so it has no inherited enumerable keys.
    for (const property in values) {
      const value = values[property]!;
      const previous = current[property];
      if (previous && sameValue(previous.value, value)) {
        previous.ts = ts; // still the truth, confirmed now
        continue;
      }
      current[property] = { value, ts, cause };
      changed++;
      this.changes++;
      this.bus.emit('stateChanged', { deviceId, property, value, previous: previous?.value, ts, cause });
    }
    return changed;
  }

  get(deviceId: string): Readonly<DeviceState> | undefined {
    return this.states.get(deviceId);
  }

  value(deviceId: string, property: string): StateValue | undefined {
    return this.states.get(deviceId)?.[property]?.value;
  }

  remove(deviceId: string): void {
    this.states.delete(deviceId);
  }

  entries(): IterableIterator<[string, DeviceState]> {
    return this.states.entries();
  }

  private device(deviceId: string): DeviceState {
    let state = this.states.get(deviceId);
    if (!state) {
      state = Object.create(null) as DeviceState;
      this.states.set(deviceId, state);
    }
    return state;
  }
}

function sameValue(a: StateValue, b: StateValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
