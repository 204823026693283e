import type { Step } from '../fanin.js';

/** The highest rate both searches passed, with each broker's CPU per message (µs, all threads and main thread) there. */
export function commonRate(a: Step[], b: Step[]): { rate: number; a: { cpu: number; main: number }; b: { cpu: number; main: number } } | undefined {
  const passed = (steps: Step[]): Map<number, Step> => new Map(steps.filter((s) => s.pass).map((s) => [s.rate, s]));
  const pa = passed(a);
  const pb = passed(b);
  const rate = Math.max(...[...pa.keys()].filter((r) => pb.has(r)), -Infinity);
  if (!Number.isFinite(rate)) return undefined;
  const perMsg = (s: Step): { cpu: number; main: number } => ({ cpu: (s.brokerCpuPct * 10_000) / s.rate, main: (s.brokerMainCpuPct * 10_000) / s.rate });
  return { rate, a: perMsg(pa.get(rate)!), b: perMsg(pb.get(rate)!) };
}
