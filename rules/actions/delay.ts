// action: delay — wait a fixed time. Durable: after a restart the run resumes here with the time it had left.

import { formatDuration } from '../duration.js';
import { humanDuration } from '../engine/describe.js';
import type { DelayAction } from '../types.js';
import { label, type ActionKind, type RunContext } from './types.js';

export const delayAction: ActionKind<DelayAction> = {
  compile(config, path) {
    const wait = async (ctx: RunContext, ms: number, timerId?: string): Promise<void> => {
      if (ctx.effects.dry) return ctx.trace.step(path, 'delay', label(config.alias, `would wait ${formatDuration(config.duration)}`));
      ctx.trace.step(path, 'delay', label(config.alias, `waiting ${humanDuration(ms)}`));
      await ctx.sleep(ms, path, timerId);
      ctx.trace.step(path, 'delay', label(config.alias, `waited ${formatDuration(config.duration)}`));
    };
    return {
      path, kind: 'delay',
      run: (ctx) => wait(ctx, config.duration),
      resume: (ctx, at) => wait(ctx, at.remainingMs, at.timerId),
    };
  },
};
