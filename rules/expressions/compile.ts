// compileExpression: parse once, check every call against the whitelist, then evaluate many times.

import { Budget, type EvaluationLimits } from './budget.js';
import { ExpressionError, ExpressionErrorCodes } from './errors.js';
import { evaluate } from './evaluate.js';
import { functionNames, lookupFunction } from './functions.js';
import type { ExpressionHost } from './host.js';
import { children, type Node } from './ast.js';
import { parse } from './parser.js';
import { collectReferences, type References } from './references.js';
import { findSingleExpression } from './template-scan.js';
import type { ExprValue, Scope } from './values.js';

export interface CompiledExpression {
  readonly source: string;
  readonly references: References;
  /** Throws ExpressionError (coded, with position) when the evaluation fails or exceeds its limits. */
  evaluate(scope: Scope, host: ExpressionHost, limits?: Partial<EvaluationLimits>): ExprValue;
}

/**
 * Compile an expression. Home Assistant users write expressions as `{{ ... }}` templates, so a text that is one
 * `{{ expr }}` is accepted as that expression; error positions stay relative to the text as written.
 */
export function compileExpression(text: string): CompiledExpression {
  const inner = findSingleExpression(text);
  const root = inner ? parse(text, inner.start, inner.end) : parse(text);
  checkCalls(root, text);
  const references = collectReferences(root);
  return {
    source: text,
    references,
    evaluate: (scope, host, limits) => evaluate(root, { scope, host, budget: new Budget(text, limits) }),
  };
}

/** Parse and check a range of a larger text (a template part). */
export function compileRange(source: string, start: number, end: number): Node {
  const root = parse(source, start, end);
  checkCalls(root, source);
  return root;
}

/** Unknown functions, wrong argument counts and bad literal arguments are errors before anything runs. */
function checkCalls(root: Node, source: string): void {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    stack.push(...children(node));
    if (node.type !== 'call') continue;
    const fail = (message: string, at: number): never => {
      throw new ExpressionError(ExpressionErrorCodes.FUNCTION, message, at, source);
    };
    const spec = lookupFunction(node.name);
    if (!spec) fail(`unknown function '${node.name}'; functions: ${functionNames().join(', ')}`, node.start);
    const count = node.args.length;
    if (count < spec!.min || count > spec!.max) {
      const wanted = spec!.min === spec!.max ? `${spec!.min}` : spec!.max >= 100 ? `at least ${spec!.min}` : `${spec!.min} to ${spec!.max}`;
      const piped = node.filter ? " (counting the value before '|')" : '';
      fail(`${node.name}() takes ${wanted} argument${wanted === '1' ? '' : 's'}${piped}, got ${count}: ${spec!.usage}`, node.start);
    }
    node.args.forEach((arg, index) => {
      if (arg.type !== 'literal' || !spec!.checkLiteral) return;
      const problem = spec!.checkLiteral(index, arg.value, count);
      if (!problem) return;
      // Inside a quoted literal, the problem's offset is counted from after the opening quote.
      const at = problem.offset === undefined || typeof arg.value !== 'string' ? arg.start : arg.start + 1 + problem.offset;
      throw new ExpressionError(ExpressionErrorCodes.FUNCTION, problem.message, at, source);
    });
  }
}
