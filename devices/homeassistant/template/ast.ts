import type { PyValue } from './values.js';

// The syntax tree of the Jinja subset: expressions and the few statements device templates use.

export interface Args {
  positional: Expr[];
  keyword: Record<string, Expr>;
}

export type Expr =
  | { t: 'lit'; value: PyValue }
  | { t: 'name'; name: string }
  | { t: 'attr'; obj: Expr; name: string }
  | { t: 'index'; obj: Expr; index: Expr }
  | { t: 'call'; name: string; args: Args }
  | { t: 'method'; obj: Expr; name: string; args: Args }
  | { t: 'filter'; value: Expr; name: string; args: Args }
  | { t: 'test'; value: Expr; name: string; negate: boolean; args: Expr[] }
  | { t: 'neg'; arg: Expr }
  | { t: 'not'; arg: Expr }
  | { t: 'bin'; op: string; left: Expr; right: Expr }
  | { t: 'and' | 'or'; left: Expr; right: Expr }
  | { t: 'cmp'; first: Expr; rest: [string, Expr][] }
  | { t: 'cond'; test: Expr; then: Expr; else?: Expr }
  | { t: 'list'; items: Expr[] }
  | { t: 'dict'; entries: [Expr, Expr][] };

export type Node =
  | { t: 'text'; text: string }
  | { t: 'out'; expr: Expr }
  | { t: 'if'; branches: { test: Expr; body: Node[] }[]; otherwise: Node[] }
  | { t: 'set'; name: string; expr: Expr };
