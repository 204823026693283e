import type { StateValue } from '../../server/core/model.js';
import type { CapabilityInfo } from '../shared/capability.js';
import { payloadVars, pyStr, type PyValue, type Template } from './template/index.js';
import { parseDeviceJson } from '../../server/core/device-json.js';

// One capability of one discovered entity, with how its state is read and how it is commanded. An entity has
// one field (a switch) or several (a light: state, brightness, color_temp; a climate: mode, target, current).

/** A message payload with its JSON parsed at most once, however many fields read it. */
export class Payload {
  private parsed: unknown;
  private done = false;
  constructor(readonly text: string) {}
  get json(): unknown {
    if (!this.done) {
      this.done = true;
      try {
        this.parsed = parseDeviceJson(this.text);
      } catch {
        this.parsed = undefined;
      }
    }
    return this.parsed;
  }
}

/** What reading a field from a message gave: a value, nothing (not in this message), or a problem. */
export type Reading = { value: StateValue } | { skip: true } | { problem: string };
export const SKIP: Reading = { skip: true };

export interface StateIn {
  topic: string;
  read(payload: Payload): Reading;
}

export interface CommandOut {
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** The payload for a hub value, in the device's words; undefined when the value makes no sense. */
  encode(value: StateValue): string | undefined;
}

export interface FieldPlan {
  /** Suggested property name; the entity store makes it unique within the device. */
  name: string;
  capability: Omit<CapabilityInfo, 'property'>;
  state?: StateIn;
  command?: CommandOut;
  /** Device triggers of one type share one event property (`action` ← single, double, hold...). */
  shared?: boolean;
}

export interface Field extends FieldPlan {
  property: string;
}

/** Reads a state the HA way: the payload text, or the value template's result when there is one. */
export function templatedState(topic: string, template: Template | undefined, convert: (v: PyValue) => Reading): StateIn {
  return {
    topic,
    read(payload) {
      if (!template) return convert(payload.text);
      return convert(template.render(payloadVars(payload.text, payload.json)));
    },
  };
}

/** A command the HA way: the value (in device words) through the command template, or as text. */
export function templatedCommand(
  topic: string,
  template: Template | undefined,
  opts: { qos: 0 | 1 | 2; retain: boolean },
  toValue: (v: StateValue) => PyValue | undefined,
): CommandOut {
  return {
    topic,
    ...opts,
    encode(value) {
      const v = toValue(value);
      if (v === undefined) return undefined;
      return pyStr(template ? template.render({ value: v }) : v);
    },
  };
}

/** Payloads that mean "no value" rather than a bad value (HA renders an undefined template result as ""). */
export function isBlank(v: PyValue): boolean {
  return typeof v === 'symbol' || v === null || (typeof v === 'string' && (v === '' || v === 'None'));
}
