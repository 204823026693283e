import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Figure } from './report.js';

// A benchmark module another engineer owns and may still be changing (bench/rules.ts): run if it is there (built)
// and exports the function, skipped with a line otherwise, so run.ts builds and runs either way. What it returns is
// printed as it is when it is a BenchResult; a flat record (bench/rules.ts returns one) becomes figures: numbers with
// the unit their key ends in (`_ms`, `_msg_s`), strings as notes.

export async function runOptionalBench(file: string, exportName: string, meta: { id: string; title: string }, log: (s: string) => void = console.log): Promise<BenchResult | undefined> {
  const url = new URL(`../${file}`, import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) {
    log(`  bench/${file.replace(/\.js$/, '.ts')} is not there (yet): skipped`);
    return undefined;
  }
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    log(`  bench/${file} exports no ${exportName}(): skipped`);
    return undefined;
  }
  const out = await (fn as () => Promise<unknown>)();
  if (isBenchResult(out)) return out;
  return fromRecord(out, meta);
}

function isBenchResult(x: unknown): x is BenchResult {
  return !!x && typeof x === 'object' && Array.isArray((x as BenchResult).figures) && Array.isArray((x as BenchResult).notes) && typeof (x as BenchResult).title === 'string';
}

function fromRecord(out: unknown, meta: { id: string; title: string }): BenchResult {
  const figures: Figure[] = [];
  const notes: string[] = [];
  if (out && typeof out === 'object') {
    for (const [key, value] of Object.entries(out)) {
      if (typeof value === 'number') {
        const unit = key.endsWith('_ms') ? 'ms' : key.endsWith('_msg_s') ? 'msg/s' : '';
        const label = key.replace(/_(ms|msg_s)$/, '').replace(/_/g, ' ');
        figures.push({ label, unit, value, lowerIsBetter: unit === 'ms' || undefined });
      } else if (typeof value === 'string') {
        notes.push(`${key.replace(/_/g, ' ')}: ${value}`);
      }
    }
  } else {
    notes.push(`returned ${String(out)}`);
  }
  return { id: meta.id, title: meta.title, figures, notes };
}
