import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir, waitFor } from '../helpers/hub.js';
import { distRoot } from '../helpers/process.js';
import { hubNodeFlags } from '../../server/node-flags.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// `npm start` on a built tree: no build, no npm warning, the hub from dist/ (scripts/start.mjs, scripts/build-state.mjs).

const repoRoot = path.resolve(distRoot, '..');
type BuildState = { staleReason(): string | undefined };

test('the staleness check: no stamp, a source newer than the stamp, and a current build', async (t) => {
  // The module finds the repository from its own place: a copy in a folder of its own judges that folder.
  const root = tempDir('rumah-build-state-');
  removeWhenDone(root);
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(path.join(repoRoot, 'scripts/build-state.mjs'), path.join(root, 'scripts/build-state.mjs'));
  fs.mkdirSync(path.join(root, 'server/core'), { recursive: true });
  const source = path.join(root, 'server/core/thing.ts');
  fs.writeFileSync(source, 'export {};\n');
  fs.writeFileSync(path.join(root, 'server/core/notes.md'), 'not built\n');
  const state = (await import(pathToFileURL(path.join(root, 'scripts/build-state.mjs')).href)) as BuildState;

  assert.match(state.staleReason()!, /no build yet/);
  const stamp = path.join(root, 'dist/.build-stamp');
  fs.mkdirSync(path.dirname(stamp));
  fs.writeFileSync(stamp, '');
  const built = new Date(Date.now() - 60_000);
  fs.utimesSync(stamp, built, built);
  const before = new Date(built.getTime() - 1000);
  fs.utimesSync(source, before, before);
  fs.utimesSync(path.join(root, 'scripts/build-state.mjs'), before, before);
  fs.utimesSync(path.join(root, 'server/core/notes.md'), new Date(), new Date());
  assert.equal(state.staleReason(), undefined, 'a newer file the build does not read changes nothing');
  fs.utimesSync(source, new Date(), new Date());
  assert.equal(state.staleReason(), 'server/core/thing.ts changed since the last build');
});

test('npm start on a built tree prints no npm warning and runs the hub from dist/', async (t) => {
  const { staleReason } = (await import(pathToFileURL(path.join(repoRoot, 'scripts/build-state.mjs')).href)) as BuildState;
  const stale = staleReason();
  if (stale) {
    // Building here would rewrite dist/ under the other tests' feet.
    t.skip(`the tree is not built (${stale}): run npm run build first`);
    return;
  }
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const npm = spawn('npm', ['start', '--', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1', '--log-level', 'warn'], {
    cwd: repoRoot,
    env: { ...process.env, RUMAH_ADMIN_PASSWORD: 'test-admin-password' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d));
  npm.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  let hubPid: number | undefined;
  t.after(() => {
    if (hubPid) {
      try {
        process.kill(hubPid, 'SIGKILL');
      } catch {
        /* already stopped */
      }
    }
    npm.kill('SIGKILL');
  });
  const runtime = await waitFor(() => {
    if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}: ${output}`);
    try {
      return JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as { httpPort: number; pid: number };
    } catch {
      return undefined;
    }
  }, 60_000, 'the hub started by npm start');
  hubPid = runtime.pid;
  assert.equal((await fetch(`http://127.0.0.1:${runtime.httpPort}/healthz`)).status, 200);
  assert.doesNotMatch(output, /npm warn/i, 'npm printed a warning');
  assert.doesNotMatch(output, /building first/, 'a built tree is not built again');
  // The hub is scripts/start.mjs's own process (no npm or node in between that would swallow signals or exit codes).
  const cmdline = fs.readFileSync(`/proc/${runtime.pid}/cmdline`, 'utf8').split('\0');
  // ...started with the hub's Node flags (server/node-flags.ts), as the systemd unit and the benchmarks start it.
  assert.deepEqual(cmdline.slice(1, 1 + hubNodeFlags.length), [...hubNodeFlags], cmdline.join(' '));
  assert.ok(cmdline[1 + hubNodeFlags.length]?.endsWith('scripts/start.mjs'), cmdline.join(' '));
  process.kill(runtime.pid, 'SIGTERM');
  assert.equal(await exited, 0, output);
});
