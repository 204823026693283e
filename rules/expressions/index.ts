// The safe expression language: public surface. See parser.ts for the syntax and precedence, functions.ts and
// aggregates.ts for the whitelist, host.ts for what the engine provides.

export { compileExpression, type CompiledExpression } from './compile.js';
export { compileTemplate, type CompiledTemplate } from './template.js';
export { compileTemplateValue, type CompiledTemplateValue } from './template-value.js';
export { ExpressionError, ExpressionErrorCodes, isExpressionError, type ExpressionErrorCode } from './errors.js';
export { DEFAULT_LIMITS, type EvaluationLimits } from './budget.js';
export type { ExpressionHost, StateMatch } from './host.js';
export type { References } from './references.js';
export { functionNames } from './functions.js';
export { truthy, looseEquals, toText, type ExprValue, type Scope } from './values.js';
export { isOnValue, isOffValue, onOffOf } from '../on-off.js';
