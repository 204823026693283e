// The parser's safety bounds: what an expression may never name, how long and how deep it may be. They keep a
// hostile or accidental expression from reaching JavaScript internals or exhausting the stack.

import { children, type Node } from './ast.js';
import { ExpressionError, ExpressionErrorCodes } from './errors.js';

export const MAX_EXPRESSION_LENGTH = 10_000;
/** Nesting of parentheses, lists, calls and unary operators: bounds the parser's recursion. */
export const MAX_NESTING = 100;
/** Depth of the finished tree (long `a + b + c ...` chains too): bounds the evaluator's recursion. */
export const MAX_TREE_DEPTH = 250;

/** Names no expression may read: they lead into JavaScript's object machinery, never into data. */
export function isForbiddenName(name: string): boolean {
  return name.startsWith('__') || name === 'constructor' || name === 'prototype';
}

/** Iterative, so a deep tree is refused before anything recurses through it. */
export function checkDepth(root: Node, source: string): void {
  const stack: Array<[Node, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) {
      throw new ExpressionError(ExpressionErrorCodes.SYNTAX, 'expression is nested too deeply', node.start, source);
    }
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
}
