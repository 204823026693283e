import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, DeviceDescriptor } from '../../../devices/convention.js';
import type { MqttMessage } from '../../../server/core/events.js';
import type { Availability, Capability, Device, StateValue } from '../../../server/core/model.js';

// Replays fixture files through one convention and keeps what a registry would conclude, so tests can assert
// the fixtures' `expect` entries against devices, capabilities, state, availability and events.

export interface FixtureEntry {
  topic: string;
  payload: unknown;
  retain?: boolean;
  note?: string;
  direction?: 'hub-to-device';
  expect?: Record<string, unknown>;
}

export function loadFixture(name: string): FixtureEntry[] {
  // From dist/test/unit/devices/ back to the repository's test/unit/devices/fixtures/.
  const url = new URL(`../../../../test/unit/devices/fixtures/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as FixtureEntry[];
}

/** Fixture payloads are strings, or JSON values sent as their JSON text. */
export function payloadOf(entry: Pick<FixtureEntry, 'payload'>): string {
  return typeof entry.payload === 'string' ? entry.payload : JSON.stringify(entry.payload);
}

export function message(topic: string, payload: string | Buffer | object, retain = false): MqttMessage {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return { topic, payload: buf, qos: 0, retain, clientId: 'test-device' };
}

export function testContext(view?: HubView): ConventionContext {
  return { log: pino({ level: 'silent' }), now: () => 1_700_000_000_000, getDevice: (id) => view?.asDevice(id) };
}

/** A minimal registry: descriptors merged by id (capabilities by property), states, availability, events. */
export class HubView {
  readonly devices = new Map<string, DeviceDescriptor>();
  readonly states = new Map<string, Record<string, StateValue>>();
  readonly availability = new Map<string, Availability>();
  readonly events: { deviceId: string; property: string; value: StateValue }[] = [];
  readonly removed: string[] = [];
  readonly rejections: { deviceId?: string; reason: string }[] = [];
  readonly published: { topic: string; payload: string }[] = [];

  apply(u: ConventionUpdate | undefined): void {
    if (!u) return;
    for (const d of u.devices ?? []) {
      const old = this.devices.get(d.id);
      const caps = new Map<string, Capability>((old?.capabilities ?? []).map((c) => [c.property, c]));
      for (const c of d.capabilities) caps.set(c.property, c);
      this.devices.set(d.id, { ...old, ...d, capabilities: [...caps.values()] });
    }
    for (const id of u.removed ?? []) {
      this.devices.delete(id);
      this.removed.push(id);
    }
    for (const s of u.states ?? []) this.states.set(s.deviceId, { ...this.states.get(s.deviceId), ...s.values });
    for (const e of u.events ?? []) this.events.push(e);
    for (const a of u.availability ?? []) this.availability.set(a.deviceId, a.availability);
    for (const p of u.publish ?? []) this.published.push({ topic: p.topic, payload: p.payload });
    if (u.rejected) this.rejections.push(u.rejected);
  }

  device(id: string): DeviceDescriptor {
    const d = this.devices.get(id);
    assert.ok(d, `device ${id} is known (known: ${[...this.devices.keys()].join(', ')})`);
    return d;
  }

  capability(id: string, property: string): Capability & Record<string, unknown> {
    const c = this.device(id).capabilities.find((x) => x.property === property);
    assert.ok(c, `device ${id} has capability ${property} (has: ${this.device(id).capabilities.map((x) => x.property).join(', ')})`);
    return c as Capability & Record<string, unknown>;
  }

  state(id: string, property: string): StateValue | undefined {
    return this.states.get(id)?.[property];
  }

  asDevice(id: string): Device | undefined {
    const d = this.devices.get(id);
    if (!d) return undefined;
    return { ...d, availability: this.availability.get(id) ?? 'unknown', createdAt: 0 };
  }
}

export type Check = (view: HubView, update: ConventionUpdate | undefined) => void;

/**
 * Feeds every device-to-hub entry in order; each must be claimed and accepted. Every entry with an `expect`
 * must have a check (so no expectation of a fixture goes unasserted), run right after that entry.
 */
export function replay(conv: Convention, entries: FixtureEntry[], checks: Record<number, Check>, view = new HubView()): HubView {
  entries.forEach((entry, i) => {
    if (entry.direction === 'hub-to-device') return;
    assert.ok(conv.claims(entry.topic), `#${i} ${entry.topic} is claimed by ${conv.name}`);
    const update = conv.handle(message(entry.topic, payloadOf(entry), entry.retain ?? false));
    assert.equal(update?.rejected, undefined, `#${i} ${entry.topic} is accepted`);
    view.apply(update);
    const check = checks[i];
    if (entry.expect) assert.ok(check, `#${i} has an expect, so the test must check it`);
    check?.(view, update);
  });
  return view;
}

/** The fixture's hub-to-device entries, in order: the commands the hub must publish. */
export function commands(entries: FixtureEntry[]): { topic: string; payload: string }[] {
  return entries.filter((e) => e.direction === 'hub-to-device').map((e) => ({ topic: e.topic, payload: payloadOf(e) }));
}

/** A convention with its view: `send` handles one message and applies what it concluded. */
export function session(factory: ConventionFactory) {
  const view = new HubView();
  const conv = factory(testContext(view));
  const send = (topic: string, payload: string | Buffer | object, retain = false) => {
    const u = conv.handle(message(topic, payload, retain));
    view.apply(u);
    return u;
  };
  return { view, conv, send };
}
