// Does a reported value match one the rule names? `on`/`off` words and booleans compare by on-ness (a light that
// says "ON", true or 1 is on), and so do a binary capability's own words (`open`/`closed` of a door contact,
// whose state is stored as true/false); everything else with the expression language's equality (21 equals "21").

import type { Capability, StateValue } from '../../server/core/model.js';
import { looseEquals, type ExprValue } from '../expressions/index.js';
import { onOffOf } from '../on-off.js';

function wantedOnness(wanted: StateValue, cap: Capability | undefined): boolean | undefined {
  if (typeof wanted === 'boolean') return wanted;
  if (typeof wanted !== 'string') return undefined;
  if (cap?.kind === 'binary') {
    const word = wanted.trim().toLowerCase();
    if (typeof cap.on === 'string' && cap.on.toLowerCase() === word) return true;
    if (typeof cap.off === 'string' && cap.off.toLowerCase() === word) return false;
  }
  return onOffOf(wanted);
}

export function valueMatches(value: ExprValue, wanted: StateValue, cap?: Capability): boolean {
  const want = wantedOnness(wanted, cap);
  if (want !== undefined) {
    const have = cap?.kind === 'binary' && value === cap.on ? true : cap?.kind === 'binary' && value === cap.off ? false : onOffOf(value);
    if (have !== undefined) return have === want;
  }
  return looseEquals(value, wanted);
}

export function matchesAny(value: ExprValue, wanted: readonly StateValue[] | undefined, cap?: Capability): boolean {
  return wanted === undefined || wanted.some((w) => valueMatches(value, w, cap));
}

export function listText(values: readonly StateValue[]): string {
  return values.map((v) => JSON.stringify(v)).join(' or ');
}
