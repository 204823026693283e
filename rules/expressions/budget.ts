// Bounds on one evaluation: the steps it may take (every node visited, every state an aggregate reads) and the
// size of what it may build. A rule that exceeds them fails that run with a coded error; the hub goes on.

import type { Node } from './ast.js';
import { ExpressionError, ExpressionErrorCodes } from './errors.js';

export interface EvaluationLimits {
  maxSteps: number;
  /** Longest string an operator or function may produce. */
  maxStringLength: number;
  /** Longest list an operator or function may produce. */
  maxArrayLength: number;
}

export const DEFAULT_LIMITS: Readonly<EvaluationLimits> = Object.freeze({
  maxSteps: 10_000,
  // A payload is a string too: 64 KiB is far above any sensible MQTT state payload.
  maxStringLength: 65_536,
  maxArrayLength: 10_000,
});

export class Budget {
  private steps = 0;
  readonly limits: EvaluationLimits;

  constructor(
    readonly source: string,
    limits: Partial<EvaluationLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get used(): number {
    return this.steps;
  }

  /** Count `n` steps for the work at `node`. */
  charge(node: Node, n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new ExpressionError(
        ExpressionErrorCodes.STEP_LIMIT,
        `expression exceeded its limit of ${this.limits.maxSteps} steps`,
        node.start,
        this.source,
      );
    }
  }

  string(node: Node, value: string): string {
    if (value.length > this.limits.maxStringLength) {
      throw new ExpressionError(
        ExpressionErrorCodes.SIZE_LIMIT,
        `text of ${value.length} characters is longer than the limit of ${this.limits.maxStringLength}`,
        node.start,
        this.source,
      );
    }
    return value;
  }

  array<T>(node: Node, value: T[]): T[] {
    if (value.length > this.limits.maxArrayLength) {
      throw new ExpressionError(
        ExpressionErrorCodes.SIZE_LIMIT,
        `list of ${value.length} items is longer than the limit of ${this.limits.maxArrayLength}`,
        node.start,
        this.source,
      );
    }
    return value;
  }
}
