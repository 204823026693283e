// The engine in a sandbox (rules/engine/sandbox.ts): real registry, conventions, command path and rules engine,
// a broker stand-in that records publishes, and a ManualClock.

import { Sandbox, type SandboxOptions } from '../../../rules/engine/sandbox.js';
import type { Trace } from '../../../rules/engine/trace.js';

export async function sandbox(t: { after(fn: () => unknown): void }, rules: Record<string, string>, opts: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await Sandbox.create(opts);
  t.after(() => sb.stop());
  for (const [file, text] of Object.entries(rules)) await sb.load(file, text);
  sb.started();
  await sb.settle();
  return sb;
}

export const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

/** Newest first. */
export function tracesOf(sb: Sandbox, id: string): Trace[] {
  return sb.engine.recorder.list(id);
}

/** What rules published, as `topic payload`. */
export function sent(sb: Sandbox, prefix = ''): string[] {
  return sb.published.filter((p) => p.topic.startsWith(prefix)).map((p) => `${p.topic} ${p.payload}`);
}

/** A device reports and the engine settles. */
export async function report(sb: Sandbox, topic: string, payload: string): Promise<void> {
  sb.message(topic, payload);
  await sb.settle();
}
