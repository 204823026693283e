// action: choose — the first option whose conditions all hold runs its actions; otherwise `default`.

import type { ChooseAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export const chooseAction: ActionKind<ChooseAction> = {
  compile(config, path, compiler) {
    const options = config.options.map((o, i) => ({
      path: `${path}.options[${i}]`,
      conditions: compiler.conditions(o.conditions, `${path}.options[${i}].conditions`),
      actions: compiler.sequence(o.actions, `${path}.options[${i}].actions`),
    }));
    const fallback = config.default ? compiler.sequence(config.default, `${path}.default`) : undefined;
    const branches = [...options.map((o) => o.actions), ...(fallback ? [fallback] : [])];
    return {
      path, kind: 'choose',
      async run(ctx) {
        const seen: string[] = [];
        for (const option of options) {
          const r = option.conditions.check(ctx.conditionContext());
          if (r.ok) {
            ctx.trace.step(path, 'choose', label(config.alias, `${option.path} chosen: ${r.why}`));
            return option.actions.run(ctx);
          }
          seen.push(`${option.path}: ${r.why}`);
        }
        ctx.trace.step(path, 'choose', label(config.alias, `no option held${fallback ? ', running default' : ' and there is no default'} (${seen.join('; ')})`));
        if (fallback) await fallback.run(ctx);
      },
      async resume(ctx, at) {
        const branch = branches.find((b) => b.contains(at.path));
        if (!branch) throw new Error(`cannot resume at ${at.path}`);
        await branch.run(ctx, at);
      },
    };
  },
};
