// condition: and — every nested condition holds.

import type { AndCondition } from '../types.js';
import { mergeReads, type ConditionKind } from './types.js';

export const andCondition: ConditionKind<AndCondition> = {
  compile(config, path, child) {
    const parts = config.conditions.map((c, i) => child(c, `${path}.conditions[${i}]`));
    return {
      path, kind: 'and', timeDependent: parts.some((p) => p.timeDependent), reads: mergeReads(parts.map((p) => p.reads)),
      check(ctx) {
        for (const p of parts) {
          const r = p.check(ctx);
          if (!r.ok) return { ok: false, why: `${p.path}: ${r.why}` };
        }
        return { ok: true, why: 'all held' };
      },
    };
  },
};
