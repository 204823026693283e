import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples not idle, %. */
  busyPct: number;
  /** By function (self time), busiest first. */
  functions: Array<{ name: string; where: string; selfPct: number }>;
  /** By package or source folder (self time). */
  areas: Array<{ area: string; selfPct: number }>;
}

/** Where a script URL belongs: `aedes`, `mqemitter`, `rumah server/mqtt`, `node:internal`... */
function area(url: string): string {
  if (!url) return '(native / vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `rumah ${url.slice(dist + 6).split('/').slice(0, 2).join('/')}`;
  return url;
}

/** Self time per function and per area of a V8 .cpuprofile (node --cpu-prof). */
export function summarizeProfile(files: string[], top = 15): ProfileSummary {
  const profiles = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Profile);
  const nodes = profiles.flatMap((p) => p.nodes);
  const totalHits = nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const idle = nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const byFn = new Map<string, { name: string; where: string; hits: number }>();
  const byArea = new Map<string, number>();
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits || n.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${url}:${lineNumber}`;
    const entry = byFn.get(key) ?? { name: functionName || '(anonymous)', where: `${area(url)} ${where}`.trim(), hits: 0 };
    entry.hits += hits;
    byFn.set(key, entry);
    const a = functionName.startsWith('(') ? functionName : area(url);
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
  }
  const pct = (h: number): number => (100 * h) / totalHits;
  return {
    file: files.length === 1 ? files[0]! : `${files.length} profiles in ${path.dirname(files[0]!)}`,
    totalMs: profiles.reduce((s, p) => s + (p.endTime - p.startTime) / 1000, 0),
    busyPct: pct(totalHits - idle),
    functions: [...byFn.values()].sort((a, b) => b.hits - a.hits).slice(0, top).map((e) => ({ name: e.name, where: e.where, selfPct: pct(e.hits) })),
    areas: [...byArea.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([a, h]) => ({ area: a, selfPct: pct(h) })),
  };
}

export function formatProfile(s: ProfileSummary): string[] {
  return [
    `CPU profile ${s.file} (${(s.totalMs / 1000).toFixed(1)} s, busy ${s.busyPct.toFixed(0)}% of samples)`,
    '  self time by area:',
    ...s.areas.map((a) => `    ${a.selfPct.toFixed(1).padStart(5)}%  ${a.area}`),
    '  self time by function:',
    ...s.functions.map((f) => `    ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}  (${f.where})`),
  ];
}
