import { TemplateError } from './values.js';

// Splits a Jinja template into text, `{{ expression }}` and `{% statement %}` segments, and each tag into tokens.
// Whitespace control (`{{-`, `-}}`) and comments (`{# #}`) follow Jinja's lexer (jinja2/lexer.py); a closing
// `}}` inside brackets belongs to a dict literal, as in Jinja's balancing stack.

export type TokenKind = 'num' | 'str' | 'name' | 'op';
export interface Token {
  kind: TokenKind;
  value: string;
  /** Offset in the template source, for error messages. */
  pos: number;
}

export type Segment =
  | { type: 'text'; text: string }
  | { type: 'expr'; tokens: Token[]; pos: number }
  | { type: 'stmt'; tokens: Token[]; pos: number };

export const MAX_TEMPLATE_LENGTH = 8192;

// Longest first, so `//` wins over `/` and `==` over `=`.
const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '~', '<', '>', '=', '|', '.', ',', ':', '(', ')', '[', ']', '{', '}'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

export function tokenizeTemplate(src: string): Segment[] {
  if (src.length > MAX_TEMPLATE_LENGTH) throw new TemplateError(`template longer than ${MAX_TEMPLATE_LENGTH} characters`);
  const segments: Segment[] = [];
  let pos = 0;
  let stripNext = false;
  while (pos < src.length) {
    const open = findOpen(src, pos);
    let text = src.slice(pos, open === -1 ? src.length : open);
    if (stripNext) text = text.replace(/^\s+/, '');
    if (open === -1) {
      if (text) segments.push({ type: 'text', text });
      break;
    }
    const kind = src[open + 1];
    const stripBefore = src[open + 2] === '-';
    if (stripBefore) text = text.replace(/\s+$/, '');
    if (text) segments.push({ type: 'text', text });
    let start = open + 2 + (stripBefore ? 1 : 0);
    if (kind === '#') {
      const end = src.indexOf('#}', start);
      if (end === -1) throw new TemplateError(`unclosed comment at ${open}`);
      stripNext = src[end - 1] === '-';
      pos = end + 2;
      continue;
    }
    const { tokens, end, stripAfter } = tokenizeTag(src, start, kind === '{' ? '}}' : '%}');
    segments.push(kind === '{' ? { type: 'expr', tokens, pos: open } : { type: 'stmt', tokens, pos: open });
    stripNext = stripAfter;
    pos = end;
  }
  return segments;
}

function findOpen(src: string, from: number): number {
  for (let i = src.indexOf('{', from); i !== -1 && i < src.length - 1; i = src.indexOf('{', i + 1)) {
    const next = src[i + 1];
    if (next === '{' || next === '%' || next === '#') return i;
  }
  return -1;
}

function tokenizeTag(src: string, from: number, close: string): { tokens: Token[]; end: number; stripAfter: boolean } {
  const tokens: Token[] = [];
  let depth = 0;
  let i = from;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (depth === 0) {
      if (src.startsWith(close, i)) return { tokens, end: i + 2, stripAfter: false };
      if (c === '-' && src.startsWith(close, i + 1)) return { tokens, end: i + 3, stripAfter: true };
    }
    if (c === "'" || c === '"') {
      const [value, next] = readString(src, i);
      tokens.push({ kind: 'str', value, pos: i });
      i = next;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 40));
    if (num) {
      tokens.push({ kind: 'num', value: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 80));
    if (name) {
      tokens.push({ kind: 'name', value: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new TemplateError(`unexpected character ${JSON.stringify(c)} at ${i}`);
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    tokens.push({ kind: 'op', value: op, pos: i });
    i += op.length;
  }
  throw new TemplateError(`unclosed tag: expected ${JSON.stringify(close)}`);
}

function readString(src: string, start: number): [string, number] {
  const quote = src[start];
  let out = '';
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === quote) return [out, i + 1];
    if (c === '\\' && i + 1 < src.length) {
      const e = src[++i]!;
      out += ESCAPES[e] ?? `\\${e}`;
    } else out += c;
  }
  throw new TemplateError(`unclosed string starting at ${start}`);
}
