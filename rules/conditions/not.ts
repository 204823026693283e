// condition: not — none of the nested conditions holds (Home Assistant's meaning).

import type { NotCondition } from '../types.js';
import { mergeReads, type ConditionKind } from './types.js';

export const notCondition: ConditionKind<NotCondition> = {
  compile(config, path, child) {
    const parts = config.conditions.map((c, i) => child(c, `${path}.conditions[${i}]`));
    return {
      path, kind: 'not', timeDependent: parts.some((p) => p.timeDependent), reads: mergeReads(parts.map((p) => p.reads)),
      check(ctx) {
        for (const p of parts) {
          const r = p.check(ctx);
          if (r.ok) return { ok: false, why: `${p.path} held: ${r.why}` };
        }
        return { ok: true, why: 'none held' };
      },
    };
  },
};
