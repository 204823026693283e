import { Search, type BrokerSpec, type Step } from '../fanin.js';
import { median } from './stats.js';
import { sleep } from './procs.js';

/**
 * The brokers at one fixed rate, `rounds` times each, the order rotated every round (ABC, BCA, CAB...) so that load
 * from other work falls on all alike. Each sample is one fan-in step on a freshly started, warmed-up broker
 * (bench/fanin.ts's Search limited to one step). Returns each broker's steps, passed or not.
 */
export async function sameRateSteps(specs: BrokerSpec[], qos: 0 | 1, rate: number, stepMs: number, workers: number, rounds: number, log: (s: string) => void): Promise<Map<string, Step[]>> {
  const out = new Map<string, Step[]>(specs.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < specs.length; k++) {
      const spec = specs[(round + k) % specs.length]!;
      const search = new Search(spec, qos, stepMs, workers, log, { startRate: rate, maxSteps: 1 });
      await search.step();
      if (!search.done) await search.finish();
      if (search.error) throw search.error;
      out.get(spec.name)!.push(...search.steps);
      await sleep(200);
    }
  }
  return out;
}

/** Broker CPU per message (µs) of a step, all threads and main thread. */
export function cpuPerMessage(s: Step): { cpu: number; main: number } {
  return { cpu: (s.brokerCpuPct * 10_000) / s.rate, main: (s.brokerMainCpuPct * 10_000) / s.rate };
}

/** Median over rounds of a's CPU per message ÷ b's, counting only rounds where both passed. */
export function pairedRatio(a: Step[], b: Step[]): { cpu: number; main: number; pairs: number } {
  const pairs = a.map((s, i) => [s, b[i]] as const).filter(([x, y]) => x.pass && y?.pass);
  return {
    cpu: median(pairs.map(([x, y]) => cpuPerMessage(x).cpu / cpuPerMessage(y!).cpu)),
    main: median(pairs.map(([x, y]) => cpuPerMessage(x).main / cpuPerMessage(y!).main)),
    pairs: pairs.length,
  };
}
