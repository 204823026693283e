import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, waitFor } from '../helpers/hub.js';
import { cliJs } from '../helpers/process.js';
import { unitSettings, unitWords } from '../helpers/systemd.js';

// `rumah service install` as root, for real but on a copy of /etc: each command runs in a mount namespace of its own
// (unshare -m) where the copy is bound over /etc, so useradd, the unit file and uninstall change the copy, never the
// machine. Runs only as root where mount namespaces are allowed; systemd is not needed (the CLI says it did not start
// the unit when systemd is not the running init).

const USER = 'rumah-svc-test';

function canUnshare(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (useradd, chown)';
  const r = spawnSync('unshare', ['-m', 'true']);
  return r.status === 0 ? undefined : `no mount namespace here (unshare -m: ${r.stderr?.toString().trim() || r.error?.message})`;
}

/** argv run in a new mount namespace with `etc` bound over /etc; `exec` keeps one PID from unshare to the last program. */
function inCopy(etc: string, argv: string[], opts: { cwd?: string } = {}) {
  // `&&`: if the bind fails, nothing runs against the real /etc.
  return spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc && exec "$@"', etc, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function finish(child: ReturnType<typeof inCopy>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}

test('as root: install creates the system user, gives it the data folder and writes the unit; the hub runs as that user; uninstall removes the unit', { skip: canUnshare() }, async (t) => {
  const etc = tempDir('rumah-etc-');
  const dataDir = tempDir('rumah-service-');
  t.after(() => {
    fs.rmSync(etc, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  assert.equal(spawnSync('cp', ['-a', '/etc/.', etc]).status, 0, 'copy of /etc');
  assert.equal(spawnSync('getent', ['passwd', USER]).status, 2, `no user ${USER} on this machine before the test`);
  // Data an earlier `npm start` by root left behind: the service user must own it afterwards.
  fs.writeFileSync(path.join(dataDir, 'rumah.yaml'), 'bind: 127.0.0.1\nmqtt:\n  port: 0\nhttp:\n  port: 0\nlog:\n  level: warn\n');

  const installed = await finish(inCopy(etc, [process.execPath, cliJs, 'service', 'install', '--data', dataDir, '--user', USER]));
  assert.equal(installed.code, 0, installed.stdout + installed.stderr);
  assert.match(installed.stdout, new RegExp(`- created the system user ${USER}`));
  assert.match(installed.stdout, /- wrote \/etc\/systemd\/system\/rumah\.service/);
  assert.match(installed.stdout, /dashboard: http:\/\/127\.0\.0\.1:0\//);
  assert.equal(spawnSync('getent', ['passwd', USER]).status, 2, 'the machine\'s /etc is untouched');
  assert.equal(fs.existsSync('/etc/systemd/system/rumah.service') && fs.readFileSync('/etc/systemd/system/rumah.service', 'utf8').includes(USER), false);

  const entry = fs.readFileSync(path.join(etc, 'passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${USER}:`));
  assert.ok(entry, `${USER} in the copy's passwd`);
  const [, , uid, , , home, shell] = entry.split(':');
  assert.ok(Number(uid) < 1000, `a system user (uid ${uid})`);
  assert.deepEqual([home, shell], [dataDir, fs.existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false']);
  const st = fs.statSync(dataDir);
  assert.deepEqual([st.uid, st.mode & 0o777, fs.statSync(path.join(dataDir, 'rumah.yaml')).uid], [Number(uid), 0o750, Number(uid)]);
  const unitFile = path.join(etc, 'systemd/system/rumah.service');
  const s = unitSettings(fs.readFileSync(unitFile, 'utf8'));
  assert.equal(s.get('User')![0], USER);

  // The hub, as systemd would run it: that user, the unit's command line, environment and folder.
  if (/closed to other users/.test(installed.stdout)) {
    // CI runs from a private temp folder (mode 0700): install said so, which is what it is for.
    t.diagnostic('the installation is not readable by other users here: the hub was not started as the service user');
  } else {
    const [command, ...args] = unitWords(s.get('ExecStart')![0]!);
    const env = s.get('Environment')!.map((e) => unitWords(e)[0]!);
    const hub = inCopy(etc, ['setpriv', `--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', 'env', '-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, ...env, command!, ...args], { cwd: s.get('WorkingDirectory')![0] });
    const done = finish(hub);
    t.after(() => hub.kill('SIGKILL'));
    const runtime = await waitFor(() => {
      if (hub.exitCode !== null) throw new Error(`the hub exited with ${hub.exitCode}`);
      try {
        return JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as { httpPort: number; pid: number };
      } catch {
        return undefined;
      }
    }, 20_000, 'the hub running as the service user');
    assert.equal(runtime.pid, hub.pid, 'one process from unshare to node');
    assert.equal(fs.statSync(path.join(dataDir, 'rumah.db')).uid, Number(uid), 'the hub writes as the service user');
    assert.equal((await fetch(`http://127.0.0.1:${runtime.httpPort}/healthz`)).status, 200);
    const status = await finish(inCopy(etc, [process.execPath, cliJs, 'service', 'status', '--data', dataDir]));
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, new RegExp(`unit: +/etc/systemd/system/rumah\\.service \\(data ${dataDir}\\)`));
    assert.match(status.stdout, /hub: +ok \(pid \d+, \/healthz 200\)/);
    hub.kill('SIGTERM');
    const exit = await done;
    assert.equal(exit.code, 0, exit.stderr);
  }

  // Installing again keeps the user and rewrites the unit.
  const again = await finish(inCopy(etc, [process.execPath, cliJs, 'service', 'install', '--data', dataDir, '--user', USER]));
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.doesNotMatch(again.stdout, /created the system user/);
  const removed = await finish(inCopy(etc, [process.execPath, cliJs, 'service', 'uninstall']));
  assert.equal(removed.code, 0, removed.stdout + removed.stderr);
  assert.match(removed.stdout, /removed rumah\.service\. The data folder and the system user are kept/);
  assert.equal(fs.existsSync(unitFile), false);
  assert.ok(fs.existsSync(path.join(dataDir, 'rumah.yaml')), 'data kept');
});
