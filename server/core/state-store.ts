import { MAX_ACCOUNT_STATE_CHARS, MAX_DEVICE_STATE_CHARS, MAX_STATE_VALUE_CHARS } from '../../devices/shared/limits.js';
import type { EventBus } from './event-bus.js';
import type { Logger } from './logger.js';
import type { Cause, DeviceState, PropertyState, StateValue } from './model.js';
import { stateSize } from './state-size.js';

/** Where a report came from, for the device log when a value is refused. */
export interface StateSource {
  topic: string;
  username?: string;
}

/**
 * The last reported value of every (device, property). Emits `stateChanged` for real changes only.
 *
 * Every value kept is bounded here, the one place every convention's update goes through (the registry applies
 * them all with apply()): a value over MAX_STATE_VALUE_CHARS, or one that would take its device past
 * MAX_DEVICE_STATE_CHARS, or the reporting account's devices past MAX_ACCOUNT_STATE_CHARS, is refused, the previous
 * value stays and the reason goes to the device log. Unbounded, one HA template turned a 250 KiB message into a
 * 256 MB state, and past ~512 MB the dashboard's snapshot could not be encoded at all (RangeError: Invalid string
 * length), at every start.
 */
export class StateStore {
  private readonly states = new Map<string, DeviceState>();
  /** Characters held per device (stateSize of each value), to keep each under MAX_DEVICE_STATE_CHARS. */
  private readonly sizes = new Map<string, number>();
  /**
   * The account each device's state is charged to (the last one that reported it), and each account's total, to
   * keep it under MAX_ACCOUNT_STATE_CHARS. A restored device is charged at its first report.
   */
  private readonly chargedTo = new Map<string, string>();
  private readonly accountSizes = new Map<string, number>();
  /** State changes applied since start, for /metrics. */
  changes = 0;
  /** Values refused for their size since start (reports, and rows restored from rumah.db). */
  refused = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly log?: Logger,
  ) {}

  /**
   * Restores state saved before a restart; emits nothing (the values did not change). A value over the bounds
   * (a rumah.db from before they existed) is skipped and logged, not loaded: returns false then.
   */
  restore(deviceId: string, property: string, state: PropertyState): boolean {
    const current = this.device(deviceId);
    const size = stateSize(state.value, MAX_STATE_VALUE_CHARS);
    const before = this.sizes.get(deviceId) ?? 0;
    const previous = current[property] ? stateSize(current[property].value, MAX_STATE_VALUE_CHARS) : 0;
    const reason = this.overBound(size, before - previous + size);
    if (reason) {
      this.refused++;
      this.log?.warn({ deviceId, property, reason }, 'stored state not restored: over the state bounds');
      return false;
    }
    current[property] = state;
    this.sizes.set(deviceId, before - previous + size);
    return true;
  }

  apply(deviceId: string, values: Record<string, StateValue>, cause: Cause, ts: number, source?: StateSource): number {
    const current = this.device(deviceId);
    let total = this.sizes.get(deviceId) ?? 0;
    const account = source?.username;
    let accountTotal = account === undefined ? 0 : this.charge(deviceId, account, total);
    let changed = 0;
    let refused: Array<[string, string]> | undefined;
    // for-in, not Object.entries: no array per property on the hub's hottest path. `values` comes from a
    // convention (JSON.parse or a literal), so it has no inherited enumerable keys.
    for (const property in values) {
      const value = values[property]!;
      const previous = current[property];
      if (previous && sameValue(previous.value, value)) {
        previous.ts = ts; // still the truth, confirmed now
        continue;
      }
      const size = stateSize(value, MAX_STATE_VALUE_CHARS);
      const next = total - (previous ? stateSize(previous.value, MAX_STATE_VALUE_CHARS) : 0) + size;
      // A value that shrinks its device is always taken: it frees room, whatever the account's total.
      const accountNext = account !== undefined && next > total ? accountTotal + next - total : 0;
      const reason = this.overBound(size, next, accountNext);
      if (reason) {
        (refused ??= []).push([property, reason]);
        continue;
      }
      accountTotal += next - total;
      total = next;
      // The property's record is updated in place (as `ts` above): no object per change on the broker path, and none
      // left in the old generation for a major GC when a value that lived long changes (bench/tails.ts).
      const old = previous?.value;
      if (previous) {
        previous.value = value;
        previous.ts = ts;
        previous.cause = cause;
      } else current[property] = { value, ts, cause };
      changed++;
      this.changes++;
      this.bus.emit('stateChanged', { deviceId, property, value, previous: old, ts, cause });
    }
    this.sizes.set(deviceId, total);
    if (account !== undefined) this.accountSizes.set(account, accountTotal);
    if (refused) this.reject(deviceId, refused, source);
    return changed;
  }

  get(deviceId: string): Readonly<DeviceState> | undefined {
    return this.states.get(deviceId);
  }

  value(deviceId: string, property: string): StateValue | undefined {
    return this.states.get(deviceId)?.[property]?.value;
  }

  /** Characters one device's values hold (see stateSize): for tests and the device page. */
  size(deviceId: string): number {
    return this.sizes.get(deviceId) ?? 0;
  }

  /** Characters the devices an account reports hold together (see MAX_ACCOUNT_STATE_CHARS). */
  accountSize(account: string): number {
    return this.accountSizes.get(account) ?? 0;
  }

  remove(deviceId: string): void {
    this.uncharge(deviceId, this.sizes.get(deviceId) ?? 0);
    this.states.delete(deviceId);
    this.sizes.delete(deviceId);
  }

  entries(): IterableIterator<[string, DeviceState]> {
    return this.states.entries();
  }

  /** Charges the device's state to `account` (moving it from another account); returns the account's total. */
  private charge(deviceId: string, account: string, deviceSize: number): number {
    if (this.chargedTo.get(deviceId) === account) return this.accountSizes.get(account) ?? 0;
    this.uncharge(deviceId, deviceSize);
    this.chargedTo.set(deviceId, account);
    const total = (this.accountSizes.get(account) ?? 0) + deviceSize;
    this.accountSizes.set(account, total);
    return total;
  }

  private uncharge(deviceId: string, deviceSize: number): void {
    const was = this.chargedTo.get(deviceId);
    if (was === undefined) return;
    this.chargedTo.delete(deviceId);
    const left = (this.accountSizes.get(was) ?? 0) - deviceSize;
    if (left > 0) this.accountSizes.set(was, left);
    else this.accountSizes.delete(was);
  }

  private overBound(size: number, deviceTotal: number, accountTotal = 0): string | undefined {
    if (size > MAX_STATE_VALUE_CHARS) return `value larger than the ${MAX_STATE_VALUE_CHARS}-character limit per state value`;
    if (deviceTotal > MAX_DEVICE_STATE_CHARS) return `value would take the device's state past its ${MAX_DEVICE_STATE_CHARS}-character limit`;
    if (accountTotal > MAX_ACCOUNT_STATE_CHARS) return `value would take its account's device states past their ${MAX_ACCOUNT_STATE_CHARS}-character limit`;
    return undefined;
  }

  /** One log line and one device-log entry per report, however many of its properties were refused. */
  private reject(deviceId: string, refused: Array<[string, string]>, source: StateSource | undefined): void {
    this.refused += refused.length;
    const shown = refused.slice(0, 3).map(([property, reason]) => `state "${property}" not stored: ${reason}`);
    if (refused.length > 3) shown.push(`and ${refused.length - 3} more properties`);
    const text = shown.join('; ');
    this.log?.info({ deviceId, properties: refused.length, topic: source?.topic, username: source?.username }, text);
    this.bus.emit('deviceRejected', { topic: source?.topic ?? '', username: source?.username, deviceId, reason: text });
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
