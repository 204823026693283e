// The expression tree. Every node keeps its source range so that evaluation errors point at the right column.

import type { StateValue } from '../../server/core/model.js';

interface Span {
  /** 0-based offsets into the source text; end is exclusive. */
  start: number;
  end: number;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '~' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';
export type UnaryOp = '-' | '+' | 'not';

export type Node = Span &
  (
    | { type: 'literal'; value: StateValue }
    | { type: 'array'; items: Node[] }
    | { type: 'name'; name: string }
    /** `a.b` (computed: false) and `a['b']`, `a[0]` (computed: true). */
    | { type: 'member'; object: Node; property: Node; computed: boolean }
    /** A whitelisted function; `x | f(y)` is parsed as f(x, y) with `filter` set. */
    | { type: 'call'; name: string; args: Node[]; filter: boolean }
    | { type: 'unary'; op: UnaryOp; operand: Node }
    | { type: 'binary'; op: BinaryOp; left: Node; right: Node }
    /** `and` / `or` (also `&&` / `||`): short-circuit, and return an operand, as in Python and Jinja. */
    | { type: 'logical'; op: 'and' | 'or'; left: Node; right: Node }
    /** `a if test else b` and `test ? a : b`. */
    | { type: 'conditional'; test: Node; then: Node; else: Node }
  );

export type NodeOf<T extends Node['type']> = Extract<Node, { type: T }>;

/** The direct children of a node, for walks that must not recurse (depth checks, reference collection). */
export function children(node: Node): Node[] {
  switch (node.type) {
    case 'literal':
    case 'name':
      return [];
    case 'array':
      return node.items;
    case 'member':
      return [node.object, node.property];
    case 'call':
      return node.args;
    case 'unary':
      return [node.operand];
    case 'binary':
    case 'logical':
      return [node.left, node.right];
    case 'conditional':
      return [node.test, node.then, node.else];
  }
}
