// The shapes the rules API and the live socket answer with (docs/rules-api.md), defined once in the live protocol
// (server/realtime/protocol.ts), which the browser bundle shares with the hub.
import type { RuleStatusView, TraceView } from '../../../server/realtime/protocol.js';

export type RuleStatus = RuleStatusView;
export type RuleError = RuleStatusView['errors'][number];
export type Trace = TraceView;
export type TraceStep = TraceView['steps'][number];

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
