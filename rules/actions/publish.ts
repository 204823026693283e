// action: publish — a message with a templated topic and payload. A payload that renders to text is sent as it is;
// numbers and booleans as their text; mappings, lists and null as JSON. No payload: an empty message (which
// clears a retained one, as in MQTT).

import { compileTemplate, compileTemplateValue, toText } from '../expressions/index.js';
import { show } from '../engine/describe.js';
import { checkPublishTopic } from '../topics.js';
import type { PublishAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export function payloadText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export const publishAction: ActionKind<PublishAction> = {
  compile(config, path) {
    const topic = compileTemplate(config.topic);
    const payload = config.payload === undefined ? undefined : compileTemplateValue(config.payload);
    const qos = config.qos ?? 0;
    const retain = config.retain ?? false;
    return {
      path, kind: 'publish',
      async run(ctx) {
        const to = toText(topic.render(ctx.scope, ctx.devices));
        const problem = checkPublishTopic(to);
        if (problem) throw new Error(`the topic rendered to ${show(to)}: ${problem.message}`);
        const text = payloadText(payload?.render(ctx.scope, ctx.devices));
        await ctx.effects.publish({ topic: to, payload: text, qos, retain }, ctx.cause);
        const flags = [retain ? 'retained' : '', qos ? `qos ${qos}` : ''].filter(Boolean).join(', ');
        ctx.trace.step(path, 'publish', label(config.alias, `${ctx.effects.dry ? 'would publish' : 'published'} ${show(text)} to ${to}${flags ? ` (${flags})` : ''}`));
      },
    };
  },
};
