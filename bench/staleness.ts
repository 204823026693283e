import { performance } from 'node:perf_hooks';
import type { Device } from '../server/core/model.js';
import { Staleness } from '../server/core/staleness.js';

// Staleness at 10,000 devices (server/core/staleness.ts), timed in this process, each figure beside a reference
// measured in the same run:
//   - per report: Staleness.touch against the least a per-device clock costs (a Map lookup and a field write);
//   - per sweep: one sweep over 10,000 devices that all reported since the last one (each window worked out again,
//     a sort of up to 16 intervals: the worst case) and one where none did, against a bare loop over a Map of 10,000.
// Run alone: `node dist/bench/staleness.js` (about a second).

const devices = 10_000;
const reports = 1_000_000;

function device(i: number): Device {
  return { id: `d${i}`, name: `d${i}`, convention: 'native', topic: `t/${i}`, availability: 'online', createdAt: 0, capabilities: [] };
}

function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

export function benchStaleness(): Record<string, string> {
  let now = 0;
  const s = new Staleness({ factor: 3, minSeconds: 60, firstSeconds: 3600, now: () => now, onStale: () => undefined });
  const ids = Array.from({ length: devices }, (_, i) => `d${i}`);
  for (let i = 0; i < devices; i++) s.configure(device(i));
  // Learned rhythms: 16 intervals each.
  for (let k = 0; k < 17; k++) {
    now += 10_000;
    for (const id of ids) s.touch(id);
  }
  s.stop();

  const ref = new Map(ids.map((id) => [id, { last: 0, dirty: false }]));
  const touchMs = best(3, () => {
    for (let i = 0; i < reports; i++) {
      now += 1;
      s.touch(ids[i % devices]!);
    }
  });
  const refTouchMs = best(3, () => {
    for (let i = 0; i < reports; i++) {
      now += 1;
      const r = ref.get(ids[i % devices]!)!;
      r.last = now;
      r.dirty = true;
    }
  });
  const dirtySweepMs = best(5, () => {
    for (const id of ids) s.touch(id);
    s.sweep();
  });
  const cleanSweepMs = best(5, () => s.sweep());
  let sink = 0;
  const refSweepMs = best(5, () => {
    for (const [, r] of ref) if (now - r.last > 60_000) sink++;
  });
  if (sink < 0) console.log(sink);
  return {
    'touch per report': `${((touchMs / reports) * 1e6).toFixed(0)} ns (reference ${((refTouchMs / reports) * 1e6).toFixed(0)} ns, ${(touchMs / refTouchMs).toFixed(2)}x)`,
    'sweep of 10,000, all reported since the last (worst case)': `${dirtySweepMs.toFixed(2)} ms (includes 10,000 touches)`,
    'sweep of 10,000, none reported': `${cleanSweepMs.toFixed(2)} ms (reference loop ${refSweepMs.toFixed(2)} ms, ${(cleanSweepMs / refSweepMs).toFixed(2)}x)`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(benchStaleness())) console.log(`${k}: ${v}`);
}
