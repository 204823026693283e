// "The values it saw": for an expression that was false, the states and aggregates it read, computed again the
// same way, so the trace says `state('ourhome/groundfloor/livingroom/illuminance') = 120` and not only "false".

import { show } from '../engine/describe.js';
import type { ExpressionHost, References, Scope } from '../expressions/index.js';

export function seenValues(refs: References, scope: Scope, host: ExpressionHost): string {
  const parts: string[] = [];
  for (const s of refs.states.slice(0, 5)) {
    const args = s.property === undefined ? `'${s.ref}'` : `'${s.ref}', '${s.property}'`;
    parts.push(`state(${args}) = ${show(host.state(s.ref, s.property))}`);
  }
  for (const f of refs.filters.slice(0, 3)) {
    try {
      const matches = host.matchStates(f);
      const on = matches.filter((m) => m.isOn === true).length;
      parts.push(`'${f}': ${matches.length} states, ${on} on`);
    } catch {
      /* an invalid filter was reported by the expression itself */
    }
  }
  for (const name of refs.names.slice(0, 5)) if (name in scope) parts.push(`${name} = ${show(scope[name])}`);
  return parts.join(', ');
}
