// The two guards against runaway rules; neither ever holds back a rule for the volume devices send (issue 19).
// The loop guard stops a run whose chain of causes is longer than a limit: a rule whose publish triggers itself,
// directly or through others, or through a real device (the device's answer to a rule's command carries the
// command's cause, cause-tracker.ts). The flood guard counts only *re-entries* — runs of a rule whose chain already
// holds a run of that same rule, i.e. the rule re-triggered by its own actions — per source (the device, account,
// user or schedule at the root of the chain) and drops a source's re-entries past a limit in a time window: a rule
// that fans out (two publishes, each triggering it again) reaches hundreds of runs before its chains are 10 long.
// It never stops the rule, and a run started straight by a device's report, however many, is never counted.

import type { Cause } from '../../server/core/model.js';
import { causeDepth } from '../../server/core/model.js';
import { describeCause, humanDuration } from './describe.js';

export interface GuardLimits {
  /** Longest chain of causes a run may have (device report → rule → rule ...). */
  maxCauseDepth: number;
  /** Re-entries (runs the rule's own actions caused) one source may start within floodWindowMs; past that they are dropped. */
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

/** True when `cause` (a run of rule R: `{rule R, parent}`) has another run of R in its chain: R re-triggered itself. */
export function reenters(cause: Cause): boolean {
  if (cause.kind !== 'rule') return false;
  for (let c = cause.parent; c; c = c.parent) if (c.kind === 'rule' && c.id === cause.id) return true;
  return false;
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

  /** Records a re-entry caused by `cause` at `now`; a verdict when its source is over its share (the run is dropped). */
  hit(cause: Cause, now: number): FloodVerdict | undefined {
    if (!reenters(cause)) return undefined;
    const source = this.keyFor(sourceOf(cause), now);
    let window = this.sources.get(source);
    if (!window) this.sources.set(source, (window = new RunWindow(this.limits.floodWindowMs)));
    if (window.hit(now) <= this.limits.floodRuns) return undefined;
    window.undo();
    window.dropped++;
    return {
      source, dropped: window.dropped,
      reason: `flood guard: more than ${this.limits.floodRuns} runs in ${humanDuration(this.limits.floodWindowMs)} re-triggered by the rule's own actions, caused by ${source}; this run was dropped (${window.dropped} dropped from ${source} so far). Other sources still run the rule`,
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
