import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './hub.js';
import { findProgram, freePort } from './programs.js';

export interface Mosquitto {
  port: number;
  child: ChildProcess;
  /** What it wrote to stderr (its log, at the levels asked). */
  output(): string;
  stop(): Promise<void>;
}

/** Debian's mosquitto; undefined when it is not installed. */
export function mosquittoBin(): string | undefined {
  return findProgram('mosquitto');
}

/**
 * A real mosquitto on a loopback port with `lines` added to its config (bridges, for instance); stopped by its
 * PID. mosquitto cannot be told to pick a port, so one that was free a moment ago is taken.
 */
export async function startMosquitto(lines: string[]): Promise<Mosquitto> {
  const bin = mosquittoBin();
  if (!bin) throw new Error('mosquitto is not installed (Debian: apt-get install mosquitto)');
  const dir = tempDir('mosquitto-');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type all', ...lines, ''].join('\n'));
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d) => (output = (output + d).slice(-200_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${output}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) {
      process.kill(child.pid!, 'SIGKILL');
      throw new Error(`mosquitto did not listen within 10 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
