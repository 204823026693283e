// action: if — `then` when all conditions hold, else `else`.

import type { IfAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export const ifAction: ActionKind<IfAction> = {
  compile(config, path, compiler) {
    const conditions = compiler.conditions(config.conditions, `${path}.conditions`);
    const then = compiler.sequence(config.then, `${path}.then`);
    const otherwise = config.else ? compiler.sequence(config.else, `${path}.else`) : undefined;
    return {
      path, kind: 'if',
      async run(ctx) {
        const r = conditions.check(ctx.conditionContext());
        ctx.trace.step(path, 'if', label(config.alias, r.ok ? `conditions held (${r.why}): then` : `${r.why}: ${otherwise ? 'else' : 'nothing to do'}`));
        if (r.ok) await then.run(ctx);
        else if (otherwise) await otherwise.run(ctx);
      },
      async resume(ctx, at) {
        const branch = [then, otherwise].find((b) => b?.contains(at.path));
        if (!branch) throw new Error(`cannot resume at ${at.path}`);
        await branch.run(ctx, at);
      },
    };
  },
};
