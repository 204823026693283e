// action: set — command a device property through DevicesApi.command, the path the dashboard and the REST API take
// (capability check, the convention's own command encoding). The device may be named by id or topic; without a
// property, its main one.

import { compileTemplate, compileTemplateValue, toText } from '../expressions/index.js';
import { show } from '../engine/describe.js';
import type { SetAction } from '../types.js';
import { label, type ActionKind } from './types.js';

export const setAction: ActionKind<SetAction> = {
  compile(config, path) {
    const device = compileTemplate(config.device);
    const value = compileTemplateValue(config.value);
    return {
      path, kind: 'set',
      async run(ctx) {
        const ref = toText(device.render(ctx.scope, ctx.devices));
        const v = value.render(ctx.scope, ctx.devices);
        const sent = await ctx.effects.command(ref, config.property, v, ctx.cause);
        const wire = sent.payload !== undefined ? ` (${show(sent.payload)} to ${sent.topic})` : sent.topic ? ` (on ${sent.topic})` : '';
        ctx.trace.step(path, 'set', label(config.alias, `${ctx.effects.dry ? 'would set' : 'set'} ${sent.deviceId}.${sent.property} to ${show(v)}${wire}`));
      },
    };
  },
};
