// A list of actions run in order. Resuming after a restart enters the list at the step that holds the pending
// delay or wait (found by path), lets that step finish what it had left, then goes on with the steps after it.

import { RunAborted, RunStop, StepFailed, type CompiledAction, type ResumePoint, type RunContext, type SequenceLike } from './types.js';

function within(step: CompiledAction, path: string): boolean {
  return path === step.path || path.startsWith(`${step.path}.`);
}

export class Sequence implements SequenceLike {
  constructor(
    readonly path: string,
    readonly steps: readonly CompiledAction[],
  ) {}

  contains(path: string): boolean {
    return this.steps.some((s) => within(s, path));
  }

  async run(ctx: RunContext, from?: ResumePoint): Promise<void> {
    let i = 0;
    let step: CompiledAction | undefined;
    try {
      if (from) {
        i = this.steps.findIndex((s) => within(s, from.path));
        step = this.steps[i];
        if (!step?.resume) throw new StepFailed(from.path, 'resume', new Error(`cannot resume at ${from.path}: the rule has no such delay or wait`));
        await step.resume(ctx, from);
        i++;
      }
      for (; i < this.steps.length; i++) {
        ctx.checkpoint();
        step = this.steps[i]!;
        await step.run(ctx);
      }
    } catch (err) {
      // Errors of a step are wrapped once with its path; control flow (stop, abort) passes through.
      if (err instanceof RunStop || err instanceof RunAborted || err instanceof StepFailed || !step) throw err;
      throw new StepFailed(step.path, step.kind, err);
    }
  }
}
