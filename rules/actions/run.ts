// action: run — start another rule's actions (its conditions are not checked, as HA's automation.trigger with
// skip_condition). It does not wait for that run. The loop guard sees the chain: a rule that runs itself stops.

import type { RunAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export const runAction: ActionKind<RunAction> = {
  compile(config, path) {
    return {
      path, kind: 'run',
      async run(ctx) {
        const what = ctx.effects.runRule(config.rule, ctx.cause);
        ctx.trace.step(path, 'run', label(config.alias, what));
      },
    };
  },
};
