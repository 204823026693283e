// A full disk (issue 15, item 14) is said to be a full disk and never hangs the process: at start (exit 1, which a supervisor retries, not the
// "damaged database, move it aside" of exit 3) and when a rule is saved (507, nothing half-written left behind).
// The disk is a small tmpfs this test mounts; without the right to mount (not root) it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import mqtt from 'mqtt';
import { adminPassword, tempDir } from '../helpers/hub.js';
import { client } from '../helpers/http.js';
import { mainJs, runMain, spawnHub } from '../helpers/process.js';
import { canMountTmpfs, mountTmpfs } from '../helpers/tmpfs.js';


const canMount = canMountTmpfs();

/** Fills the disk holding `dir` with one file; returns its path. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

test('a full disk at start: RUMAH_ERR_DISK_FULL and exit 1; once space is freed the same start works', { skip: canMount ? false : 'needs the right to mount a small tmpfs (root)' }, async (t) => {
  const disk = tempDir('rumah-disk-');
  assert.ok(mountTmpfs(disk, '4m'));
  t.after(() => {
    execFileSync('umount', ['-l', disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  });
  const dataDir = path.join(disk, 'data');
  const first = await spawnHub(dataDir);
  first.child.kill('SIGTERM');
  assert.equal((await first.exited).code, 0);

  const filler = fill(disk);
  const full = await runMain(['--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1']);
  assert.equal(full.code, 1, full.stderr);
  assert.match(full.stderr, /RUMAH_ERR_DISK_FULL: The disk holding .* is full \(\d+ KiB free\): free some space/);
  assert.doesNotMatch(full.stderr, /aside|restore a backup/);

  fs.rmSync(filler);
  const again = await spawnHub(dataDir);
  again.child.kill('SIGTERM');
  assert.equal((await again.exited).code, 0);
});

test('a rule saved on a full disk: 507 saying so, no temporary file left, the rule as it was kept; saved once there is room', { skip: canMount ? false : 'needs the right to mount a small tmpfs (root)' }, async (t) => {
  const disk = tempDir('rumah-disk-');
  assert.ok(mountTmpfs(disk, '4m'));
  const dataDir = path.join(disk, 'data');
  const hub = await spawnHub(dataDir);
  t.after(async () => {
    hub.child.kill('SIGKILL');
    await hub.exited;
    execFileSync('umount', ['-l', disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  });
  const login = await fetch(`http://127.0.0.1:${hub.runtime.httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'test-admin-password' }) });
  const api = client(`http://127.0.0.1:${hub.runtime.httpPort}`, { cookie: login.headers.get('set-cookie')!.split(';')[0]! });
  const text = `id: big\ntriggers:\n  - trigger: mqtt\n    topic: a/b\nactions:\n  - action: log\n    message: "${'x'.repeat(200_000)}"\n`;
  const filler = fill(disk);
  const res = await api.post('/api/rules', { text });
  assert.equal(res.status, 507, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'RUMAH_ERR_DISK_FULL');
  assert.deepEqual(fs.readdirSync(path.join(dataDir, 'rules')), []);
  fs.rmSync(filler);
  assert.equal((await api.post('/api/rules', { text })).status, 201);
});

// /dev/full fails every write with ENOSPC, like stdout redirected to a full disk: no mount needed.
test('logs on a full disk: the hub runs, serves, and stops on SIGTERM; a failed start still exits with its code', async (t) => {
  const dataDir = tempDir();
  const full = fs.openSync('/dev/full', 'w');
  t.after(() => {
    fs.closeSync(full);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const hub = await spawnHub(dataDir, ['--log-level', 'debug'], {}, full);
  const killer = setTimeout(() => hub.child.kill('SIGKILL'), 30_000);
  t.after(() => clearTimeout(killer));
  const health = await fetch(`http://127.0.0.1:${hub.runtime.httpPort}/healthz`);
  assert.equal(health.status, 200);
  hub.child.kill('SIGTERM');
  // Before the fix pino's exit handler retried the failed write forever in a synchronous sleep: SIGKILL ended it.
  assert.deepEqual(await hub.exited, { code: 0, signal: null }, hub.stderr());

  // 198.51.100.0/24 is for documentation (RFC 5737): no machine has it, so the first listener (MQTT's) fails.
  const failed = spawn(process.execPath, [mainJs, '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '198.51.100.77', '--log-level', 'debug'], { stdio: ['ignore', full, 'pipe'] });
  let stderr = '';
  failed.stderr!.on('data', (d) => (stderr += d));
  const failedKiller = setTimeout(() => failed.kill('SIGKILL'), 30_000);
  const [code, signal] = (await once(failed, 'exit')) as [number | null, string | null];
  clearTimeout(failedKiller);
  assert.deepEqual({ code, signal }, { code: 1, signal: null }, stderr);
  assert.match(stderr, /cannot listen for MQTT on 198\.51\.100\.77/);
});

test('/healthz recovers by itself once the disk has room again, with nothing else written', { skip: canMount ? false : 'needs the right to mount a small tmpfs (root)' }, async (t) => {
  const disk = tempDir('rumah-disk-');
  assert.ok(mountTmpfs(disk, '8m'));
  const dataDir = path.join(disk, 'data');
  const hub = await spawnHub(dataDir);
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.runtime.mqttPort}`, { username: 'admin', password: adminPassword, reconnectPeriod: 0, connectTimeout: 10_000 });
  t.after(async () => {
    await device.endAsync(true).catch(() => undefined);
    hub.child.kill('SIGKILL');
    await hub.exited;
    execFileSync('umount', ['-l', disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  });
  const healthz = async (): Promise<{ status: number; body: { checks: Record<string, { ok: boolean }> } }> => {
    const res = await fetch(`http://127.0.0.1:${hub.runtime.httpPort}/healthz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, { ok: boolean }> } };
  };
  assert.equal((await healthz()).status, 200);
  const filler = fill(disk);
  // A retained QoS 1 message must be stored before its PUBACK: on the full disk the write fails (no PUBACK).
  for (let i = 0; i < 20 && (await healthz()).status === 200; i++) {
    device.publish(`ourhome/attic/store/note${i}`, 'x'.repeat(60_000), { qos: 1, retain: true });
    await new Promise((r) => setTimeout(r, 250));
  }
  const degraded = await healthz();
  assert.equal(degraded.status, 503);
  assert.equal(degraded.body.checks.brokerStore?.ok, false, JSON.stringify(degraded.body));
  await device.endAsync(true);
  fs.rmSync(filler);
  // Nothing publishes now; the broker store's own probe must find the room (it tries every 5 s).
  let recovered = degraded;
  for (let i = 0; i < 60 && recovered.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 500));
    recovered = await healthz();
  }
  assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
});
