// Recursive-descent parser. Precedence, lowest first (Python/Jinja order, with the C-style spellings beside):
//   a if c else b · c ? a : b   (right-associative)
//   or  ||
//   and &&
//   not                         (`not a == b` is `not (a == b)`, as in Python)
//   == != < <= > >= in, not in  (not chained: `a < b < c` is refused rather than silently meaning something else)
//   + - ~                       (~ always joins as text, as in Jinja)
//   * / %
//   - + !                       (unary; `!` binds tight, as in JavaScript)
//   .name [index] | filter(args) f(args)
// Only whitelisted functions can be called (checked in compile.ts); methods (`x.lower()`) cannot.

import type { BinaryOp, Node } from './ast.js';
import { ExpressionError, ExpressionErrorCodes } from './errors.js';
import { checkDepth, isForbiddenName, MAX_EXPRESSION_LENGTH, MAX_NESTING } from './guards.js';
import { tokenize, type Token } from './tokenizer.js';

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const LITERAL_KEYWORDS: Record<string, boolean | null> = {
  true: true, True: true, false: false, False: false, null: null, None: null, none: null,
};

export function parse(source: string, start = 0, end = source.length): Node {
  if (end - start > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(ExpressionErrorCodes.SYNTAX, `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, start, source);
  }
  const parser = new Parser(source, tokenize(source, start, end));
  if (parser.peek().kind === 'end') parser.fail('empty expression', parser.peek());
  const node = parser.expression();
  if (parser.peek().kind !== 'end') parser.fail(`unexpected ${describe(parser.peek())}`, parser.peek());
  checkDepth(node, source);
  return node;
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  if (token.kind === 'string') return `string ${JSON.stringify(token.text)}`;
  return `'${token.text}'`;
}

class Parser {
  private pos = 0;
  private nesting = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.pos++;
    return token;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private isKeyword(text: string): boolean {
    const t = this.peek();
    return t.kind === 'keyword' && t.text === text;
  }

  fail(message: string, at: Token | number, code: (typeof ExpressionErrorCodes)[keyof typeof ExpressionErrorCodes] = ExpressionErrorCodes.SYNTAX): never {
    throw new ExpressionError(code, message, typeof at === 'number' ? at : at.start, this.source);
  }

  private expectOp(text: string, hint = ''): Token {
    if (!this.isOp(text)) this.fail(`expected '${text}'${hint} but found ${describe(this.peek())}`, this.peek());
    return this.next();
  }

  private enter(at: Token): void {
    if (++this.nesting > MAX_NESTING) this.fail('expression is nested too deeply', at);
  }

  expression(): Node {
    const first = this.peek();
    this.enter(first);
    let node = this.or();
    if (this.isOp('?')) {
      this.next();
      const then = this.expression();
      this.expectOp(':', " after the '?' branch");
      const otherwise = this.expression();
      node = { type: 'conditional', test: node, then, else: otherwise, start: node.start, end: otherwise.end };
    } else if (this.isKeyword('if')) {
      this.next();
      const test = this.or();
      if (!this.isKeyword('else')) this.fail(`expected 'else' (write: a if condition else b) but found ${describe(this.peek())}`, this.peek());
      this.next();
      const otherwise = this.expression();
      node = { type: 'conditional', test, then: node, else: otherwise, start: node.start, end: otherwise.end };
    }
    this.nesting--;
    return node;
  }

  private or(): Node {
    let left = this.and();
    while (this.isKeyword('or') || this.isOp('||')) {
      this.next();
      const right = this.and();
      left = { type: 'logical', op: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isKeyword('and') || this.isOp('&&')) {
      this.next();
      const right = this.not();
      left = { type: 'logical', op: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private not(): Node {
    if (!this.isKeyword('not')) return this.comparison();
    const token = this.next();
    this.enter(token);
    const operand = this.not();
    this.nesting--;
    return { type: 'unary', op: 'not', operand, start: token.start, end: operand.end };
  }

  private comparisonOp(): BinaryOp | undefined {
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.text)) return t.text as BinaryOp;
    if (t.kind === 'keyword' && t.text === 'in') return 'in';
    if (t.kind === 'keyword' && t.text === 'not' && this.peek(1).kind === 'keyword' && this.peek(1).text === 'in') return 'not in';
    return undefined;
  }

  private comparison(): Node {
    const left = this.additive();
    const op = this.comparisonOp();
    if (!op) return left;
    this.next();
    if (op === 'not in') this.next();
    const right = this.additive();
    if (this.comparisonOp()) {
      this.fail("comparisons cannot be chained: write 'a < b and b < c'", this.peek());
    }
    return { type: 'binary', op, left, right, start: left.start, end: right.end };
  }

  private additive(): Node {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-') || this.isOp('~')) {
      const op = this.next().text as BinaryOp;
      const right = this.multiplicative();
      left = { type: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private multiplicative(): Node {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().text as BinaryOp;
      const right = this.unary();
      left = { type: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private unary(): Node {
    if (!(this.isOp('-') || this.isOp('+') || this.isOp('!'))) return this.postfix();
    const token = this.next();
    this.enter(token);
    const operand = this.unary();
    this.nesting--;
    const op = token.text === '!' ? 'not' : (token.text as '-' | '+');
    return { type: 'unary', op, operand, start: token.start, end: operand.end };
  }

  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.peek();
        if (name.kind !== 'name' && name.kind !== 'keyword') this.fail(`expected a property name after '.' but found ${describe(name)}`, name);
        this.next();
        this.refuseForbidden(name.text, name);
        if (this.isOp('(')) {
          this.fail(`methods cannot be called: use the function, e.g. ${name.text}(...)`, name);
        }
        const property: Node = { type: 'literal', value: name.text, start: name.start, end: name.end };
        node = { type: 'member', object: node, property, computed: false, start: node.start, end: name.end };
      } else if (this.isOp('[')) {
        const open = this.next();
        this.enter(open);
        const property = this.expression();
        this.nesting--;
        if (property.type === 'literal' && typeof property.value === 'string') this.refuseForbidden(property.value, property.start);
        const close = this.expectOp(']');
        node = { type: 'member', object: node, property, computed: true, start: node.start, end: close.end };
      } else if (this.isOp('|')) {
        this.next();
        const name = this.peek();
        if (name.kind !== 'name') this.fail(`expected a function name after '|' but found ${describe(name)}`, name);
        this.next();
        const args = this.isOp('(') ? this.callArguments() : { list: [], end: name.end };
        node = { type: 'call', name: name.text, args: [node, ...args.list], filter: true, start: name.start, end: args.end };
      } else if (this.isOp('(')) {
        this.fail('only functions can be called, by name: f(x)', this.peek());
      } else {
        return node;
      }
    }
  }

  private callArguments(): { list: Node[]; end: number } {
    const open = this.expectOp('(');
    this.enter(open);
    const list: Node[] = [];
    while (!this.isOp(')')) {
      list.push(this.expression());
      if (!this.isOp(',')) break;
      this.next();
    }
    const close = this.expectOp(')', list.length > 0 ? " or ','" : '');
    this.nesting--;
    return { list, end: close.end };
  }

  private primary(): Node {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
        this.next();
        return { type: 'literal', value: token.number!, start: token.start, end: token.end };
      case 'string':
        this.next();
        return { type: 'literal', value: token.text, start: token.start, end: token.end };
      case 'keyword':
        if (Object.hasOwn(LITERAL_KEYWORDS, token.text)) {
          this.next();
          return { type: 'literal', value: LITERAL_KEYWORDS[token.text]!, start: token.start, end: token.end };
        }
        return this.fail(`unexpected '${token.text}'`, token);
      case 'name': {
        this.next();
        this.refuseForbidden(token.text, token);
        if (this.isOp('(')) {
          const args = this.callArguments();
          return { type: 'call', name: token.text, args: args.list, filter: false, start: token.start, end: args.end };
        }
        return { type: 'name', name: token.text, start: token.start, end: token.end };
      }
      case 'op':
        if (token.text === '(') {
          this.next();
          const inner = this.expression();
          this.expectOp(')');
          return inner;
        }
        if (token.text === '[') return this.arrayLiteral();
        return this.fail(`unexpected '${token.text}'`, token);
      default:
        return this.fail(`unexpected ${describe(token)}`, token);
    }
  }

  private arrayLiteral(): Node {
    const open = this.next();
    this.enter(open);
    const items: Node[] = [];
    while (!this.isOp(']')) {
      items.push(this.expression());
      if (!this.isOp(',')) break;
      this.next();
    }
    const close = this.expectOp(']', items.length > 0 ? " or ','" : '');
    this.nesting--;
    return { type: 'array', items, start: open.start, end: close.end };
  }

  private refuseForbidden(name: string, at: Token | number): void {
    if (isForbiddenName(name)) this.fail(`'${name}' is not allowed`, at, ExpressionErrorCodes.FORBIDDEN);
  }
}
