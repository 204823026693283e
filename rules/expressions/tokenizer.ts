// Splits expression text into tokens with their positions. Works on a range of a larger text (a template's
// `{{ ... }}` part) so that every position stays relative to what the user wrote.

import { ExpressionError, ExpressionErrorCodes } from './errors.js';

export type TokenKind = 'number' | 'string' | 'name' | 'keyword' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** The name, keyword, operator or decoded string; for numbers the source text. */
  text: string;
  /** Numbers only. */
  number?: number;
  start: number;
  end: number;
}

/** Jinja and Python spellings (`True`, `None`) are accepted beside the JSON ones, since HA users write them. */
export const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'if', 'else', 'true', 'false', 'null', 'True', 'False', 'None', 'none']);

// Longest first, so `<=` is not read as `<` then `=`.
const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '(', ')', '[', ']', ',', '.', '?', ':', '+', '-', '*', '/', '%', '~', '|', '<', '>', '!'];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

// Sticky patterns: matched in place, without copying the rest of the text for every token.
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

function matchAt(pattern: RegExp, source: string, at: number, end: number): string {
  pattern.lastIndex = at;
  const text = pattern.exec(source)![0];
  return text.slice(0, end - at);
}

export function tokenize(source: string, start = 0, end = source.length): Token[] {
  const tokens: Token[] = [];
  const fail = (message: string, at: number): never => {
    throw new ExpressionError(ExpressionErrorCodes.SYNTAX, message, at, source);
  };
  let i = start;
  while (i < end) {
    const ch = source[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch >= '0' && ch <= '9') {
      const text = matchAt(NUMBER, source, i, end);
      const after = i + text.length;
      if (after < end && /[A-Za-z_.]/.test(source[after]!)) {
        fail(`unexpected '${source[after]}' after the number ${text}`, after);
      }
      tokens.push({ kind: 'number', text, number: Number(text), start: i, end: after });
      i = after;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const word = matchAt(WORD, source, i, end);
      tokens.push({ kind: KEYWORDS.has(word) ? 'keyword' : 'name', text: word, start: i, end: i + word.length });
      i += word.length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      i = readString(source, i, end, tokens, fail);
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i) && i + o.length <= end);
    if (op) {
      tokens.push({ kind: 'op', text: op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    if (ch === '=') fail("use '==' to compare", i);
    if (ch === '&') fail("use 'and' (or '&&')", i);
    fail(`unexpected character '${ch}'`, i);
  }
  tokens.push({ kind: 'end', text: '', start: end, end });
  return tokens;
}

function readString(source: string, from: number, end: number, tokens: Token[], fail: (m: string, at: number) => never): number {
  const quote = source[from]!;
  let text = '';
  let i = from + 1;
  while (i < end && source[i] !== quote) {
    if (source[i] === '\\') {
      const next = source[i + 1];
      if (next === 'u') {
        const hex = source.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('\\u needs four hex digits', i);
        text += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      if (next === undefined || i + 1 >= end || !Object.hasOwn(ESCAPES, next)) fail(`unknown escape '\\${next ?? ''}'`, i);
      text += ESCAPES[next!]!;
      i += 2;
      continue;
    }
    text += source[i];
    i++;
  }
  if (i >= end) fail(`unterminated string: add the closing ${quote}`, from);
  tokens.push({ kind: 'string', text, start: from, end: i + 1 });
  return i + 1;
}
