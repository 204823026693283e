// Whether dist/ was built from the sources as they are now: a stamp written by scripts/build.mjs, compared by
// modification time with every file the build reads. A `tsc --build` that finds nothing to do still takes seconds
// (it loads the whole program); stat-ing the ~600 source files takes milliseconds, so `npm start` can afford it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const stampFile = path.join(root, 'dist/.build-stamp');

/** The folders the build reads, and the files in them that matter to it (the rest, such as docs or rule examples, is read at run time or not at all). */
const sourceDirs = ['server', 'devices', 'rules', 'web', 'test', 'bench', 'scripts'];
const sourceFile = /\.(ts|tsx|mts|mjs|css|html|svg|png)$|tsconfig\.json$/;
const rootFiles = ['tsconfig.json', 'package.json', 'package-lock.json'];

/** The first source file newer than the last build (or why there is no usable build), or undefined when dist/ is current. */
export function staleReason() {
  let built;
  try {
    built = fs.statSync(stampFile).mtimeMs;
  } catch {
    return 'no build yet (dist/.build-stamp is missing)';
  }
  for (const file of rootFiles) {
    const at = path.join(root, file);
    if (fs.existsSync(at) && fs.statSync(at).mtimeMs > built) return `${file} changed since the last build`;
  }
  const pending = sourceDirs.map((d) => path.join(root, d));
  while (pending.length) {
    const dir = pending.pop();
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // a folder that is not there has nothing to build
    }
    for (const entry of entries) {
      const at = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') pending.push(at);
      } else if (sourceFile.test(entry.name) && fs.statSync(at).mtimeMs > built) {
        return `${path.relative(root, at)} changed since the last build`;
      }
    }
  }
  return undefined;
}

/** Builds (scripts/build.mjs, in a child process) when dist/ is not current; returns the build's exit status (0: nothing to do). */
export function buildIfStale(say = (line) => process.stderr.write(`${line}\n`)) {
  const reason = staleReason();
  if (!reason) return 0;
  say(`rumah: building first: ${reason} (about 15 s)`);
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  return built.status ?? 1;
}
