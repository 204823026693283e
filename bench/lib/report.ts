/** The figures every benchmark module returns, and how run.ts prints them. */

export interface Figure {
  label: string;
  unit: string;
  /** rumah's figure. */
  value: number;
  /** Reference figures measured in the same run (name → value), printed with rumah's ratio to each. */
  refs?: Record<string, number>;
  /** Related figures printed beside it, without a ratio (same unit). */
  context?: Record<string, number>;
  /** A lower value is better (latency, bytes, ms): ratios are still rumah / reference. */
  lowerIsBetter?: boolean;
  target?: { text: string; met: boolean };
  note?: string;
}

export interface BenchResult {
  id: string;
  title: string;
  figures: Figure[];
  /** Lines worth reading next to the table: how it was measured, what limited it. */
  notes: string[];
  /** Per-step detail (fan-in steps, profiles): printed as they are, also written to the docs. */
  details?: string[];
}

export function fmt(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return '—';
  let s: string;
  if (unit === 'bytes' || unit === 'B') s = n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n).toLocaleString('en-US')} B`;
  else if (Math.abs(n) >= 100) s = Math.round(n).toLocaleString('en-US');
  else if (Math.abs(n) >= 10) s = n.toFixed(1);
  else s = n.toFixed(2);
  return unit && unit !== 'bytes' && unit !== 'B' ? `${s} ${unit}` : s;
}

export function ratio(value: number, ref: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(ref) || ref === 0) return '—';
  return `${(value / ref).toFixed(2)}×`;
}

interface Row {
  figure: string;
  rumah: string;
  refs: string;
  target: string;
}

function rows(results: BenchResult[]): Row[] {
  const out: Row[] = [];
  for (const r of results) {
    for (const f of r.figures) {
      const refs = [
        ...Object.entries(f.refs ?? {}).map(([name, v]) => `${name} ${fmt(v, f.unit)} (rumah ${ratio(f.value, v)})`),
        ...Object.entries(f.context ?? {}).map(([name, v]) => `${name}: ${fmt(v, f.unit)}`),
      ].join('; ');
      out.push({
        figure: f.label,
        rumah: fmt(f.value, f.unit),
        refs: refs || '',
        target: f.target ? `${f.target.met ? 'MET' : 'MISSED'}: ${f.target.text}` : '',
      });
    }
  }
  return out;
}

export function textTable(results: BenchResult[]): string {
  const all = rows(results);
  const head: Row = { figure: 'figure', rumah: 'rumah', refs: 'references, same run (rumah / reference)', target: 'target' };
  const cols: (keyof Row)[] = ['figure', 'rumah', 'refs', 'target'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(head[c].length, ...all.map((r) => r[c].length))])) as Record<keyof Row, number>;
  const line = (r: Row): string => cols.map((c) => r[c].padEnd(width[c])).join(' │ ').trimEnd();
  const rule = cols.map((c) => '─'.repeat(width[c])).join('─┼─');
  return [line(head), rule, ...all.map(line)].join('\n');
}

export function markdownTable(results: BenchResult[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| figure | rumah | references, same run (rumah / reference) | target |',
    '|---|---:|---|---|',
    ...rows(results).map((r) => `| ${esc(r.figure)} | ${esc(r.rumah)} | ${esc(r.refs)} | ${esc(r.target)} |`),
  ].join('\n');
}
