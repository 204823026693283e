import type { Cause, DeviceState, StateValue } from '../core/model.js';
import type { WireState } from './protocol.js';

/** A state as sent: without its cause when the device itself reported it (see WireState). */
export function wireState(deviceId: string, value: StateValue, ts: number, cause: Cause): WireState {
  return cause.kind === 'device' && cause.id === deviceId && !cause.parent ? { value, ts } : { value, ts, cause };
}

export function wireStates(deviceId: string, state: Readonly<DeviceState>): Record<string, WireState> {
  const out: Record<string, WireState> = {};
  for (const [property, s] of Object.entries(state)) out[property] = wireState(deviceId, s.value, s.ts, s.cause);
  return out;
}
