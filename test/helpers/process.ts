import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const mainJs = path.join(distRoot, 'server/main.js');
export const cliJs = path.join(distRoot, 'server/cli/main.js');

export interface HubProcess {
  child: ChildProcess;
  runtime: { mqttPort: number; httpPort: number };
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node dist/server/main.js` as `npm start` does, on ports 0, and waits for runtime.json of this start. */
export async function spawnHub(dataDir: string, extraArgs: string[] = [], env: Record<string, string> = {}, stdout: 'ignore' | number = 'ignore'): Promise<HubProcess> {
  const runtimeFile = path.join(dataDir, 'runtime.json');
  fs.rmSync(runtimeFile, { force: true });
  const child = spawn(process.execPath, [mainJs, '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1', '--log-level', 'warn', ...extraArgs], {
    env: { ...process.env, RUMAH_ADMIN_PASSWORD: 'test-admin-password', ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}: ${stderr}`);
    if (fs.existsSync(runtimeFile)) {
      try {
        return { child, runtime: JSON.parse(fs.readFileSync(runtimeFile, 'utf8')), stderr: () => stderr, exited };
      } catch {
        /* being written */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hub did not start within 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs the CLI to completion. */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runMain(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mainJs, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

export interface FirstRunHub {
  child: ChildProcess;
  /** The one-time setup code it printed (no admin yet). */
  setupCode: string;
  stderr(): string;
}

/**
 * `node dist/server/main.js <args>` on 127.0.0.1 with warn logs, its stderr kept; stopped by its PID after the test
 * (SIGTERM, and the exit awaited).
 */
export function spawnMain(t: { after(fn: () => unknown): void }, args: string[], env: Record<string, string> = {}): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [mainJs, ...args, '--bind', '127.0.0.1', '--log-level', 'warn'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return { child, stderr: () => stderr };
}

/**
 * `node dist/server/main.js` on a data folder with no admin (RUMAH_ADMIN_PASSWORD empty), as a first start is: resolves
 * with the setup code it prints. Stopped by its PID after the test.
 */
export async function spawnFirstRun(t: { after(fn: () => unknown): void }, dataDir: string, httpPort = 0): Promise<FirstRunHub> {
  const { child, stderr } = spawnMain(t, ['--data', dataDir, '--mqtt-port', '0', '--http-port', String(httpPort)], { RUMAH_ADMIN_PASSWORD: '' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const code = /one-time setup code (\S+)/.exec(stderr())?.[1];
    if (code) return { child, setupCode: code, stderr };
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}: ${stderr()}`);
    if (Date.now() > deadline) throw new Error(`no setup code within 15 s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
