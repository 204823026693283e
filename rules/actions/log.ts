// action: log — a line in the hub's log (namespaced with the rule id), and in the trace.

import { compileTemplate, toText } from '../expressions/index.js';
import type { LogAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export const logAction: ActionKind<LogAction> = {
  compile(config, path) {
    const message = compileTemplate(config.message);
    const level = config.level ?? 'info';
    return {
      path, kind: 'log',
      async run(ctx) {
        const text = toText(message.render(ctx.scope, ctx.devices));
        ctx.effects.log(level, text, ctx.ruleId);
        ctx.trace.step(path, 'log', label(config.alias, `${level}: ${text}`));
      },
    };
  },
};
