// Coded errors of the expression language. Codes follow the hub's RUMAH_ERR_ catalogue (server/core/errors.ts);
// every error knows where it is in the source text, so a rule file error can point at the exact column.

export const ExpressionErrorCodes = {
  /** The text is not a valid expression. */
  SYNTAX: 'RUMAH_ERR_EXPR_SYNTAX',
  /** A call to a function that is not on the whitelist, or with the wrong number of arguments. */
  FUNCTION: 'RUMAH_ERR_EXPR_FUNCTION',
  /** `__proto__`, `constructor`, `prototype`: refused so no expression can reach JavaScript internals. */
  FORBIDDEN: 'RUMAH_ERR_EXPR_FORBIDDEN',
  /** A name that is not in the scope. */
  UNKNOWN_NAME: 'RUMAH_ERR_EXPR_UNKNOWN_NAME',
  /** An operator or function got values it cannot work with (`'a' - 1`, division by zero). */
  TYPE: 'RUMAH_ERR_EXPR_TYPE',
  /** The evaluation visited more nodes than allowed. */
  STEP_LIMIT: 'RUMAH_ERR_EXPR_STEP_LIMIT',
  /** A string or list grew past its bound. */
  SIZE_LIMIT: 'RUMAH_ERR_EXPR_SIZE_LIMIT',
} as const;

export type ExpressionErrorCode = (typeof ExpressionErrorCodes)[keyof typeof ExpressionErrorCodes];

export class ExpressionError extends Error {
  readonly code: ExpressionErrorCode;
  /** 0-based index into the source text (for a template: into the whole template). */
  readonly offset: number;
  /** 1-based line and column of `offset` in the source text. */
  readonly line: number;
  readonly column: number;

  constructor(code: ExpressionErrorCode, message: string, offset: number, source: string) {
    super(message);
    this.name = 'ExpressionError';
    this.code = code;
    this.offset = offset;
    const before = source.slice(0, offset);
    const lastBreak = before.lastIndexOf('\n');
    this.line = before.split('\n').length;
    this.column = offset - lastBreak;
  }
}

export function isExpressionError(err: unknown): err is ExpressionError {
  return err instanceof ExpressionError;
}
