// The two guards against runaway rules. The loop guard stops a run whose chain of causes is longer than a limit
// (a rule whose publish triggers itself, directly or through others). The flood guard stops a rule that starts
// more runs in a time window than a limit: a loop through a real device, whose reports carry no cause, is caught
// by that one.

import type { Cause } from '../../server/core/model.js';
import { causeDepth } from '../../server/core/model.js';
import { describeCause, humanDuration } from './describe.js';

export interface GuardLimits {
  /** Longest chain of causes a run may have (device report → rule → rule ...). */
  maxCauseDepth: number;
  /** A rule starting more runs than this within floodWindowMs is stopped. */
  floodRuns: number;
  floodWindowMs: number;
}

export const DEFAULT_LIMITS: GuardLimits = { maxCauseDepth: 10, floodRuns: 500, floodWindowMs: 5000 };

/** Why the loop guard stops a run with this cause, or undefined. */
export function loopGuard(cause: Cause, limits: GuardLimits): string | undefined {
  const depth = causeDepth(cause);
  if (depth <= limits.maxCauseDepth) return undefined;
  return `loop guard: a chain of ${depth} causes is longer than ${limits.maxCauseDepth} (${describeCause(cause)}); this run was stopped`;
}

/**
 * Runs per window, counted in two fixed windows (the current one and the one before, weighted by how much of it
 * still overlaps the sliding window): O(1) time and memory per rule, whatever the limit.
 */
export class FloodGuard {
  private windowStart = -Infinity;
  private current = 0;
  private previous = 0;

  constructor(private readonly limits: GuardLimits) {}

  /** Records a run at `now`; the reason the rule floods, or undefined. */
  hit(now: number): string | undefined {
    const size = this.limits.floodWindowMs;
    if (now - this.windowStart >= size) {
      // One window later the current count becomes the previous one; more than one later, both are stale.
      this.previous = now - this.windowStart < 2 * size ? this.current : 0;
      this.current = 0;
      this.windowStart = this.windowStart === -Infinity ? now : this.windowStart + Math.floor((now - this.windowStart) / size) * size;
    }
    this.current++;
    const overlap = 1 - (now - this.windowStart) / size;
    const runs = this.current + this.previous * overlap;
    if (runs <= this.limits.floodRuns) return undefined;
    return `flood guard: more than ${this.limits.floodRuns} runs in ${humanDuration(size)}; the rule was stopped. Fix it and save the file, or enable it again`;
  }

  reset(): void {
    this.windowStart = -Infinity;
    this.current = 0;
    this.previous = 0;
  }
}
