import type { Args, Expr, Node } from './ast.js';
import { tokenizeTemplate, type Segment, type Token } from './tokenizer.js';
import { TemplateError } from './values.js';

// A recursive-descent parser for the Jinja subset, with Jinja's precedence (jinja2/parser.py, lowest first):
// conditional `a if b else c` · or · and · not · comparisons (==, !=, <, <=, >, >=, in, not in) · + - · ~ ·
// * / // % · ** · unary - · postfix (.attr, [index], calls) with filters `|f(x)` and tests `is [not] t`.
// Statements: {% if %}/{% elif %}/{% else %}/{% endif %} and {% set name = expr %}. No loops, no macros.

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
const MAX_DEPTH = 64;

export function parseTemplate(src: string): Node[] {
  const segments = tokenizeTemplate(src);
  let i = 0;
  const parseBody = (enders: string[]): { body: Node[]; ender?: Token[] } => {
    const body: Node[] = [];
    while (i < segments.length) {
      const seg = segments[i++]!;
      if (seg.type === 'text') body.push({ t: 'text', text: seg.text });
      else if (seg.type === 'expr') body.push({ t: 'out', expr: parseTagExpression(seg) });
      else {
        const keyword = seg.tokens[0]?.value ?? '';
        if (enders.includes(keyword)) return { body, ender: seg.tokens };
        if (keyword === 'if') body.push(parseIf(seg));
        else if (keyword === 'set') body.push(parseSet(seg));
        else throw new TemplateError(`unsupported statement {% ${keyword} %} at ${seg.pos}`);
      }
    }
    if (enders.length) throw new TemplateError(`missing {% ${enders[enders.length - 1]} %}`);
    return { body };
  };
  const parseIf = (seg: Segment & { type: 'stmt' }): Node => {
    const branches: { test: Expr; body: Node[] }[] = [];
    let test = new ExprParser(seg.tokens.slice(1)).whole();
    for (;;) {
      const { body, ender } = parseBody(['elif', 'else', 'endif']);
      branches.push({ test, body });
      const kw = ender![0]!.value;
      if (kw === 'elif') test = new ExprParser(ender!.slice(1)).whole();
      else if (kw === 'else') return { t: 'if', branches, otherwise: parseBody(['endif']).body };
      else return { t: 'if', branches, otherwise: [] };
    }
  };
  return parseBody([]).body;
}

function parseTagExpression(seg: Segment & { type: 'expr' }): Expr {
  if (seg.tokens.length === 0) throw new TemplateError(`empty expression at ${seg.pos}`);
  return new ExprParser(seg.tokens).whole();
}

function parseSet(seg: Segment & { type: 'stmt' }): Node {
  const [, name, eq] = seg.tokens;
  if (name?.kind !== 'name' || eq?.value !== '=') throw new TemplateError(`expected {% set name = value %} at ${seg.pos}`);
  return { t: 'set', name: name.value, expr: new ExprParser(seg.tokens.slice(3)).whole() };
}

class ExprParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  whole(): Expr {
    const e = this.expression();
    const extra = this.tokens[this.i];
    if (extra) throw new TemplateError(`unexpected ${JSON.stringify(extra.value)} at ${extra.pos}`);
    return e;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  private is(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.kind !== 'str' && t.value === value;
  }
  private accept(value: string): boolean {
    if (!this.is(value)) return false;
    this.i++;
    return true;
  }
  private expect(value: string): void {
    if (!this.accept(value)) {
      const t = this.peek();
      throw new TemplateError(`expected ${JSON.stringify(value)} ${t ? `at ${t.pos}, got ${JSON.stringify(t.value)}` : 'at the end'}`);
    }
  }
  private name(): string {
    const t = this.peek();
    if (t?.kind !== 'name') throw new TemplateError(`expected a name ${t ? `at ${t.pos}` : 'at the end'}`);
    this.i++;
    return t.value;
  }

