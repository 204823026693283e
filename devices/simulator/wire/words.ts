import type { Value } from '../types.js';

// Small encoders shared by the wire formats: each convention spells on/off its own way.

export const onOff = (on: Value | undefined): string => (on === true ? 'ON' : 'OFF');

/** 0..255 (the simulator's brightness) to a percentage, as Homie, Shelly and Tasmota dimmers speak. */
export const toPercent = (b: Value | undefined): number => Math.round((Number(b ?? 0) * 100) / 255);
export const fromPercent = (p: number): number => Math.round((p * 255) / 100);

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A command value from JSON or plain text: booleans, numbers and strings pass; anything else is not a value. */
export function asValue(v: unknown): Value | undefined {
  return typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' ? v : undefined;
}

/** A plain payload as the most specific value it spells: a number, else the trimmed text. */
export function plainValue(text: string): Value {
  const t = text.trim();
  return t !== '' && /^[-+]?(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : t;
}

export const SIM_VERSION = '0.1.0';
export const ORIGIN = { name: 'rumah-simulator', sw: SIM_VERSION };
