// Where a character of a scalar's value is in the file. An expression error knows its index in the string value;
// the user needs the line and column in the YAML text, which differ by the quotes, escapes (`\"`, `''`),
// folded line breaks and block indentation. The walk below follows the value through its source.

import type { Scalar } from 'yaml';

/** Absolute source offset of character `index` of the scalar's string value (best effort for exotic forms). */
export function valueOffsetToSource(source: string, node: Scalar, index: number): number {
  const range = node.range;
  if (!range) return 0;
  const value = String(node.value);
  const end = range[1];
  let p = range[0];
  switch (node.type) {
    case 'QUOTE_DOUBLE':
    case 'QUOTE_SINGLE':
      p += 1;
      break;
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED': {
      // The content starts on the line after the header (`|`, `>-`, `|2`...).
      const header = source.indexOf('\n', p);
      p = header < 0 ? end : header + 1;
      break;
    }
    default:
      break;
  }
  const doubleQuoted = node.type === 'QUOTE_DOUBLE';
  const singleQuoted = node.type === 'QUOTE_SINGLE';
  for (let i = 0; i < value.length && p < end; i++) {
    const c = value[i]!;
    if (doubleQuoted) {
      // A backslash at the end of a line continues the string on the next one, adding nothing.
      while (source[p] === '\\' && (source[p + 1] === '\n' || source[p + 1] === '\r')) p = skipSpace(source, p + 1, end);
      if (source[p] === '\\') {
        if (i === index) return p;
        p += escapeLength(source, p);
        continue;
      }
    }
    if ((c === ' ' || c === '\n') && source[p] !== c) {
      // Folding: one space or newline in the value stands for a run of line break and indentation.
      if (i === index) return p;
      p = skipSpace(source, p, end);
      continue;
    }
    // Block indentation and folded line starts: whitespace in the source that the value does not have.
    if (source[p] !== c) p = skipSpace(source, p, end);
    if (i === index) return p;
    p += singleQuoted && c === "'" && source[p + 1] === "'" ? 2 : 1;
  }
  return Math.min(p, end);
}

function skipSpace(source: string, p: number, end: number): number {
  while (p < end && (source[p] === ' ' || source[p] === '\t' || source[p] === '\n' || source[p] === '\r')) p++;
  return p;
}

/** YAML 1.2 double-quoted escapes: `\x41` (4), `\u0041` (6), `\U00000041` (10), the rest 2. */
function escapeLength(source: string, p: number): number {
  const kind = source[p + 1];
  if (kind === 'x') return 4;
  if (kind === 'u') return 6;
  if (kind === 'U') return 10;
  return 2;
}
