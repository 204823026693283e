// action: notify — a notification on the dashboard (bus event `notification`) and, with `webhook`, a JSON POST
// to that URL. A failing webhook is noted in the trace; the run goes on (the dashboard got the notification).

import { compileTemplate, toText } from '../expressions/index.js';
import { show } from '../engine/describe.js';
import type { NotifyAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export const notifyAction: ActionKind<NotifyAction> = {
  compile(config, path) {
    const message = compileTemplate(config.message);
    const title = config.title === undefined ? undefined : compileTemplate(config.title);
    return {
      path, kind: 'notify',
      async run(ctx) {
        const text = toText(message.render(ctx.scope, ctx.devices));
        const heading = title ? toText(title.render(ctx.scope, ctx.devices)) : undefined;
        const webhook = await ctx.effects.notify({ message: text, ...(heading !== undefined ? { title: heading } : {}), ...(config.webhook ? { webhook: config.webhook } : {}), ...(config.secret ? { secret: config.secret } : {}) }, ctx.ruleId, ctx.cause);
        const verb = ctx.effects.dry ? 'would notify' : 'notified';
        ctx.trace.step(path, 'notify', label(config.alias, `${verb}: ${show(heading ? `${heading}: ${text}` : text)}${webhook ? `; ${webhook}` : ''}`));
      },
    };
  },
};
