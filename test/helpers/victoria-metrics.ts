import { spawn, type ChildProcess } from 'node:child_process';
import { findProgram, freePort } from './programs.js';

export interface VictoriaMetrics {
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  /** Stops it by its PID (SIGTERM), keeping its storage dir: start it again on the same port and dir. */
  stop(): Promise<void>;
}

/** Debian's VictoriaMetrics; undefined when it is not installed. */
export function victoriaMetricsBin(): string | undefined {
  return findProgram('victoria-metrics');
}

export { freePort };

/** VictoriaMetrics on 127.0.0.1:`port`, storage in `storageDir`; resolves once /health answers. */
export async function startVictoriaMetrics(port: number, storageDir: string): Promise<VictoriaMetrics> {
  const bin = victoriaMetricsBin();
  if (!bin) throw new Error('victoria-metrics is not installed (Debian: apt-get install victoria-metrics)');
  const child = spawn(bin, [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${storageDir}`, '-loggerLevel=ERROR', '-search.latencyOffset=0s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d) => (output = (output + d).slice(-100_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`victoria-metrics exited (${child.exitCode}): ${output}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      process.kill(child.pid!, 'SIGKILL');
      throw new Error(`victoria-metrics did not answer within 20 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Every series matching `selector`, read through /api/v1/export after a flush of what was just ingested. */
export async function exportSeries(vm: { url: string }, selector: string): Promise<ExportedSeries[]> {
  await fetch(`${vm.url}/internal/force_flush`).then((r) => r.text());
  const res = await fetch(`${vm.url}/api/v1/export?match[]=${encodeURIComponent(selector)}`);
  if (!res.ok) throw new Error(`export: ${res.status} ${await res.text()}`);
  return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as ExportedSeries);
}
