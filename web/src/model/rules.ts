// The shapes the rules API answers with (docs/rules-api.md), as far as the dashboard reads them. Kept here rather
// than imported from rules/: those modules are the engine's, written for Node.

export interface RuleError {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface RuleStatus {
  id: string;
  file: string;
  name: string;
  description?: string;
  enabled: boolean;
  state: 'running' | 'disabled' | 'error' | 'stopped';
  errors: RuleError[];
  runningPrevious: boolean;
  problems: string[];
  stopped?: { at: number; reason: string };
  lastTriggeredAt?: number;
  lastRun?: { traceId: string; at: number; result: string; reason?: string };
}

export interface TraceStep {
  at: number;
  path: string;
  kind: string;
  message: string;
  error?: { code: string; message: string };
}

export interface Trace {
  id: string;
  ruleId: string;
  at: number;
  finishedAt?: number;
  result: string;
  reason?: string;
  trigger?: { index: number; id?: string; kind: string; description?: string };
  cause?: string;
  steps: TraceStep[];
}

export const newRuleTemplate = `# A rule: when something happens (triggers), if all is right (conditions), do something (actions).
id: my-rule
name: My rule

triggers:
  - trigger: mqtt
    topic: ourhome/+/+/motion

actions:
  - action: publish
    topic: ourhome/stats/last_motion
    payload: "{{ trigger.topic }}"
`;

/** Offset in `text` of line/column (both 1-based), for moving the editor's caret to an error. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

/** GET /api/rules/validate/keys (rules/schema/reference.ts): the keys the validator accepts, per place and kind. */
export interface RuleKeyReference {
  rule: string[];
  triggers: Record<string, string[]>;
  conditions: Record<string, string[]>;
  actions: Record<string, string[]>;
  keep: string[];
  keepState: string[];
  values: Record<string, string[]>;
}
