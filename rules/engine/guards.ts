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

/** Start times of the last floodRuns runs, in a ring: O(1) per run. */
export class FloodGuard {
  private readonly ring: number[];
  private next = 0;
  private filled = false;

  constructor(private readonly limits: GuardLimits) {
    this.ring = new Array<number>(Math.max(1, limits.floodRuns)).fill(0);
  }

  /** Records a run at `now`; the reason the rule floods, or undefined. */
  hit(now: number): string | undefined {
    const oldest = this.filled ? this.ring[this.next]! : undefined;
    this.ring[this.next] = now;
    this.next = (this.next + 1) % this.ring.length;
    if (this.next === 0) this.filled = true;
    if (oldest === undefined || now - oldest >= this.limits.floodWindowMs) return undefined;
    return `flood guard: more than ${this.limits.floodRuns} runs in ${humanDuration(now - oldest)} (the limit is ${this.limits.floodRuns} per ${humanDuration(this.limits.floodWindowMs)}); the rule was stopped. Fix it and save the file, or enable it again`;
  }

  reset(): void {
    this.ring.fill(0);
    this.next = 0;
    this.filled = false;
  }
}
