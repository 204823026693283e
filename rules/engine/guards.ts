// The two guards against runaway rules. The loop guard stops a run whose chain of causes is longer than a limit
// (a rule whose publish triggers itself, directly or through others). The flood guard counts runs per source —
// the device, account, user or schedule at the root of the run's chain of causes — and drops a source's runs past
// a limit in a time window. It never stops the rule: a device flooding its own topic only loses its own excess
// runs, and every other source (another sensor, a schedule, the admin's "run now") still runs it. A loop through
// a real device (the rule commands it, its report fires the rule again; reports carry no cause to follow) is
// ended by the same drop: the dropped run sends no command, so the device sends no report.

import type { Cause } from '../../server/core/model.js';
import { causeDepth } from '../../server/core/model.js';
import { describeCause, humanDuration } from './describe.js';

export interface GuardLimits {
  /** Longest chain of causes a run may have (device report → rule → rule ...). */
  maxCauseDepth: number;
  /** Runs one source may start within floodWindowMs; its runs past that are dropped. */
  floodRuns: number;
  floodWindowMs: number;
}

export const DEFAULT_LIMITS: GuardLimits = { maxCauseDepth: 10, floodRuns: 500, floodWindowMs: 5000 };

/** Sources counted per rule at most; past it the idle ones are forgotten, and then the rest share one count. */
const MAX_SOURCES = 1024;
const OTHERS = 'other sources';

/** Why the loop guard stops a run with this cause, or undefined. */
export function loopGuard(cause: Cause, limits: GuardLimits): string | undefined {
  const depth = causeDepth(cause);
  if (depth <= limits.maxCauseDepth) return undefined;
  return `loop guard: a chain of ${depth} causes is longer than ${limits.maxCauseDepth} (${describeCause(cause)}); this run was stopped`;
}

/** "device kitchen-sensor": the root of a chain of causes, what the flood guard counts runs by. */
export function sourceOf(cause: Cause): string {
  let root = cause;
  while (root.parent) root = root.parent;
  return root.id ? `${root.kind} ${root.id}` : root.kind;
}

/**
 * Runs per window, counted in two fixed windows (the current one and the one before, weighted by how much of it
 * still overlaps the sliding window): O(1) time and memory per source, whatever the limit.
 */
class RunWindow {
  private windowStart = -Infinity;
  private current = 0;
  private previous = 0;
  /** Runs dropped since this source last ran (for the message), and in all. */
  dropped = 0;
  last = -Infinity;

  constructor(private readonly size: number) {}

  /** Records a run at `now`; the runs in the sliding window, this one included. */
  hit(now: number): number {
    const { size } = this;
    this.last = now;
    if (now - this.windowStart >= size) {
      // One window later the current count becomes the previous one; more than one later, both are stale.
      this.previous = now - this.windowStart < 2 * size ? this.current : 0;
      this.current = 0;
      this.windowStart = this.windowStart === -Infinity ? now : this.windowStart + Math.floor((now - this.windowStart) / size) * size;
    }
    this.current++;
    const overlap = 1 - (now - this.windowStart) / size;
    return this.current + this.previous * overlap;
  }

  /** A dropped run is not counted as a run: the source gets its share back as soon as the window moves on. */
  undo(): void {
    this.current--;
  }
}

export interface FloodVerdict {
  source: string;
  /** Runs dropped from this source so far (this one included). */
  dropped: number;
  reason: string;
}

export class FloodGuard {
  private readonly sources = new Map<string, RunWindow>();

  constructor(private readonly limits: GuardLimits) {}

  /** Records a run caused by `cause` at `now`; a verdict when its source is over its share (the run is dropped). */
  hit(cause: Cause, now: number): FloodVerdict | undefined {
    const source = this.keyFor(sourceOf(cause), now);
    let window = this.sources.get(source);
    if (!window) this.sources.set(source, (window = new RunWindow(this.limits.floodWindowMs)));
    if (window.hit(now) <= this.limits.floodRuns) return undefined;
    window.undo();
    window.dropped++;
    return {
      source, dropped: window.dropped,
      reason: `flood guard: more than ${this.limits.floodRuns} runs in ${humanDuration(this.limits.floodWindowMs)} caused by ${source}; this run was dropped (${window.dropped} dropped from ${source} so far). Other sources still run the rule`,
    };
  }

  /** Runs dropped per source so far. */
  dropped(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [source, w] of this.sources) if (w.dropped > 0) out[source] = w.dropped;
    return out;
  }

  reset(): void {
    this.sources.clear();
  }

  private keyFor(source: string, now: number): string {
    if (this.sources.has(source) || this.sources.size < MAX_SOURCES) return source;
    // Sources idle for two windows count nothing any more: forget them (their dropped counts go with them).
    for (const [key, w] of this.sources) if (now - w.last >= 2 * this.limits.floodWindowMs) this.sources.delete(key);
    return this.sources.size < MAX_SOURCES ? source : OTHERS;
  }
}
