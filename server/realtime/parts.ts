import { stateSize } from '../core/state-size.js';
import type { DeviceDelta, WireState } from './protocol.js';

// socket.io encodes each event into one string (JSON), and V8 cannot make a string longer than ~512 Mi characters:
// a snapshot over that threw `RangeError: Invalid string length` in the connection handler, and the hub exited.
// States are bounded per value and per device (devices/shared/limits.ts), but devices × the per-device bound is
// still more than one string can hold, so the snapshot and the delta batches go out in parts of at most PART_CHARS
// (estimated), never one huge string. A part holds at least one device, whatever its size.

/** About this many characters per event at most: a part of the snapshot, or of a delta batch. */
export const PART_CHARS = 4 * 1024 * 1024;

/** What a device's description (name, topics, capabilities) is guessed to take, beside its state. */
const DEVICE_BASE_CHARS = 512;
const CAPABILITY_CHARS = 256;

/** Groups items in order so that each group's estimated size is at most maxChars (one item at least). */
export function inParts<T>(items: readonly T[], size: (item: T) => number, maxChars = PART_CHARS): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let chars = 0;
  for (const item of items) {
    const s = size(item);
    if (part.length > 0 && chars + s > maxChars) {
      parts.push(part);
      part = [];
      chars = 0;
    }
    part.push(item);
    chars += s;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** A device with `stateChars` of state (StateStore.size) and these capabilities, as it goes on the wire. */
export function deviceChars(stateChars: number, capabilities: number): number {
  return DEVICE_BASE_CHARS + capabilities * CAPABILITY_CHARS + stateChars;
}

/** A delta's estimated size: its state values measured (each is bounded), the rest guessed. */
export function deltaChars(delta: DeviceDelta): number {
  let chars = delta.device ? deviceChars(0, delta.device.capabilities.length) : 64;
  if (delta.state) chars += statesChars(delta.state);
  if (delta.pending) for (const k in delta.pending) chars += 64 + k.length + stateSize(delta.pending[k]?.value ?? null, PART_CHARS);
  return chars;
}

function statesChars(states: Record<string, WireState>): number {
  let chars = 0;
  for (const k in states) chars += 48 + k.length + stateSize(states[k]!.value, PART_CHARS);
  return chars;
}
