// action: wait — until a condition holds (checked now, on every state change, and as time passes when it depends
// on time), up to `timeout`. On timeout the run stops, unless continue_on_timeout. Durable like delay.

import { formatDuration } from '../duration.js';
import { humanDuration } from '../engine/describe.js';
import type { WaitAction } from '../types.js';
import { label, RunStop, type ActionKind, type RunContext } from './types.js';

export const waitAction: ActionKind<WaitAction> = {
  compile(config, path, compiler) {
    const condition = compiler.condition(config.for, `${path}.for`);
    const wait = async (ctx: RunContext, timeout: number | undefined, timerId?: string): Promise<void> => {
      const started = ctx.now();
      if (ctx.effects.dry) {
        const now = condition.check(ctx.conditionContext());
        const then = now.ok ? 'would go on at once' : `would wait${config.timeout ? ` up to ${formatDuration(config.timeout)}` : ''} for it`;
        return ctx.trace.step(path, 'wait', label(config.alias, `${now.why}: ${then}`));
      }
      const outcome = await ctx.waitFor(condition, timeout, path, timerId);
      const after = humanDuration(ctx.now() - started);
      if (outcome === 'held') return ctx.trace.step(path, 'wait', label(config.alias, `condition held after ${after}`));
      if (config.continue_on_timeout) return ctx.trace.step(path, 'wait', label(config.alias, `timed out after ${formatDuration(config.timeout!)}; going on (continue_on_timeout)`));
      ctx.trace.step(path, 'wait', label(config.alias, `timed out after ${formatDuration(config.timeout!)}`));
      throw new RunStop(`${path}: the wait timed out after ${formatDuration(config.timeout!)}; the run stopped there (continue_on_timeout is false)`);
    };
    return {
      path, kind: 'wait',
      run: (ctx) => wait(ctx, config.timeout),
      resume: (ctx, at) => wait(ctx, config.timeout === undefined ? undefined : at.remainingMs, at.timerId),
    };
  },
};
