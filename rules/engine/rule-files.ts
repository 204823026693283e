// The rules folder on disk: listing, reading, atomic writes and a debounced watch. Editors save in many ways
// (write in place, write a temp file and rename, truncate then write): a change is only acted on once the file
// has been quiet for a moment, and then it is read whole.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { ErrorCodes, RumahError } from '../../server/core/errors.js';

export const RULE_FILE = /^[^.].*\.ya?ml$/i;

/** Rule files in the folder; one whose kind cannot be known (a symlink loop, no permission) is listed, to be reported. */
export function listRuleFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => RULE_FILE.test(f) && isFileOrUnknown(path.join(dir, f))).sort();
}

function isFileOrUnknown(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT'; // a dangling symlink is no file; the rest are reported
  }
}

/** The file's text, or undefined when it is gone. */
export function readRuleFile(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Write to a temporary name and rename: a reader (the watcher, an editor) never sees half a file. */
export function writeRuleFile(dir: string, file: string, text: string): void {
  const tmp = path.join(dir, `.${file}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(dir, file));
  } catch (err) {
    // Nothing half-written is left behind (a full disk left a temp file per attempt), and the rule as it was stays.
    fs.rmSync(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new RumahError(ErrorCodes.DISK_FULL, `the disk is full: ${file} was not saved (the rule as it was keeps running). Free some space and save again`);
    throw err;
  }
}

export function deleteRuleFile(dir: string, file: string): void {
  fs.rmSync(path.join(dir, file), { force: true });
}

/** Calls `changed(file)` once a rule file has been quiet for `debounceMs`. Returns the function that stops watching. */
export function watchRuleFiles(dir: string, debounceMs: number, changed: (file: string) => void, onError: (err: Error) => void): () => void {
  const timers = new Map<string, NodeJS.Timeout>();
  const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
    const file = name?.toString();
    if (!file || !RULE_FILE.test(file)) return;
    clearTimeout(timers.get(file));
    timers.set(file, setTimeout(() => {
      timers.delete(file);
      changed(file);
    }, debounceMs));
  });
  watcher.on('error', onError);
  return () => {
    watcher.close();
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  };
}

/** Line and column (1-based) of the value at `path` in a YAML text; 1:1 when it is not there. */
export function positionOf(text: string, at: ReadonlyArray<string | number>): { line: number; column: number } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const node = doc.getIn(at, true) as { range?: [number, number, number] } | undefined;
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
