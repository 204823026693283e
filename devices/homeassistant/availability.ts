import type { Availability } from '../../server/core/model.js';
import { Fields } from '../shared/fields.js';
import { isObject, typeName } from '../shared/payload.js';
import { template, pyText } from './components/common.js';
import type { Payload } from './field.js';
import { TemplateError, payloadVars, pyStr, type Template } from './template/index.js';

// Entity availability (HA docs mqtt.markdown "Using availability topics"): either one `availability_topic` with
// `payload_available`/`payload_not_available`, or an `availability` list of topics each with its own payloads
// and template, combined by `availability_mode`: `latest` (default; the last message wins), `all` (online only
// when every topic says so) or `any` (online when one does). Payloads that match neither word are ignored.

export interface AvailabilityEntry {
  topic: string;
  available: string;
  notAvailable: string;
  template?: Template;
}

export interface AvailabilitySpec {
  mode: 'all' | 'any' | 'latest';
  entries: AvailabilityEntry[];
}

const MODES = ['all', 'any', 'latest'] as const;

export function readAvailability(r: Fields): AvailabilitySpec | undefined {
  const single = r.str('availability_topic');
  const list = r.list('availability');
  if (single !== undefined && list !== undefined) {
    r.fail('availability', 'availability and availability_topic are mutually exclusive');
    return undefined;
  }
  const mode = r.str('availability_mode') ?? 'latest';
  if (!(MODES as readonly string[]).includes(mode)) r.fail('availability_mode', `must be all, any or latest, got ${JSON.stringify(mode)}`);
  const entries: AvailabilityEntry[] = [];
  if (single !== undefined) entries.push(entry(r, single, 'availability_template'));
  list?.forEach((item, i) => {
    if (!isObject(item)) {
      r.errors.push(`${r.at('availability')}[${i}]: expected an object, got ${typeName(item)}`);
      return;
    }
    const sub = new Fields(item, `${r.at('availability')}[${i}]`, r.errors);
    const topic = sub.str('topic', true);
    if (topic !== undefined) entries.push(entry(sub, topic, 'value_template'));
  });
  return entries.length ? { mode: mode as AvailabilitySpec['mode'], entries } : undefined;
}

function entry(r: Fields, topic: string, templateKey: string): AvailabilityEntry {
  const tpl = template(r, templateKey);
  return {
    topic,
    available: r.text('payload_available', pyText) ?? 'online',
    notAvailable: r.text('payload_not_available', pyText) ?? 'offline',
    ...(tpl ? { template: tpl } : {}),
  };
}

/** What an availability spec says so far, fed with the messages on its topics. */
export class AvailabilityState {
  private readonly seen = new Map<string, boolean>();
  private latest: boolean | undefined;

  constructor(readonly spec: AvailabilitySpec) {}

  /** Same topics, words and templates: a re-announced config keeps what was already learned. */
  sameSpec(other: AvailabilitySpec): boolean {
    return signature(this.spec) === signature(other);
  }

  topics(): string[] {
    return this.spec.entries.map((e) => e.topic);
  }

  /** True when the message changed what this spec knows; an unknown word or failing template is ignored. */
  receive(topic: string, payload: Payload): boolean {
    let changed = false;
    for (const e of this.spec.entries) {
      if (e.topic !== topic) continue;
      let word: string;
      try {
        word = e.template ? pyStr(e.template.render(payloadVars(payload.text, payload.json))) : payload.text;
      } catch (err) {
        if (err instanceof TemplateError) continue;
        throw err;
      }
      const online = word === e.available ? true : word === e.notAvailable ? false : undefined;
      if (online === undefined) continue;
      this.seen.set(topic, online);
      this.latest = online;
      changed = true;
    }
    return changed;
  }

  value(): Availability {
    if (this.latest === undefined) return 'unknown';
    if (this.spec.mode === 'latest') return this.latest ? 'online' : 'offline';
    const states = this.spec.entries.map((e) => this.seen.get(e.topic));
    if (this.spec.mode === 'any') return states.some((s) => s === true) ? 'online' : 'offline';
    return states.every((s) => s === true) ? 'online' : 'offline';
  }
}

function signature(spec: AvailabilitySpec): string {
  return JSON.stringify([spec.mode, spec.entries.map((e) => [e.topic, e.available, e.notAvailable, e.template?.source])]);
}
