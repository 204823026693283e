import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { adminPassword, type TestHub } from './hub.js';
import { distRoot } from './process.js';

/**
 * Runs the paho-mqtt scripts of test/paho (Debian's python3-paho-mqtt, a second MQTT implementation) against a test
 * hub. tsc compiles only the TypeScript: the scripts stay in test/paho of the repository, found from dist/ here.
 */
export const pahoDir = path.join(path.resolve(distRoot, '..'), 'test/paho');
/** Debian's interpreter, which has python3-paho-mqtt; a `python3` first on PATH (pyenv, a venv) may not. */
export const python = '/usr/bin/python3';

export interface PahoResult {
  ok: boolean;
  scenario: string;
  error?: string;
  [fact: string]: unknown;
}

export interface PahoRun {
  /** The script's JSON line. */
  result: PahoResult;
  code: number | null;
  stderr: string;
}

let checked: Promise<void> | undefined;

/** Fails with what to install when /usr/bin/python3 has no paho (CI installs it: .ci/run). */
export function requirePaho(): Promise<void> {
  checked ??= new Promise((resolve, reject) => {
    if (!fs.existsSync(path.join(pahoDir, 'common.py'))) return reject(new Error(`the paho scripts are not at ${pahoDir}`));
    execFile(python, ['-c', 'import paho.mqtt.client'], { timeout: 10_000 }, (err) =>
      err ? reject(new Error(`these tests need Debian's python3-paho-mqtt (${python} -c 'import paho.mqtt' failed: ${err.message.trim()}); .ci/run installs it`)) : resolve(),
    );
  });
  return checked;
}

export interface PahoOptions {
  /** Login; the hub's admin unless given. */
  username?: string;
  password?: string;
  /** A device account, for the scenarios that need a second, restricted login. */
  device?: { username: string; password: string };
  /** Topic prefix; unique per run unless given. */
  prefix?: string;
  extra?: Record<string, string | number>;
  /** Milliseconds before the script is killed (it has its own watchdog at 90 s). */
  timeoutMs?: number;
}

let runs = 0;

/** Runs `test/paho/<script>.py --scenario <scenario>` against `hub` and returns its JSON line, whatever it says. */
export async function runPaho(hub: TestHub, script: string, scenario: string, opts: PahoOptions = {}): Promise<PahoRun> {
  await requirePaho();
  const port = new URL(hub.mqttUrl).port;
  const prefix = opts.prefix ?? `paho${process.pid}x${++runs}${Math.random().toString(36).slice(2, 6)}`;
  // `--name=value`, never `--name value`: a generated password may start with '-', which argparse takes for an option
  // ("--device-password: expected one argument", one run in a few dozen).
  const args = ['-B', path.join(pahoDir, `${script}.py`), `--scenario=${scenario}`, '--host=127.0.0.1', `--port=${port}`, `--username=${opts.username ?? 'admin'}`, `--password=${opts.password ?? adminPassword}`, `--prefix=${prefix}`];
  if (opts.device) args.push(`--device-username=${opts.device.username}`, `--device-password=${opts.device.password}`);
  for (const [k, v] of Object.entries(opts.extra ?? {})) args.push(`--extra=${k}=${v}`);
  return new Promise((resolve) => {
    execFile(python, args, { timeout: opts.timeoutMs ?? 100_000, killSignal: 'SIGKILL', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) ?? null : 0;
      const line = stdout.trim().split('\n').filter(Boolean).pop();
      let result: PahoResult;
      try {
        result = JSON.parse(line ?? '') as PahoResult;
      } catch {
        result = { ok: false, scenario, error: `no JSON result (exit ${code}${err?.killed ? ', killed after the timeout' : ''}): stdout ${JSON.stringify(stdout.slice(-500))}` };
      }
      resolve({ result, code: typeof code === 'number' ? code : null, stderr });
    });
  });
}

/** Runs a scenario and fails the test with the script's own message unless it passed; returns its facts. */
export async function pahoPasses(hub: TestHub, script: string, scenario: string, opts: PahoOptions = {}): Promise<PahoResult> {
  const run = await runPaho(hub, script, scenario, opts);
  if (!run.result.ok || run.code !== 0) {
    throw new Error(`paho ${script} ${scenario}: ${run.result.error ?? 'failed'} (exit ${run.code})${run.stderr ? `\n${run.stderr.slice(-2000)}` : ''}`);
  }
  return run.result;
}
