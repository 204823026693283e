// condition: trigger — the run was started by the trigger with one of these ids.

import type { TriggerCondition } from '../types.js';
import { noReads, type ConditionKind } from './types.js';

export const triggerCondition: ConditionKind<TriggerCondition> = {
  compile(config, path) {
    return {
      path, kind: 'trigger', timeDependent: false, reads: noReads(),
      check(ctx) {
        const ok = ctx.triggerId !== undefined && config.id.includes(ctx.triggerId);
        const by = ctx.triggerId === undefined ? 'a trigger without an id (or a manual run)' : `trigger '${ctx.triggerId}'`;
        return { ok, why: `started by ${by}${ok ? '' : `, not ${config.id.map((i) => `'${i}'`).join(' or ')}`}` };
      },
    };
  },
};
