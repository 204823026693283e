// `rules test RULE FIXTURE.json`: replay messages against one rule in the sandbox (the real registry, command path
// and engine; no network, a hand-moved clock) and print what it did, step by step: every evaluation, including
// those that did not fire, and every publish.
//
// A fixture is a JSON list. Each entry is one of:
//   {"topic": "ourhome/firstfloor/kitchen/temperature", "payload": "29.5"}   a device publishes (payload: text or JSON)
//   {"advance": "5m"}                                                        time passes (a duration or seconds)
//   {"at": "2025-03-03T06:44:00+01:00"}                                      time moves to that moment
// The clock starts at the first "at", else at 2025-03-03 09:00 UTC (a Monday).

import fs from 'node:fs';
import { parseDuration } from '../duration.js';
import { ManualClock } from '../engine/clock.js';
import { humanDuration, show } from '../engine/describe.js';
import { Sandbox, type Published } from '../engine/sandbox.js';
import type { Trace } from '../engine/trace.js';
import type { Location } from '../triggers/types.js';
import { setRuleValue, validateRuleText, type RuleError } from '../schema/index.js';

type Step = { topic: string; payload: unknown; retain?: boolean } | { advance: string | number } | { at: string };

export interface ReplayResult {
  ruleId?: string;
  errors: RuleError[];
  lines: string[];
  traces: Trace[];
  published: Published[];
}

export function readFixture(file: string): Step[] {
  const data: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${file}: a fixture is a JSON list of messages, {"advance": "5m"} and {"at": "..."} entries`);
  return data.map((item: unknown, i) => {
    const o = item as Record<string, unknown>;
    if (o && typeof o.topic === 'string') return { topic: o.topic, payload: o.payload ?? '', ...(o.retain === true ? { retain: true } : {}) };
    if (o && (typeof o.advance === 'string' || typeof o.advance === 'number')) return { advance: o.advance };
    if (o && typeof o.at === 'string' && Number.isFinite(Date.parse(o.at))) return { at: o.at };
    throw new Error(`${file}: entry ${i} is neither a message ({topic, payload}), {"advance": "5m"} nor {"at": "<ISO time>"}`);
  });
}

export async function replay(ruleFile: string, text: string, steps: Step[], opts: { timezone?: string; location?: Location } = {}): Promise<ReplayResult> {
  const validation = validateRuleText(text, ruleFile);
  if (!validation.rule) return { errors: validation.errors, lines: [], traces: [], published: [] };
  const rule = validation.rule;
  const firstAt = steps.find((s): s is { at: string } => 'at' in s);
  const start = firstAt ? Date.parse(firstAt.at) : Date.UTC(2025, 2, 3, 9, 0);
  const clock = new ManualClock(start);
  const sb = await Sandbox.create({ clock, ...(opts.timezone ? { timezone: opts.timezone } : {}), ...(opts.location ? { location: opts.location } : {}) });
  const lines: string[] = [];
  const shown = new Map<string, { updatedAt: number; steps: number; result: string }>();
  const numbers = new Map<string, number>();
  let publishedShown = 0;
  const stamp = (): string => `[+${humanDuration(clock.now() - start)}]`.padEnd(12);
  const report = (): void => {
    for (const trace of [...sb.engine.recorder.list(rule.id)].reverse()) {
      const before = shown.get(trace.id);
      if (before && before.updatedAt === trace.updatedAt && before.result === trace.result) continue;
      if (!numbers.has(trace.id)) numbers.set(trace.id, numbers.size + 1);
      const n = `#${numbers.get(trace.id)}`.padEnd(4);
      const trigger = trace.trigger ? `${trace.trigger.index >= 0 ? `triggers[${trace.trigger.index}]` : trace.trigger.kind}${trace.trigger.id ? ` (${trace.trigger.id})` : ''}` : '';
      const why = trace.reason ?? trace.trigger?.description;
      if (!before || before.result !== trace.result) lines.push(`  ${n}${trace.result.padEnd(16)}${trigger}${why ? `: ${why}` : ''}`);
      for (const step of trace.steps.slice(before?.steps ?? 0)) lines.push(`      ${''.padEnd(16)}${step.path} ${step.kind}: ${step.message}`);
      shown.set(trace.id, { updatedAt: trace.updatedAt, steps: trace.steps.length, result: trace.result });
    }
    for (const p of sb.published.slice(publishedShown)) lines.push(`  → published ${show(p.payload)} to ${p.topic}${p.retain ? ' (retained)' : ''}`);
    publishedShown = sb.published.length;
  };
  try {
    // A rule disabled in its file (the examples are copied so) is tested as if enabled: trying it is how one
    // decides to enable it.
    await sb.load(ruleFile, rule.enabled ? text : setRuleValue(text, ['enabled'], true));
    sb.started();
    await sb.settle();
    lines.push(`${stamp()}the hub started with rule ${rule.id}${rule.enabled ? '' : ' (disabled in its file: tested as if enabled)'}`);
    report();
    for (const step of steps) {
      if ('topic' in step) {
        const payload = typeof step.payload === 'string' ? step.payload : JSON.stringify(step.payload);
        lines.push(`${stamp()}${step.topic} ← ${show(payload)}`);
        sb.message(step.topic, payload, step.retain ? { retain: true } : {});
        await sb.settle();
      } else if ('advance' in step) {
        const d = parseDuration(step.advance);
        if (!d.ok) throw new Error(`fixture: ${d.message}`);
        lines.push(`${stamp()}time passes: ${humanDuration(d.ms)}`);
        await clock.advance(d.ms);
      } else if (Date.parse(step.at) > clock.now()) {
        lines.push(`${stamp()}time moves to ${step.at}`);
        await clock.advanceTo(Date.parse(step.at));
      }
      report();
    }
    return { ruleId: rule.id, errors: [], lines, traces: [...sb.engine.recorder.list(rule.id)].reverse(), published: [...sb.published] };
  } finally {
    await sb.stop();
  }
}
