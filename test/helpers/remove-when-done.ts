import fs from 'node:fs';

const toRemove = new Set<string>();

/**
 * Removes `dir` when this test file's process exits. Not a `t.after` hook: those run in the order they were registered,
 * so one registered before the hub, child process or browser using the folder ran while that still wrote there
 * (Chromium adding to its profile made the removal fail with ENOTEMPTY, and the browser's own hook never ran: the file
 * then hung until its timeout).
 */
export function removeWhenDone(dir: string): void {
  if (toRemove.size === 0) {
    process.once('exit', () => {
      for (const d of toRemove) {
        try {
          fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
        } catch (err) {
          // A folder left in the temp dir is not a failed test: said, not thrown (a throw here would fail the file).
          process.stderr.write(`could not remove ${d}: ${(err as Error).message}\n`);
        }
      }
    });
  }
  toRemove.add(dir);
}
