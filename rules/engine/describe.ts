// How traces say things: elapsed times as people read them ("3 min 12 s"), values in short quoted form, cause chains.

import type { Cause } from '../../server/core/model.js';

/** 192000 → "3 min 12 s", 1500 → "1.5 s", 7_200_000 → "2 h". */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]];
  let rest = Math.round(ms / 1000) * 1000;
  const out: string[] = [];
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n} ${name}`);
    rest -= n * size;
  }
  return out.slice(0, 2).join(' ');
}

/** A value for a message: JSON, cut at 80 characters. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** "rule lights ← rule lights ← device kitchen-sensor": the chain a loop guard message shows. */
export function describeCause(cause: Cause | undefined, max = 12): string {
  const parts: string[] = [];
  for (let c = cause; c && parts.length < max; c = c.parent) parts.push(c.id ? `${c.kind} ${c.id}` : c.kind);
  let depth = 0;
  for (let c = cause; c; c = c.parent) depth++;
  if (depth > max) parts.push('…');
  return parts.join(' ← ');
}

/** A copy of the cause chain cut to `max` links: what is stored with durable timers and traces. */
export function trimCause(cause: Cause | undefined, max = 16): Cause | undefined {
  if (!cause || max <= 0) return undefined;
  const parent = trimCause(cause.parent, max - 1);
  return { kind: cause.kind, ...(cause.id !== undefined ? { id: cause.id } : {}), ...(parent ? { parent } : {}) };
}
