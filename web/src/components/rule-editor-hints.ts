// What the rule editor offers at the caret: keys and kinds from the validator's own tables (GET
// /api/rules/validate/keys, rules/schema/reference.ts), device ids and properties from the live store, topics from the
// devices and, for admins, the broker's topic list. Pure: no CodeMirror here.

import type { Completion } from '@codemirror/autocomplete';
import type { RuleKeyReference } from '../model/rules.js';
import type { CaretContext } from './rule-editor-context.js';

export interface HintDevice {
  id: string;
  name: string;
  topic: string;
  commandTopic?: string;
  properties: string[];
}

export interface EditorHints {
  reference?: RuleKeyReference;
  devices: HintDevice[];
  /** Topics seen by the broker (admins), besides the devices' own. */
  topics: string[];
  rules: string[];
}

const MAX_OPTIONS = 300;

function keysAt(at: CaretContext, ref: RuleKeyReference): readonly string[] {
  switch (at.place) {
    case 'rule': return ref.rule;
    case 'trigger': return at.kind ? ref.triggers[at.kind] ?? [] : ['trigger', 'id'];
    case 'condition': return at.kind ? ref.conditions[at.kind] ?? [] : ['condition'];
    case 'action': return at.kind ? ref.actions[at.kind] ?? [] : ['action', 'alias'];
    case 'option': return ['conditions', 'actions'];
    case 'keep': return ref.keep;
    case 'keepState': return ref.keepState;
    default: return [];
  }
}

function topicsOf(hints: EditorHints, publishing: boolean): string[] {
  const all = new Set<string>();
  for (const d of hints.devices) {
    all.add(d.topic);
    if (publishing && d.commandTopic) all.add(d.commandTopic);
  }
  for (const t of hints.topics) all.add(t);
  return [...all].sort();
}

export function completionsFor(at: CaretContext, hints: EditorHints): Completion[] {
  const ref = hints.reference;
  if (at.at === 'key') {
    if (!ref) return [];
    // `device` and `topic` exclude each other (and a numeric trigger's `property` goes with `device`).
    const excluded = new Set<string>();
    if (at.siblings.device !== undefined && at.place !== 'action') excluded.add('topic');
    if (at.siblings.topic !== undefined && at.place === 'trigger') excluded.add('device');
    if (at.siblings.topic !== undefined && at.kind === 'numeric') excluded.add('property');
    return keysAt(at, ref)
      .filter((k) => at.siblings[k] === undefined && !excluded.has(k))
      .map((k) => ({ label: k, type: 'property', apply: `${k}: ` }));
  }
  const key = at.key!;
  if (ref && (key === 'trigger' || key === 'condition' || key === 'action')) {
    const kinds = Object.keys(key === 'trigger' ? ref.triggers : key === 'condition' ? ref.conditions : ref.actions);
    return kinds.map((k) => ({ label: k, type: 'keyword', detail: `${key} kind` }));
  }
  if (key === 'device') {
    return hints.devices.slice(0, MAX_OPTIONS).map((d) => ({ label: d.id, type: 'variable', detail: d.name, info: d.topic }));
  }
  if (key === 'topic' || key === 'filter') {
    return topicsOf(hints, at.place === 'action').slice(0, MAX_OPTIONS).map((t) => ({ label: t, type: 'text' }));
  }
  if (key === 'property') {
    const named = at.siblings.device;
    const device = named ? hints.devices.find((d) => d.id === named || d.topic === named) : undefined;
    const props = device ? device.properties : [...new Set(hints.devices.flatMap((d) => d.properties))].sort();
    return props.slice(0, MAX_OPTIONS).map((p) => ({ label: p, type: 'property', ...(device ? { detail: device.name } : {}) }));
  }
  if (key === 'rule' && at.place === 'action') return hints.rules.map((r) => ({ label: r, type: 'variable' }));
  const fixed = ref && ((at.kind && ref.values[`${at.kind}.${key}`]) || ref.values[key]);
  return (fixed ?? []).map((v) => ({ label: v, type: 'constant' }));
}
