// condition: state — a device property has one of the given values (on/off by on-ness), for at least `for`.

import { formatDuration } from '../duration.js';
import { humanDuration, show } from '../engine/describe.js';
import { listText, matchesAny } from '../triggers/values.js';
import type { StateCondition } from '../types.js';
import type { ConditionKind } from './types.js';

export const stateCondition: ConditionKind<StateCondition> = {
  compile(config, path) {
    return {
      path, kind: 'state', timeDependent: config.for !== undefined,
      reads: { devices: [config.device], filters: [], any: false },
      check(ctx) {
        const device = ctx.devices.resolve(config.device);
        if (!device) return { ok: false, why: `no device ${config.device} (yet)` };
        const property = config.property ?? ctx.devices.mainProperty(device) ?? 'state';
        const value = ctx.devices.value(device.id, property);
        const label = `${device.id}.${property}`;
        const cap = device.capabilities.find((c) => c.property === property);
        if (!matchesAny(value, config.state, cap)) return { ok: false, why: `${label} is ${show(value)}, not ${listText(config.state)}` };
        if (config.for !== undefined) {
          const held = ctx.now - (ctx.devices.since(device.id, property) ?? ctx.now);
          if (held < config.for) return { ok: false, why: `${label} has been ${show(value)} for ${humanDuration(held)}, not ${formatDuration(config.for)}` };
        }
        return { ok: true, why: `${label} is ${show(value)}` };
      },
    };
  },
};
