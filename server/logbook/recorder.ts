// Which of the hub's events become logbook entries, and whose quota each counts against. Listens on the bus only
// (no producer calls the logbook): state changes, device events, commands, rule runs, availability, pairing, logins.
//
// Quotas (docs/dashboard.md#logbook): each entry has a rate key (a device, a user, a rule, logins) limited by a token
// bucket (source-rate.ts), and a storage source (a device's account, a user, a rule, `login`, `pairing`) that may
// hold logbook.maxPerSource rows (repo.ts prune): one chattering device, or an account's hundred devices, cannot
// push the rest of the house out.

import type { EventBus } from '../core/event-bus.js';
import type { Cause, Device } from '../core/model.js';
import type { LogbookCause } from '../realtime/protocol.js';
import {
  actorText, availabilitySentence, causeKind, commandSentence, eventSentence, isLogged, loginSentence, pairingSentence, ruleSentence, stateSentence,
} from './describe.js';
import type { SourceRate } from './source-rate.js';
import type { Draft } from './writer.js';

export interface RecorderDeps {
  bus: EventBus;
  device: (id: string) => Device | undefined;
  ruleName: (id: string) => string | undefined;
  rate: SourceRate;
  add: (draft: Draft) => void;
  now: () => number;
}

/** Rule results that are logbook entries: a run that ended. Fires whose conditions said no, or that a mode skipped, are in the rule's traces only. */
const LOGGED_RESULTS = new Set(['done', 'error', 'stopped', 'cancelled']);
/** Pairing candidates told once each until decided, at most this many remembered. */
const MAX_CANDIDATES = 1000;

/** The capability of a property: a loop, not find() with a closure, as it runs for every state change (bench/tails.ts). */
function capabilityOf(device: Device, property: string): Device['capabilities'][number] | undefined {
  for (const cap of device.capabilities) if (cap.property === property) return cap;
  return undefined;
}

export class LogbookRecorder {
  private readonly offs: Array<() => void> = [];
  private readonly candidates = new Set<string>();

  constructor(private readonly deps: RecorderDeps) {}

  start(): void {
    const { bus } = this.deps;
    this.offs.push(
      bus.on('stateChanged', 'logbook', (c) => {
        const device = this.deps.device(c.deviceId);
        const cap = device && capabilityOf(device, c.property);
        if (!isLogged(cap, c.value)) return;
        this.entry(`device:${c.deviceId}`, () => ({
          ts: c.ts, kind: 'state', cause: causeKind(c.cause), source: deviceSource(device, c.deviceId), deviceId: c.deviceId,
          ...actorOf(c.cause), message: stateSentence(device, c.deviceId, c.property, c.value, cap),
        }));
      }),
      bus.on('deviceEvent', 'logbook', (e) => {
        const device = this.deps.device(e.deviceId);
        this.entry(`device:${e.deviceId}`, () => ({
          ts: e.ts, kind: 'event', cause: causeKind(e.cause), source: deviceSource(device, e.deviceId), deviceId: e.deviceId,
          ...actorOf(e.cause), message: eventSentence(device, e.deviceId, e.property, e.value),
        }));
      }),
      bus.on('commandSent', 'logbook', (c) => {
        const device = this.deps.device(c.deviceId);
        const cap = device?.capabilities.find((x) => x.property === c.property);
        const actor = actorOf(c.cause);
        const key = actor.actor ? `${c.cause.kind}:${actor.actor}` : `device:${c.deviceId}`;
        this.entry(key, () => ({
          ts: this.deps.now(), kind: 'command', cause: causeKind(c.cause), source: key, deviceId: c.deviceId, ...actor,
          message: commandSentence(actorText(c.cause, this.deps.ruleName), device, c.deviceId, c.property, c.value, cap),
        }));
      }),
      bus.on('ruleRun', 'logbook', (r) => {
        if (!LOGGED_RESULTS.has(r.result)) return;
        this.entry(`rule:${r.ruleId}`, () => ({
          ts: r.finishedAt, kind: 'rule', cause: 'rule', source: `rule:${r.ruleId}`, actor: r.ruleId,
          ...(r.result === 'error' || r.result === 'stopped' ? { level: 'warning' as const } : {}),
          message: ruleSentence(this.deps.ruleName(r.ruleId) ?? r.ruleId, r.result, r.reason, r.trigger),
        }));
      }),
      bus.on('availabilityChanged', 'logbook', (a) => {
        // A device's first report (unknown → online) is not news: the device appearing is.
        if (a.availability === a.previous || (a.previous === 'unknown' && a.availability === 'online')) return;
        const device = this.deps.device(a.deviceId);
        // online/offline are the device's own word (its will, its state topic); anything else (unknown, stale) is
        // the hub's verdict.
        const cause: LogbookCause = a.availability === 'online' || a.availability === 'offline' ? 'device' : 'system';
        this.entry(`device:${a.deviceId}`, () => ({
          ts: a.ts, kind: 'availability', cause, source: deviceSource(device, a.deviceId), deviceId: a.deviceId,
          message: availabilitySentence(device, a.deviceId, a.availability),
        }));
      }),
      bus.on('candidateChanged', 'logbook', (c) => {
        // `pending` is told again whenever a candidate publishes or disconnects: its first time only.
        if (c.state === 'pending') {
          if (this.candidates.has(c.username)) return;
          if (this.candidates.size >= MAX_CANDIDATES) this.candidates.clear();
          this.candidates.add(c.username);
        } else {
          this.candidates.delete(c.username);
        }
        this.entry('pairing', () => ({ ts: this.deps.now(), kind: 'pairing', cause: 'system', source: 'pairing', message: pairingSentence(c.username, c.state) }));
      }),
      bus.on('userLogin', 'logbook', (l) => {
        // Failed logins share one bucket and one source: names an attacker types cannot each get a quota.
        this.entry(l.ok ? `login:${l.username}` : 'login:failed', () => ({
          ts: l.ts, kind: 'login', cause: 'user', source: 'login', ...(l.ok ? { actor: l.username } : { level: 'warning' as const }),
          message: loginSentence(l.username, l.ok, l.address),
        }));
      }),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** The sentence is made only once the source's bucket allowed it: a flood costs a map lookup per change. */
  private entry(rateKey: string, make: () => Draft): void {
    const refused = this.deps.rate.take(rateKey, this.deps.now());
    if (refused === undefined) return;
    const draft = make();
    this.deps.add(refused > 0 ? { ...draft, message: `${draft.message} (${refused} earlier not logged: over the logbook's rate)` } : draft);
  }
}

/** A device's entries count against its account: one account's devices together cannot push the others out. */
function deviceSource(device: Device | undefined, deviceId: string): string {
  return device?.owner ? `account:${device.owner}` : `device:${deviceId}`;
}

function actorOf(cause: Cause): { actor?: string } {
  return (cause.kind === 'user' || cause.kind === 'rule' || cause.kind === 'schedule') && cause.id ? { actor: cause.id } : {};
}
