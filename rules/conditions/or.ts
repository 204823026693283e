// condition: or — at least one nested condition holds.

import type { OrCondition } from '../types.js';
import { mergeReads, type ConditionKind } from './types.js';

export const orCondition: ConditionKind<OrCondition> = {
  compile(config, path, child) {
    const parts = config.conditions.map((c, i) => child(c, `${path}.conditions[${i}]`));
    return {
      path, kind: 'or', timeDependent: parts.some((p) => p.timeDependent), reads: mergeReads(parts.map((p) => p.reads)),
      check(ctx) {
        const whys: string[] = [];
        for (const p of parts) {
          const r = p.check(ctx);
          if (r.ok) return { ok: true, why: `${p.path}: ${r.why}` };
          whys.push(`${p.path}: ${r.why}`);
        }
        return { ok: false, why: `none held: ${whys.join('; ')}` };
      },
    };
  },
};
