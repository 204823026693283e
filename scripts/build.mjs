#!/usr/bin/env node
// Builds everything `npm start` and `npm test` run: the TypeScript of the server, devices, rules, tests and
// benchmarks into dist/, the hub's bundle (scripts/build-server.mjs), the dashboard's type check and bundle (scripts/build-web.mjs), then dist/.build-stamp.
// Run by `npm install` (prepare), by `npm run build`, and by scripts/start.mjs and `npm test` when a source is newer
// than the stamp. Compilers run as child processes of this one Node, not through npm: every nested npm would read the
// project's configuration and print its warnings again.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root, stampFile } from './build-state.mjs';

const started = new Date();
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write('build: typescript is not installed: it is a devDependency the build needs (npm install, without --omit=dev)\n');
  process.exit(1);
}

function run(what, args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`build: ${what} failed${result.status === null ? ` (${result.signal})` : ''}\n`);
    process.exit(result.status || 1);
  }
}

// A build that fails half way must not look current: the stamp goes first and comes back only at the end.
fs.rmSync(stampFile, { force: true });
run('tsc -p tsconfig.json', [tsc, '-p', 'tsconfig.json']);
run('the hub bundle', [path.join(root, 'scripts/build-server.mjs')]);
run('tsc -p web/tsconfig.json', [tsc, '-p', 'web/tsconfig.json']);
run('tsc -p web/sw/tsconfig.json', [tsc, '-p', 'web/sw/tsconfig.json']);
run('the dashboard bundle', [path.join(root, 'scripts/build-web.mjs')]);
fs.mkdirSync(path.dirname(stampFile), { recursive: true });
fs.writeFileSync(stampFile, `built ${started.toISOString()}\n`);
// The stamp carries the time the build began: a source saved while it ran is newer, so the next start builds again.
fs.utimesSync(stampFile, started, started);
process.stderr.write(`build: done in ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s\n`);
