// Does a reported value match one the rule names? `on`/`off` words and booleans compare by on-ness (a light that
// says "ON", true or 1 is on), everything else with the expression language's equality (`21` equals "21").

import type { StateValue } from '../../server/core/model.js';
import { looseEquals, type ExprValue } from '../expressions/index.js';
import { onOffOf } from '../on-off.js';

export function valueMatches(value: ExprValue, wanted: StateValue): boolean {
  const want = typeof wanted === 'string' || typeof wanted === 'boolean' ? onOffOf(wanted) : undefined;
  if (want !== undefined) {
    const have = onOffOf(value);
    if (have !== undefined) return have === want;
  }
  return looseEquals(value, wanted);
}

export function matchesAny(value: ExprValue, wanted: readonly StateValue[] | undefined): boolean {
  return wanted === undefined || wanted.some((w) => valueMatches(value, w));
}

export function listText(values: readonly StateValue[]): string {
  return values.map((v) => JSON.stringify(v)).join(' or ');
}
