import type { Access, Capability, StateValue } from '../../server/core/model.js';

// Capability helpers shared by the conventions: access flags, the extra facts some conventions report, and the
// translation between a device's own on/off words and the hub's booleans.

/**
 * A capability with the facts devices/convention.ts has no field for yet. Structurally a Capability, so it fits
 * DeviceDescriptor.capabilities; a registry that knows these fields can read them, others ignore them.
 */
export interface CapabilityInfo extends Capability {
  /** What the value measures (HA `device_class`: temperature, motion, power...), for icons and grouping. */
  deviceClass?: string;
  /** HA `state_class` (measurement, total, total_increasing): which values make sense in long-term statistics. */
  stateClass?: string;
  /**
   * HA `expire_after`, in seconds: without a new report for this long the value is stale and the entity is
   * unavailable (for devices without a last will). A parser cannot run timers, so the registry does.
   */
  expireAfter?: number;
  /** HA `entity_category`: `config` or `diagnostic` properties are hidden from the main dashboard. */
  category?: 'config' | 'diagnostic';
}

export function accessOf(reported: boolean, settable: boolean, readable = false): Access {
  return { reported, settable, readable };
}

/** The hub's boolean for a device's word; undefined when the word is neither the on nor the off word. */
export function binaryFromWord(cap: Pick<Capability, 'on' | 'off'>, raw: StateValue | undefined): boolean | undefined {
  if (raw === undefined || raw === null) return undefined;
  const on = cap.on ?? 'ON';
  const off = cap.off ?? 'OFF';
  if (raw === on) return true;
  if (raw === off) return false;
  // The hub's own booleans (a command value, a device that reports JSON true/false for ON/OFF words).
  if (typeof raw === 'boolean') return raw;
  // Devices are inconsistent about case ("on" in state, "ON" in config) and about JSON booleans vs words.
  const text = String(raw).toLowerCase();
  if (text === String(on).toLowerCase()) return true;
  if (text === String(off).toLowerCase()) return false;
  return undefined;
}

/**
 * The device's word for a commanded binary value: `true`/`false`, or one of its own words in any case.
 * Undefined for anything else, so a typo never becomes a command.
 */
export function wordForCommand(cap: Pick<Capability, 'on' | 'off'>, value: StateValue): string | boolean | undefined {
  const on = cap.on ?? 'ON';
  const off = cap.off ?? 'OFF';
  if (typeof value === 'boolean') return value ? on : off;
  const state = binaryFromWord(cap, value);
  return state === undefined ? undefined : state ? on : off;
}

/** A finite number from a command value (a number, or a numeric string); undefined otherwise. */
export function numberForCommand(value: StateValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A finite number from a reported value; Tasmota, Homie and HA templates all send numbers as text. */
export function numberFromReport(raw: StateValue | undefined): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string') return numberForCommand(raw.trim());
  return undefined;
}
