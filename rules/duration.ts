// Durations as users write them in rule files: `30s`, `5m`, `1h30m`, `500ms`, `1d`, `00:05:00` / `1:30` (HH:MM[:SS],
// as Home Assistant reads them, so `05:00` is five hours), or a plain number of seconds. The model holds milliseconds.

export const DURATION_HELP = 'use a number of seconds, 30s, 5m, 1h30m or 00:05:00';

/** Timers are durable but still bounded: a year covers every sensible `for`, delay or offset. */
export const MAX_DURATION_MS = 366 * 24 * 3600_000;

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
// Longest units first so that `ms` is not read as `m` followed by garbage.
const UNIT_FORM = /^(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)\s*/;
const CLOCK_FORM = /^(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?$/;

/** `signed` allows a leading + or - (sun offsets: `-30m` is half an hour before sunset). */
export function parseDuration(input: string | number, signed = false): DurationResult {
  const invalid = (): DurationResult => ({ ok: false, message: `invalid duration ${JSON.stringify(input)}: ${DURATION_HELP}` });
  let sign = 1;
  let ms: number;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return invalid();
    ms = Math.round(input * 1000);
  } else {
    let text = input.trim();
    if (text.startsWith('-') || text.startsWith('+')) {
      if (text.startsWith('-')) sign = -1;
      text = text.slice(1).trim();
    }
    const parsed = parseUnsigned(text);
    if (parsed === undefined) return invalid();
    ms = parsed;
  }
  if (ms < 0) {
    sign = -sign;
    ms = -ms;
  }
  if (sign < 0 && ms > 0 && !signed) {
    return { ok: false, message: `invalid duration ${JSON.stringify(input)}: a duration cannot be negative here` };
  }
  if (ms > MAX_DURATION_MS) {
    return { ok: false, message: `invalid duration ${JSON.stringify(input)}: at most 366 days` };
  }
  return { ok: true, ms: sign * ms };
}

function parseUnsigned(text: string): number | undefined {
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const clock = CLOCK_FORM.exec(text);
  if (clock) {
    const [, h, m, s] = clock;
    return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s ?? 0)) * 1000);
  }
  // Unit form: each unit once, largest first (`1h30m`, not `30m1h`), so a typo cannot silently mean something else.
  let rest = text;
  let total = 0;
  let lastRank = Infinity;
  const ranks = ['ms', 's', 'm', 'h', 'd'];
  while (rest !== '') {
    const part = UNIT_FORM.exec(rest);
    if (!part) return undefined;
    const unit = part[2]!;
    const rank = ranks.indexOf(unit);
    if (rank >= lastRank) return undefined;
    lastRank = rank;
    total += Number(part[1]) * UNIT_MS[unit]!;
    rest = rest.slice(part[0].length);
  }
  return Math.round(total);
}

/** The shortest unit form: 5400000 → `1h30m`, 1500 → `1s500ms`, -1800000 → `-30m`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(Math.round(ms));
  let out = ms < 0 ? '-' : '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
