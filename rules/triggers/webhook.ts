// trigger: webhook — another system POSTed to /api/webhooks/<webhook_id> with the secret (rules/engine/webhooks.ts
// checks it). The run sees `body` (parsed JSON when the body is JSON, else the text) and `content_type`.

import type { ExprValue } from '../expressions/index.js';
import type { WebhookTrigger } from '../types.js';
import { triggerVar, type TriggerKind, type Vars } from './types.js';

export const webhookTrigger: TriggerKind<WebhookTrigger> = {
  attach(ctx, config, fire) {
    const detach = ctx.webhooks.register(config.webhook_id, config.secret, (call) => {
      const text = call.body.toString('utf8');
      let body: ExprValue = text;
      if (/json/i.test(call.contentType ?? '') || /^\s*[[{]/.test(text)) {
        try {
          body = JSON.parse(text) as ExprValue;
        } catch {
          body = text;
        }
      }
      const vars: Vars = {
        body, content_type: call.contentType ?? null,
        trigger: triggerVar(ctx, 'webhook', { webhook_id: config.webhook_id }),
      };
      fire({ vars, cause: { kind: 'user', id: `webhook:${config.webhook_id}` }, description: `webhook ${config.webhook_id} called` });
    });
    if (!detach) {
      ctx.problem(`webhook_id "${config.webhook_id}" is used by another loaded rule with a different secret; give each its own id`);
      return () => {};
    }
    return detach;
  },
};
