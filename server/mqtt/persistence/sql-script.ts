import type { SqlValue } from './sqlite-connection.js';
import { inlineParams } from './sql-literal.js';

/**
 * A transaction as one script for sqlite3_exec: BEGIN, the statements with their values written in, COMMIT: one trip
 * to SQLite's thread instead of one per statement. Consecutive runs of one `INSERT ... VALUES (?, ...) [ON CONFLICT
 * ...]` become one statement with a row per run (SQLite inserts the rows in order, and an upsert's conflict with a
 * row earlier in the same statement updates it, so the last write of a topic still wins): one parse and one
 * statement where there were many. A retained write of ~70-byte JSON cost SQLite ~14 µs as a statement of its own
 * and ~8 µs as a row of a shared one (bench/retained-writes.ts; docs/benchmarks.md).
 */
export function transactionScript(statements: ReadonlyArray<readonly [{ readonly sql: string }, readonly SqlValue[]]>): string {
  const parts = ['BEGIN'];
  for (let i = 0; i < statements.length; ) {
    const sql = statements[i]![0].sql;
    const form = rowsForm(sql);
    if (!form) {
      parts.push(inlineParams(sql, statements[i]![1]));
      i++;
      continue;
    }
    const rows: string[] = [];
    for (; i < statements.length && statements[i]![0].sql === sql && rows.length < maxRows; i++) rows.push(inlineParams(form.row, statements[i]![1]));
    parts.push(form.head + rows.join(',') + form.tail);
  }
  parts.push('COMMIT;');
  return parts.join(';\n');
}

/** Rows per statement at most: a batch can hold thousands, and one statement's text need not hold them all. */
const maxRows = 500;

interface RowsForm {
  head: string;
  row: string;
  tail: string;
}

const forms = new Map<string, RowsForm | null>();

/** `INSERT INTO t (a, b) VALUES (?, ?) rest` → head, the row's placeholders, rest; null for any other statement. */
function rowsForm(sql: string): RowsForm | null {
  let form = forms.get(sql);
  if (form === undefined) {
    const m = /^(INSERT INTO [^()]+\([^()]*\) VALUES )(\(\?(?:, \?)*\))(.*)$/s.exec(sql);
    form = m ? { head: m[1]!, row: m[2]!, tail: m[3]! } : null;
    if (forms.size < 256) forms.set(sql, form); // our statements are a few dozen constants
  }
  return form;
}
