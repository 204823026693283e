import type { Capability, StateValue } from '../../../server/core/model.js';
import { binaryState, binaryText } from './binary-words.js';

// Turns the hub's history answers (GET /api/devices/:id/history, server/api/history-view.ts) into what the chart
// draws. History stores changes only, so every series is a step function: a value holds until the next change,
// from the value in force at the range's start to the end of the range (or now, if sooner).

export interface Sample {
  ts: number;
  value: StateValue;
}

export interface Bucket {
  ts: number;
  min: number;
  max: number;
  mean: number;
  count: number;
}

export interface HistoryAnswer {
  deviceId: string;
  property: string;
  from: number;
  to: number;
  now: number;
  start: Sample | null;
  resolution: 'raw' | 'buckets' | 'thinned';
  points: Sample[];
  buckets?: Bucket[];
  bucketMs?: number;
  source?: 'raw' | 'hourly';
}

/** A numeric property as the chart draws it: xs ascending, ys the value held from that x on. */
export interface NumericSeries {
  property: string;
  unit?: string;
  xs: number[];
  ys: Array<number | null>;
  /** Downsampled answers: each bucket's min and max beside its mean (ys). */
  mins?: Array<number | null>;
  maxs?: Array<number | null>;
  resolution: HistoryAnswer['resolution'];
  /** Changes (raw) or samples (buckets) in the range: what the hint counts. */
  samples: number;
}

/** One span of a timeline: `label` held from `from` to `to`. */
export interface Band {
  from: number;
  to: number;
  label: string;
  /** on/off for binaries (colours), undefined for other words. */
  on?: boolean;
}

export interface BandRow {
  property: string;
  bands: Band[];
  samples: number;
}

/**
 * Where a series ends: the end of the range, or now (the hub's, at the answer) when the range reaches past it; a
 * relative range that keeps moving passes its own end (the page's clock, or the newest live report).
 */
export function seriesEnd(answer: HistoryAnswer, liveTs?: number, end?: number): number {
  return Math.max(end ?? Math.min(answer.to, answer.now), liveTs ?? 0);
}

function num(value: StateValue): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * A numeric step series: starts at `from` with the start value (when one is known), one point per change (or per
 * bucket), and a last point at the end carrying the last value there. `live` are reports newer than the answer.
 */
export function numericSeries(answer: HistoryAnswer, cap: Capability | undefined, live: Sample[] = [], endAt?: number): NumericSeries {
  const xs: number[] = [];
  const ys: Array<number | null> = [];
  const buckets = answer.resolution === 'buckets' ? answer.buckets ?? [] : undefined;
  const mins: Array<number | null> | undefined = buckets ? [] : undefined;
  const maxs: Array<number | null> | undefined = buckets ? [] : undefined;
  const push = (x: number, y: number | null, lo = y, hi = y): void => {
    xs.push(x);
    ys.push(y);
    mins?.push(lo);
    maxs?.push(hi);
  };
  const firstTs = buckets ? buckets[0]?.ts : answer.points[0]?.ts;
  if (answer.start && (firstTs === undefined || firstTs > answer.from)) push(answer.from, num(answer.start.value));
  if (buckets) for (const b of buckets) push(Math.max(b.ts, answer.from), b.mean, b.min, b.max);
  else for (const p of answer.points) push(p.ts, num(p.value));
  const lastTs = xs[xs.length - 1] ?? -Infinity;
  for (const p of live) if (p.ts > lastTs) push(p.ts, num(p.value));
  const end = seriesEnd(answer, live[live.length - 1]?.ts, endAt);
  if (xs.length > 0 && xs[xs.length - 1]! < end) push(end, ys[ys.length - 1]!, mins?.[mins.length - 1], maxs?.[maxs.length - 1]);
  const samples = buckets ? buckets.reduce((n, b) => n + b.count, 0) : answer.points.length;
  return { property: answer.property, unit: cap?.unit, xs, ys, mins, maxs, resolution: answer.resolution, samples: samples + live.length };
}

/** The word shown on a band: a binary value in the device's own words (server/core/binary-words.ts), else the value. */
export function bandLabel(cap: Capability | undefined, value: StateValue): { label: string; on?: boolean } {
  if (cap?.kind === 'binary') {
    const on = binaryState(cap, value);
    if (on !== undefined) return { label: binaryText(cap, value)!, on };
  }
  if (value === null) return { label: 'unknown' };
  return { label: typeof value === 'string' ? value : JSON.stringify(value) };
}

/** A timeline row: consecutive equal values merged into one band that lasts until the next change. */
export function bandRow(answer: HistoryAnswer, cap: Capability | undefined, live: Sample[] = [], endAt?: number): BandRow {
  const samples: Sample[] = [];
  if (answer.start && (answer.points[0]?.ts ?? Infinity) > answer.from) samples.push({ ts: answer.from, value: answer.start.value });
  samples.push(...answer.points);
  const lastTs = samples[samples.length - 1]?.ts ?? -Infinity;
  samples.push(...live.filter((p) => p.ts > lastTs));
  const end = seriesEnd(answer, live[live.length - 1]?.ts, endAt);
  const bands: Band[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const { label, on } = bandLabel(cap, s.value);
    const to = Math.max(s.ts, samples[i + 1]?.ts ?? end);
    const prev = bands[bands.length - 1];
    if (prev && prev.label === label) prev.to = to;
    else bands.push({ from: Math.max(s.ts, answer.from), to, label, on });
  }
  return { property: answer.property, bands, samples: answer.points.length + live.length };
}

/**
 * Puts several series on one x axis (uPlot wants one): the union of their xs and `pad` (the range's ends, so the
 * axis spans the chosen range), each series' value carried forward to the xs it has no point at (a step function's
 * value there), null before its first point and after its last (its end: now, for a range reaching past it).
 */
export function align(series: NumericSeries[], pad: number[] = []): { xs: number[]; columns: Array<Array<number | null>> } {
  const all = new Set<number>(pad);
  for (const s of series) for (const x of s.xs) all.add(x);
  const xs = [...all].sort((a, b) => a - b);
  const columns: Array<Array<number | null>> = [];
  for (const s of series) {
    const last = s.xs[s.xs.length - 1] ?? -Infinity;
    for (const ys of [s.ys, s.mins, s.maxs]) {
      if (!ys) continue;
      const out = new Array<number | null>(xs.length);
      let j = -1;
      for (let i = 0; i < xs.length; i++) {
        while (j + 1 < s.xs.length && s.xs[j + 1]! <= xs[i]!) j++;
        out[i] = j < 0 || xs[i]! > last ? null : ys[j]!;
      }
      columns.push(out);
    }
  }
  return { xs, columns };
}
