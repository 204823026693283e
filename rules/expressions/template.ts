// Templates: text with `{{ expression }}` parts, for payloads, messages and topics. A template that is exactly
// one `{{ expr }}` (whitespace around allowed) gives the expression's own value, so a count stays a number in a
// JSON payload; otherwise the parts are joined as text.

import type { Node } from './ast.js';
import { Budget, type EvaluationLimits } from './budget.js';
import { compileRange } from './compile.js';
import { evaluate } from './evaluate.js';
import type { ExpressionHost } from './host.js';
import { collectReferences, emptyReferences, type References } from './references.js';
import { scanTemplate } from './template-scan.js';
import { toText, type ExprValue, type Scope } from './values.js';

export interface CompiledTemplate {
  readonly source: string;
  /** No `{{ }}` at all: render gives the text unchanged. */
  readonly isStatic: boolean;
  /** Exactly one `{{ expr }}`: render gives the expression's value, not text. */
  readonly isSingleExpression: boolean;
  readonly references: References;
  /** One step budget for the whole template. Throws ExpressionError with a position in the template. */
  render(scope: Scope, host: ExpressionHost, limits?: Partial<EvaluationLimits>): ExprValue;
}

type Piece = string | Node;

export function compileTemplate(text: string): CompiledTemplate {
  const pieces: Piece[] = scanTemplate(text).map((part) => (part.kind === 'text' ? part.text : compileRange(text, part.start, part.end)));
  const expressions = pieces.filter((p): p is Node => typeof p !== 'string');
  const references = emptyReferences();
  for (const node of expressions) collectReferences(node, references);
  const single = expressions.length === 1 && pieces.every((p) => typeof p !== 'string' || p.trim() === '') ? expressions[0] : undefined;

  return {
    source: text,
    isStatic: expressions.length === 0,
    isSingleExpression: single !== undefined,
    references,
    render(scope, host, limits) {
      const env = { scope, host, budget: new Budget(text, limits) };
      if (single) return evaluate(single, env);
      let out = '';
      for (const piece of pieces) {
        out += typeof piece === 'string' ? piece : toText(evaluate(piece, env));
        if (typeof piece !== 'string') env.budget.string(piece, out);
      }
      return out;
    },
  };
}
