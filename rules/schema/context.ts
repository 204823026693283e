// Collects every problem of one rule file with its place: file, 1-based line and column (from yaml's LineCounter),
// the path in the rule (`triggers[0].above`) and a message that says what is wrong and what would be right.

import { isAlias, isScalar, type Document, type LineCounter, type Node as YamlNode } from 'yaml';
import { valueOffsetToSource } from './positions.js';

export interface RuleError {
  file: string;
  line: number;
  column: number;
  /** `triggers[0].above`; empty for the file as a whole. */
  path: string;
  message: string;
}

export type Path = ReadonlyArray<string | number>;

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Aliases are followed, but a file with more than this many is refused ("billion laughs" documents). */
const MAX_ALIASES = 100;

export class SchemaContext {
  private readonly found: Array<RuleError & { offset: number; order: number }> = [];
  private aliases = 0;
  /** Trigger ids of the rule, with the path of the trigger that declared each: `condition: trigger` checks them. */
  readonly triggerIds = new Map<string, string>();

  constructor(
    readonly file: string,
    readonly source: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Report a problem at a node; with `valueIndex`, at that character of a string scalar's value (an expression
   * error's column). Without a node (a missing document), at the start of the file.
   */
  report(at: YamlNode | null | undefined, path: Path, message: string, valueIndex?: number): void {
    let offset = at?.range?.[0] ?? 0;
    if (at && valueIndex !== undefined && isScalar(at) && typeof at.value === 'string') {
      offset = valueOffsetToSource(this.source, at, valueIndex);
    }
    this.reportAt(offset, formatPath(path), message);
  }

  reportAt(offset: number, path: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.found.push({ file: this.file, line, column: col, path, message, offset, order: this.found.length });
  }

  /** All problems, in the order they appear in the file. */
  get errors(): RuleError[] {
    return [...this.found]
      .sort((a, b) => a.offset - b.offset || a.order - b.order)
      .map(({ file, line, column, path, message }) => ({ file, line, column, path, message }));
  }

  get hasErrors(): boolean {
    return this.found.length > 0;
  }

  /** Follow an alias to its anchored node. */
  resolve(node: unknown, path: Path): YamlNode | null {
    if (!isAlias(node)) return (node as YamlNode | null | undefined) ?? null;
    if (++this.aliases > MAX_ALIASES) {
      if (this.aliases === MAX_ALIASES + 1) this.report(node, path, `more than ${MAX_ALIASES} aliases: refused`);
      return null;
    }
    const target = node.resolve(this.doc);
    if (!target) {
      this.report(node, path, `unknown alias *${node.source}`);
      return null;
    }
    return target as YamlNode;
  }
}
