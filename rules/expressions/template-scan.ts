// Finds the `{{ ... }}` parts of a template. The closing `}}` is searched outside quoted strings, so
// `{{ 'a}}b' }}` is one part. Jinja statements (`{% ... %}`) are refused with a hint rather than sent as text.

import { ExpressionError, ExpressionErrorCodes } from './errors.js';

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expression'; start: number; end: number };

export function scanTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let textStart = 0;
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('{%', i)) {
      throw new ExpressionError(
        ExpressionErrorCodes.SYNTAX,
        "statements ({% ... %}) are not supported: use an expression such as {{ a if condition else b }}",
        i,
        source,
      );
    }
    if (!source.startsWith('{{', i)) {
      i++;
      continue;
    }
    const close = findClose(source, i + 2);
    if (close < 0) throw new ExpressionError(ExpressionErrorCodes.SYNTAX, "unclosed '{{': add '}}'", i, source);
    if (i > textStart) parts.push({ kind: 'text', text: source.slice(textStart, i) });
    parts.push({ kind: 'expression', start: i + 2, end: close });
    i = close + 2;
    textStart = i;
  }
  if (textStart < source.length) parts.push({ kind: 'text', text: source.slice(textStart) });
  return parts;
}

function findClose(source: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '}' && source[i + 1] === '}') {
      return i;
    }
  }
  // A quote was never closed: end at the first `}}` anyway, so the tokenizer reports the unterminated string
  // at its place instead of a misleading "unclosed '{{'".
  return source.indexOf('}}', from);
}

/** The one expression of a template that is only `{{ expr }}` (whitespace around allowed), or undefined. */
export function findSingleExpression(source: string): { start: number; end: number } | undefined {
  if (!source.includes('{{')) return undefined;
  let parts: TemplatePart[];
  try {
    parts = scanTemplate(source);
  } catch {
    return undefined;
  }
  const meaningful = parts.filter((p) => p.kind === 'expression' || p.text.trim() !== '');
  const only = meaningful.length === 1 ? meaningful[0] : undefined;
  return only?.kind === 'expression' ? { start: only.start, end: only.end } : undefined;
}
