import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, waitFor } from '../helpers/hub.js';
import { cliJs, distRoot } from '../helpers/process.js';
import { unitSettings, unitWords, verifyUnit } from '../helpers/systemd.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// `rumah service install | status`. The tests never install for real (no user is created, nothing is written to
// /etc, no systemd is needed): --output writes the unit where the test says, and the unit's own ExecStart, with its
// Environment and WorkingDirectory, is started as systemd would start it.

const UNIT_FILE = '/etc/systemd/system/rumah.service';
const repoRoot = path.resolve(distRoot, '..');

function cli(args: string[], opts: { uid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A data folder whose hub listens on 127.0.0.1, on ports the OS picks. */
function dataFolder(yaml = 'bind: 127.0.0.1\nmqtt:\n  port: 0\nhttp:\n  port: 0\nlog:\n  level: warn\n'): string {
  const dir = tempDir('rumah-service-');
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), yaml);
  return dir;
}

test('install --output writes a unit that systemd accepts, and its ExecStart starts a hub that answers /healthz', async (t) => {
  const dataDir = dataFolder();
  const out = tempDir('rumah-unit-');
  t.after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  });
  const unitBefore = fs.existsSync(UNIT_FILE);
  const file = path.join(out, 'rumah.service');
  const installed = await cli(['service', 'install', '--data', dataDir, '--output', file]);
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout, new RegExp(`wrote the unit to ${file}; nothing else was changed`));
  assert.match(installed.stdout, /sudo systemctl enable --now rumah\.service/);
  assert.match(installed.stdout, /then the dashboard is at http:\/\/127\.0\.0\.1:0\//);
  assert.equal(fs.existsSync(UNIT_FILE), unitBefore, '--output leaves /etc alone');

  const unit = fs.readFileSync(file, 'utf8');
  const verdict = verifyUnit(file);
  if (verdict.unavailable) t.diagnostic(verdict.unavailable);
  else assert.deepEqual(verdict.problems, []);

  // The unit's command line, environment and folder, exactly: PATH is all systemd adds that Node could need.
  const s = unitSettings(unit);
  const [command, ...args] = unitWords(s.get('ExecStart')![0]!);
  const env = Object.fromEntries(s.get('Environment')!.map((e) => unitWords(e)[0]!.split(/=(.*)/s).slice(0, 2) as [string, string]));
  assert.equal(env.RUMAH_DATA, dataDir);
  assert.equal(s.get('WorkingDirectory')![0], repoRoot);
  assert.equal(s.get('ReadWritePaths')![0], dataDir);
  const hub = spawn(command!, args, { cwd: s.get('WorkingDirectory')![0], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  hub.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => hub.once('exit', (code) => resolve(code)));
  t.after(() => hub.kill('SIGKILL'));
  const runtime = await waitFor(() => {
    if (hub.exitCode !== null) throw new Error(`the unit's ExecStart exited with ${hub.exitCode}: ${stderr}`);
    try {
      return JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as { httpPort: number; pid: number };
    } catch {
      return undefined;
    }
  }, 20_000, 'the hub started by the unit\'s ExecStart');
  assert.equal(runtime.pid, hub.pid);
  const health = await fetch(`http://127.0.0.1:${runtime.httpPort}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');

  const status = await cli(['service', 'status', '--data', dataDir, '--json']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(JSON.parse(status.stdout).hub, new RegExp(`^ok \\(pid ${hub.pid}, /healthz 200\\)`));

  // Stopped the way systemd stops it (SIGTERM, by PID): exit 0, which Restart=on-failure leaves stopped.
  hub.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const after = await cli(['service', 'status', '--data', dataDir]);
  assert.equal(after.code, 3);
  assert.match(after.stdout, /hub: +not running/);
});

test('a port below 1024 in rumah.yaml gives the unit CAP_NET_BIND_SERVICE; a bad --user, or root, is refused', async (t) => {
  const dataDir = dataFolder('http:\n  port: 80\n');
  removeWhenDone(dataDir);
  const file = path.join(dataDir, 'rumah.service');
  const r = await cli(['service', 'install', '--data', dataDir, '--output', file]);
  assert.equal(r.code, 0, r.stderr);
  const s = unitSettings(fs.readFileSync(file, 'utf8'));
  assert.deepEqual([s.get('CapabilityBoundingSet'), s.get('AmbientCapabilities')], [['CAP_NET_BIND_SERVICE'], ['CAP_NET_BIND_SERVICE']]);
  assert.match(r.stdout, /dashboard is at http:\/\/[^/]+:80\//);

  const bad = await cli(['service', 'install', '--data', dataDir, '--user', 'Root; rm', '--output', file]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--user "Root; rm" is not a system user name/);
  const root = await cli(['service', 'install', '--data', dataDir, '--user', 'root', '--output', file]);
  assert.equal(root.code, 1);
  assert.match(root.stderr, /must not run as root/);
});

/** Whether a user other than the owner can reach and read a file: every folder on the way o+x, the file o+r. */
function readableByOthers(file: string): boolean {
  if ((fs.statSync(file).mode & 0o004) === 0) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) if ((fs.statSync(dir).mode & 0o001) === 0) return false;
  return true;
}

test('without root, install changes nothing and prints the unit and the commands to run with sudo', async (t) => {
  const asRoot = process.getuid?.() === 0;
  if (asRoot && !readableByOthers(cliJs)) {
    // CI runs from a private temp folder (mode 0700): an unprivileged user cannot even load the CLI there.
    t.skip(`${cliJs} is not readable by other users, so the CLI cannot run unprivileged here`);
    return;
  }
  const dataDir = dataFolder();
  fs.chmodSync(dataDir, 0o755); // readable by the unprivileged user below
  removeWhenDone(dataDir);
  // As root, the CLI runs as nobody (65534); as anyone else, as itself.
  const r = await cli(['service', 'install', '--data', dataDir], asRoot ? { uid: 65534 } : {});
  assert.equal(r.code, 1, `not installed: exit 1 (${r.stderr})`);
  assert.match(r.stdout, /^not running as root: nothing was changed\. Run the same command as root:/);
  assert.ok(r.stdout.includes(`sudo ${process.execPath} ${cliJs} service install --data ${dataDir}`), r.stdout);
  assert.match(r.stdout, /sudo useradd --system --user-group .* rumah/);
  assert.match(r.stdout, /sudo install -m 0644 rumah\.service \/etc\/systemd\/system\/rumah\.service/);
  assert.match(r.stdout, /\n# \/etc\/systemd\/system\/rumah\.service\n# Written by `rumah service install`[\s\S]*\nExecStart=.*dist\/server\/bundle\/main\.js\n/);
  assert.deepEqual(fs.readdirSync(dataDir), ['rumah.yaml'], 'nothing written into the data folder');
  const un = await cli(['service', 'uninstall'], asRoot ? { uid: 65534 } : {});
  assert.equal(un.code, 1);
  assert.match(un.stdout, /not running as root: nothing was changed[\s\S]*sudo systemctl disable --now rumah\.service/);
});
