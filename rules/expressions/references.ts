// What an expression reads, found without running it: the engine re-evaluates keep blocks and `wait` conditions
// when one of these changes, and knows it must re-check on every change when a filter is computed at run time.

import { children, type Node } from './ast.js';

export interface References {
  /** Literal filters given to count/any/all/avg/min/max. */
  filters: string[];
  /** Literal state('ref', 'property') reads. */
  states: Array<{ ref: string; property?: string }>;
  /** Scope names read (`trigger`, `value_json`, a topic variable...). */
  names: string[];
  /** A filter or state ref computed at run time: depends on any state. */
  dynamic: boolean;
  /** Calls now(): the value changes with time alone. */
  usesNow: boolean;
}

const AGGREGATE_NAMES = new Set(['count', 'any', 'all', 'avg', 'min', 'max']);

export function emptyReferences(): References {
  return { filters: [], states: [], names: [], dynamic: false, usesNow: false };
}

export function collectReferences(root: Node, into: References = emptyReferences()): References {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'name' && !into.names.includes(node.name)) into.names.push(node.name);
    if (node.type === 'call') {
      const [first, second] = node.args;
      const literal = first?.type === 'literal' && typeof first.value === 'string' ? first.value : undefined;
      if (node.name === 'now') into.usesNow = true;
      // min/max/avg over numbers (`max(a, b)`) read no state; only a single string argument is a filter.
      const isFilterCall = AGGREGATE_NAMES.has(node.name) && (node.name === 'count' || node.name === 'any' || node.name === 'all' || node.args.length === 1);
      if (isFilterCall && first && first.type !== 'array') {
        if (literal !== undefined) {
          if (!into.filters.includes(literal)) into.filters.push(literal);
        } else if (first.type !== 'literal') {
          into.dynamic = true;
        }
      }
      if (node.name === 'state') {
        const property = second?.type === 'literal' && typeof second.value === 'string' ? second.value : undefined;
        if (literal === undefined || (second && property === undefined)) into.dynamic = true;
        else into.states.push(property === undefined ? { ref: literal } : { ref: literal, property });
      }
    }
    stack.push(...children(node));
  }
  return into;
}
