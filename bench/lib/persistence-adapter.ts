import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt, type BenchResult, type Figure } from './report.js';

// bench/persistence.ts belongs to the engineer making the broker's persistence durable. If it is there (built),
// it is called and whatever it returns is printed: our BenchResult as is, otherwise its numeric fields as figures.

const moduleUrl = new URL('../persistence.js', import.meta.url);

export async function benchPersistence(log: (s: string) => void = console.log): Promise<BenchResult | undefined> {
  if (!fs.existsSync(fileURLToPath(moduleUrl))) {
    log('  bench/persistence.ts is not there (yet): skipped');
    return undefined;
  }
  const mod = (await import(moduleUrl.href)) as Record<string, unknown>;
  const preferred = ['benchPersistence', 'runPersistence', 'run', 'default'];
  const name = preferred.find((n) => typeof mod[n] === 'function') ?? Object.keys(mod).find((n) => typeof mod[n] === 'function');
  if (!name) {
    log('  bench/persistence.js exports no function: skipped');
    return undefined;
  }
  log(`  calling ${name}() from bench/persistence.js`);
  const out = await (mod[name] as (opts?: unknown) => Promise<unknown>)({});
  if (isBenchResult(out)) return out;
  const figures: Figure[] = [];
  const notes: string[] = [];
  const o = (out ?? {}) as Record<string, unknown>;
  const num = (k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
  // The figures of PersistenceFigures (bench/persistence.ts) as of this writing, with labels and the reference;
  // anything else it returns is listed as it is.
  const known: Record<string, () => Figure | undefined> = {
    retainedPerSecSequential: () => ({ label: 'retained publishes into the SQLite persistence, 1 in flight', unit: '/s', value: num('retainedPerSecSequential')! }),
    retainedPerSecConcurrent: () => ({
      label: 'retained publishes into the SQLite persistence, many in flight', unit: '/s', value: num('retainedPerSecConcurrent')!,
      refs: num('retainedPerSecInMemory') !== undefined ? { 'aedes-persistence in memory': num('retainedPerSecInMemory')! } : undefined,
    }),
    retainedPerSecInMemory: () => undefined,
    setupMs: () => ({
      label: `persistence setup: load ${fmt(num('setupRetained') ?? NaN)} retained + ${fmt(num('setupSessions') ?? NaN)} sessions`, unit: 'ms', value: num('setupMs')!, lowerIsBetter: true,
    }),
    setupRetained: () => undefined,
    setupSessions: () => undefined,
    fileBytes: () => ({ label: 'persistence database file', unit: 'B', value: num('fileBytes')!, lowerIsBetter: true }),
  };
  for (const [k, make] of Object.entries(known)) {
    if (num(k) === undefined) continue;
    const f = make();
    if (f) figures.push(f);
    delete o[k];
  }
  const walk = (value: unknown, label: string): void => {
    if (typeof value === 'number') figures.push({ label, unit: '', value });
    else if (typeof value === 'string') notes.push(`${label}: ${value}`);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${label}[${i}]`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, label ? `${label}.${k}` : k);
  };
  walk(o, '');
  if (!figures.length && !notes.length) notes.push(`returned ${fmt(Number(out))}`);
  return { id: 'persistence', title: 'Broker persistence (bench/persistence.ts)', figures, notes };
}

function isBenchResult(x: unknown): x is BenchResult {
  return !!x && typeof x === 'object' && Array.isArray((x as BenchResult).figures) && typeof (x as BenchResult).title === 'string';
}
