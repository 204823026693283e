// `rules check [file...]`: validate rule files without a running hub. Without files, every file of the rules
// folder, including ids used twice. Each problem is printed as file:line:column: path: message.

import fs from 'node:fs';
import path from 'node:path';
import { validateRuleText, type RuleError } from '../schema/index.js';
import { listRuleFiles, positionOf } from '../engine/rule-files.js';

export interface CheckedFile {
  file: string;
  id?: string;
  errors: RuleError[];
}

export function checkRuleFiles(files: string[], rulesDir: string): CheckedFile[] {
  const targets = files.length ? files : fs.existsSync(rulesDir) ? listRuleFiles(rulesDir).map((f) => path.join(rulesDir, f)) : [];
  const checked: CheckedFile[] = targets.map((target) => {
    const name = path.relative(process.cwd(), target) || target;
    let text: string;
    try {
      text = fs.readFileSync(target, 'utf8');
    } catch (err) {
      return { file: name, errors: [{ file: name, line: 1, column: 1, path: '', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
    }
    const result = validateRuleText(text, name);
    return { file: name, ...(result.rule ? { id: result.rule.id } : {}), errors: result.errors.map((e) => ({ ...e, file: name })) };
  });
  // Two files with one id: the second is the one the hub refuses (files load in name order).
  const seen = new Map<string, string>();
  for (const c of checked) {
    if (!c.id) continue;
    const first = seen.get(c.id);
    if (first === undefined) {
      seen.set(c.id, c.file);
      continue;
    }
    const text = fs.readFileSync(path.resolve(c.file), 'utf8');
    const at = /^id\s*:/m.test(text) ? positionOf(text, ['id']) : { line: 1, column: 1 };
    c.errors.push({ file: c.file, ...at, path: 'id', message: `the rule id "${c.id}" is already used by ${path.basename(first)}` });
  }
  return checked;
}

export function formatCheck(checked: CheckedFile[]): { text: string; ok: boolean } {
  const lines: string[] = [];
  let errors = 0;
  for (const c of checked) {
    for (const e of c.errors) lines.push(`${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
    errors += c.errors.length;
  }
  const bad = checked.filter((c) => c.errors.length).length;
  if (checked.length === 0) lines.push('no rule files to check');
  else lines.push(`${checked.length} file${checked.length === 1 ? '' : 's'} checked: ${checked.length - bad} valid${bad ? `, ${bad} with ${errors} error${errors === 1 ? '' : 's'}` : ''}`);
  return { text: lines.join('\n'), ok: errors === 0 };
}
