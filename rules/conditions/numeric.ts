// condition: numeric — a device's number (or the `value` expression over it) is above/below the bounds now.

import { show } from '../engine/describe.js';
import { compileExpression } from '../expressions/index.js';
import { asNumber } from '../expressions/values.js';
import { inRange, rangeText } from '../triggers/numeric.js';
import type { NumericCondition } from '../types.js';
import type { ConditionKind } from './types.js';

export const numericCondition: ConditionKind<NumericCondition> = {
  compile(config, path) {
    const expr = config.value === undefined ? undefined : compileExpression(config.value);
    const range = rangeText(config);
    return {
      path, kind: 'numeric', timeDependent: expr?.references.usesNow ?? false,
      reads: { devices: [config.device], filters: [...(expr?.references.filters ?? [])], any: expr?.references.dynamic ?? false },
      check(ctx) {
        const device = ctx.devices.resolve(config.device);
        if (!device) return { ok: false, why: `no device ${config.device} (yet)` };
        const property = config.property ?? ctx.devices.mainProperty(device) ?? 'state';
        const raw = ctx.devices.value(device.id, property);
        const value = expr ? expr.evaluate({ ...ctx.scope, value: raw }, ctx.devices) : raw;
        const n = asNumber(value);
        const label = `${device.id}.${property}`;
        if (n === undefined) return { ok: false, why: `${label} is ${show(value)}, not a number` };
        const ok = inRange(config, n);
        return { ok, why: `${label} is ${n}${ok ? ', ' : ', not '}${range}` };
      },
    };
  },
};
