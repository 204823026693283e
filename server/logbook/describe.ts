// The logbook's sentences: what happened, in words, from the bus events (pure functions; server/logbook/recorder.ts
// decides which events become entries). Names are the ones things had when it happened: renaming a device later
// does not rewrite its past (as a paper logbook would not).

import type { Availability, Capability, Cause, Device, StateValue } from '../core/model.js';
import { displayText } from '../core/display-text.js';
import { binaryLabels } from '../core/binary-words.js';
import { binaryFromWord } from '../../devices/shared/capability.js';
import type { LogbookCause } from '../realtime/protocol.js';

/** Values longer than this are cut in a sentence: the logbook says what happened, the device page shows the value. */
const VALUE_CHARS = 80;
/** The property that is the device itself ("Kitchen light turned on", not "Kitchen light state turned on"). */
const MAIN_PROPERTIES = new Set(['state', 'power', 'on', 'switch', 'light', 'relay', 'value', 'output']);

export function cut(text: string, max = VALUE_CHARS): string {
  const clean = displayText(text);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** "target_temperature" → "target temperature". */
export function propertyLabel(property: string): string {
  return cut(property.replace(/[_-]+/g, ' '), 60);
}

function deviceLabel(device: Device | undefined, deviceId: string): string {
  return cut(device?.name || deviceId, 100);
}

/**
 * "Kitchen light" or "Kitchen sensor motion": the property is named unless it is the device's main one, its only
 * one, or the last word(s) of its name already ("Hall motion", a native device named from its topic).
 */
function subject(device: Device | undefined, deviceId: string, property: string): string {
  const name = deviceLabel(device, deviceId);
  const label = propertyLabel(property);
  const only = device !== undefined && device.capabilities.length === 1 && device.capabilities[0]!.property === property;
  if (only || MAIN_PROPERTIES.has(property.toLowerCase()) || name.toLowerCase().endsWith(label.toLowerCase())) return name;
  return `${name} ${label}`;
}

/**
 * The words for a binary value, as the dashboard's tiles say them (server/core/binary-words.ts: the HA device class,
 * else the device's own words, else a class from the property's name, else on/off), lower case where they end a
 * sentence ("Front door is closed"; "OK" stays as it is).
 */
export function binaryWords(cap: Capability | undefined, property: string): [on: string, off: string] {
  const labels = binaryLabels({ property, on: cap?.on, off: cap?.off, deviceClass: cap?.deviceClass });
  return [inSentence(labels.on), inSentence(labels.off)];
}

function inSentence(word: string): string {
  return cut(word === word.toUpperCase() ? word : word.charAt(0).toLowerCase() + word.slice(1), 30);
}

function valueText(value: StateValue): string {
  if (typeof value === 'string') return `“${cut(value)}”`;
  return cut(JSON.stringify(value) ?? 'null');
}

/**
 * Whether a reported change is a logbook entry. Decision (docs/dashboard.md#logbook): binary, enum and text changes
 * are; numeric ones are not (a sensor changing every second would fill the logbook: they are history, drawn as
 * charts), nor are JSON objects and lists (attributes, not states). Events (button presses) are, as `event` entries.
 */
export function isLogged(cap: Capability | undefined, value: StateValue): boolean {
  if (cap) return cap.kind === 'binary' || cap.kind === 'enum' || (cap.kind === 'text' && typeof value !== 'object');
  return typeof value === 'boolean' || typeof value === 'string';
}

/** A binary value as the hub's boolean: some conventions keep the device's word (`"ON"`) as the state. */
function asBoolean(value: StateValue, cap: Capability | undefined): boolean | undefined {
  if (typeof value === 'boolean') return !cap || cap.kind === 'binary' ? value : undefined;
  return cap?.kind === 'binary' ? binaryFromWord(cap, value) : undefined;
}

/** A device's report that changed a state: "Kitchen light turned on", "Front door is closed", "Heater mode changed to “eco”". */
export function stateSentence(device: Device | undefined, deviceId: string, property: string, value: StateValue, cap: Capability | undefined): string {
  const who = subject(device, deviceId, property);
  const on = asBoolean(value, cap);
  if (on !== undefined) {
    const [onWord, offWord] = binaryWords(cap, property);
    if (onWord === 'on' && offWord === 'off') return `${who} turned ${on ? 'on' : 'off'}`;
    return `${who} is ${on ? onWord : offWord}`;
  }
  if (value === null) return `${who} was cleared`;
  return `${who} changed to ${valueText(value)}`;
}

/** A device's event (a button press, HA device trigger): "Doorbell input:0 event reported “single_push”". */
export function eventSentence(device: Device | undefined, deviceId: string, property: string, value: StateValue): string {
  return `${subject(device, deviceId, property)} reported ${valueText(value)}`;
}

/** Who did it, as a sentence's subject: "mia", "Rule Night mode", "An automation". */
export function actorText(cause: Cause, ruleName: (id: string) => string | undefined): string {
  switch (cause.kind) {
    case 'user':
      return cut(cause.id ?? 'someone', 60);
    case 'rule':
    case 'schedule':
      return cause.id ? `Rule ${cut(ruleName(cause.id) ?? cause.id, 60)}` : 'A rule';
    case 'device':
      return cause.id ? `Device ${cut(cause.id, 60)}` : 'A device';
    case 'restore':
      return 'The hub';
  }
}

/** A command: "mia turned off Hall light", "Rule Night mode set Thermostat target temperature to 18". */
export function commandSentence(actor: string, device: Device | undefined, deviceId: string, property: string, value: StateValue, cap: Capability | undefined): string {
  const what = subject(device, deviceId, property);
  const on = asBoolean(value, cap);
  if (on !== undefined) {
    const [onWord, offWord] = binaryWords(cap, property);
    if (onWord === 'on' && offWord === 'off') return `${actor} turned ${on ? 'on' : 'off'} ${what}`;
    return `${actor} set ${what} to ${on ? onWord : offWord}`;
  }
  return `${actor} set ${what} to ${typeof value === 'number' ? String(value) : valueText(value)}`;
}

/** Known availability values in words; any other (a value added later, such as `stale`) is said as it is. */
export function availabilitySentence(device: Device | undefined, deviceId: string, availability: Availability | string): string {
  const name = deviceLabel(device, deviceId);
  if (availability === 'online') return `${name} came online`;
  if (availability === 'offline') return `${name} went offline`;
  if (availability === 'unknown') return `${name}'s availability is unknown`;
  return `${name} is ${cut(String(availability), 30)}`;
}

const RESULT_WORDS: Record<string, string> = {
  done: 'ran', error: 'failed', stopped: 'was stopped', cancelled: 'was cancelled', skipped: 'was skipped', condition_false: 'did not run (conditions false)',
  interrupted: 'was interrupted', not_fired: 'did not fire',
};

export function ruleSentence(name: string, result: string, reason: string | undefined, trigger: string | undefined): string {
  const verb = RESULT_WORDS[result] ?? cut(result, 30);
  const because = trigger ? ` (${cut(trigger, 120)})` : '';
  return `Rule ${cut(name, 60)} ${verb}${because}${reason ? `: ${cut(reason, 160)}` : ''}`;
}

export function pairingSentence(username: string, state: 'pending' | 'accepted' | 'rejected'): string {
  const who = cut(username, 60);
  if (state === 'pending') return `New device ${who} asks to join`;
  return `Device account ${who} was ${state}`;
}

export function loginSentence(username: string, ok: boolean, address: string | undefined): string {
  const from = address && address !== '?' ? ` from ${cut(address.replace(/^::ffff:/, ''), 50)}` : '';
  return ok ? `${cut(username, 60)} logged in${from}` : `Failed login as ${cut(username, 60)}${from}`;
}

/** The page's cause filter for a cause. A schedule is a rule's (cron, keep blocks); a restore is the hub's own. */
export function causeKind(cause: Cause | undefined): LogbookCause {
  switch (cause?.kind) {
    case 'user':
      return 'user';
    case 'rule':
    case 'schedule':
      return 'rule';
    case 'restore':
      return 'system';
    default:
      return 'device';
  }
}