  private expression(): Expr {
    // Nesting is bounded: a template of 8 KB of "(((((" must fail cleanly, not overflow the stack.
    if (++this.depth > MAX_DEPTH) throw new TemplateError('expression nested too deeply');
    try {
      const then = this.or();
      if (!this.accept('if')) return then;
      const test = this.or();
      return this.accept('else') ? { t: 'cond', test, then, else: this.expression() } : { t: 'cond', test, then };
    } finally {
      this.depth--;
    }
  }
  private or(): Expr {
    let left = this.and();
    while (this.accept('or')) left = { t: 'or', left, right: this.and() };
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.accept('and')) left = { t: 'and', left, right: this.not() };
    return left;
  }
  private not(): Expr {
    if (this.is('not') && !this.is('in', 1)) {
      this.i++;
      return { t: 'not', arg: this.not() };
    }
    return this.compare();
  }
  private compare(): Expr {
    const first = this.math1();
    const rest: [string, Expr][] = [];
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'op' && COMPARE.has(t.value)) {
        this.i++;
        rest.push([t.value, this.math1()]);
      } else if (this.accept('in')) rest.push(['in', this.math1()]);
      else if (this.is('not') && this.is('in', 1)) {
        this.i += 2;
        rest.push(['not in', this.math1()]);
      } else break;
    }
    return rest.length ? { t: 'cmp', first, rest } : first;
  }
  private binary(ops: string[], next: () => Expr): Expr {
    let left = next();
    for (let t = this.peek(); t?.kind === 'op' && ops.includes(t.value); t = this.peek()) {
      this.i++;
      left = { t: 'bin', op: t.value, left, right: next() };
    }
    return left;
  }
  private math1 = (): Expr => this.binary(['+', '-'], this.concat);
  private concat = (): Expr => this.binary(['~'], this.math2);
  private math2 = (): Expr => this.binary(['*', '/', '//', '%'], this.pow);
  private pow = (): Expr => this.binary(['**'], () => this.unary(true));

  private unary(withFilter: boolean): Expr {
    let node: Expr;
    if (this.accept('-')) node = { t: 'neg', arg: this.unary(false) };
    else if (this.accept('+')) node = this.unary(false);
    else node = this.postfix(this.primary());
    return withFilter ? this.filters(node) : node;
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new TemplateError('unexpected end of expression');
    this.i++;
    if (t.kind === 'num') return { t: 'lit', value: Number(t.value) };
    if (t.kind === 'str') {
      let value = t.value;
      while (this.peek()?.kind === 'str') value += this.tokens[this.i++]!.value; // 'a' 'b' == 'ab', as in Python
      return { t: 'lit', value };
    }
    if (t.kind === 'name') {
      if (t.value === 'true' || t.value === 'True') return { t: 'lit', value: true };
      if (t.value === 'false' || t.value === 'False') return { t: 'lit', value: false };
      if (t.value === 'none' || t.value === 'None') return { t: 'lit', value: null };
      if (this.is('(')) return { t: 'call', name: t.value, args: this.args() };
      return { t: 'name', name: t.value };
    }
    if (t.value === '(') {
      const e = this.expression();
      this.expect(')');
      return e;
    }
    if (t.value === '[') return { t: 'list', items: this.items(']', () => this.expression()) };
    if (t.value === '{') {
      return { t: 'dict', entries: this.items('}', () => this.entry()) };
    }
    throw new TemplateError(`unexpected ${JSON.stringify(t.value)} at ${t.pos}`);
  }

  private items<T>(close: string, item: () => T): T[] {
    const out: T[] = [];
    while (!this.accept(close)) {
      if (out.length) {
        this.expect(',');
        if (this.accept(close)) break; // trailing comma
      }
      out.push(item());
    }
    return out;
  }

  private entry(): [Expr, Expr] {
    const key = this.expression();
    this.expect(':');
    return [key, this.expression()];
  }

  private postfix(node: Expr): Expr {
    for (;;) {
      if (this.accept('.')) {
        const t = this.peek();
        // `value_json.0`: Jinja allows integer attributes as list indexes.
        const name = t?.kind === 'num' ? this.tokens[this.i++]!.value : this.name();
        node = this.is('(') ? { t: 'method', obj: node, name, args: this.args() } : { t: 'attr', obj: node, name };
      } else if (this.accept('[')) {
        const index = this.expression();
        this.expect(']');
        node = { t: 'index', obj: node, index };
      } else return node;
    }
  }

  private filters(node: Expr): Expr {
    for (;;) {
      if (this.accept('|')) {
        const name = this.name();
        node = { t: 'filter', value: node, name, args: this.is('(') ? this.args() : { positional: [], keyword: {} } };
      } else if (this.accept('is')) {
        const negate = this.accept('not');
        const name = this.name();
        const args = this.is('(') ? this.args().positional : [];
        node = { t: 'test', value: node, name, negate, args };
      } else return node;
    }
  }

  private args(): Args {
    this.expect('(');
    const args: Args = { positional: [], keyword: Object.create(null) as Record<string, Expr> };
    let first = true;
    while (!this.accept(')')) {
      if (!first) this.expect(',');
      first = false;
      if (this.peek()?.kind === 'name' && this.is('=', 1)) {
        const key = this.name();
        this.i++;
        args.keyword[key] = this.expression();
      } else args.positional.push(this.expression());
    }
    return args;
  }
}
