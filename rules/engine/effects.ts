// What runs do to the world. Live: publishes through the broker (with the run's cause registered so the message
// carries it back), commands through DevicesApi.command, notifications on the bus and to webhooks. Dry: the same
// checks (the device exists, has the property) without sending anything.

import { signedHeaders } from './webhook-signature.js';
import { randomBytes } from 'node:crypto';
import type { EventBus } from '../../server/core/event-bus.js';
import { ErrorCodes, RumahError } from '../../server/core/errors.js';
import type { Logger } from '../../server/core/logger.js';
import type { Cause, Device, StateValue } from '../../server/core/model.js';
import type { CommandResult, Effects, PublishEffect } from '../actions/types.js';
import type { CauseTracker } from './cause-tracker.js';
import type { DeviceIndex } from './devices.js';

/** The broker as rules need it. */
export interface RulePublisher {
  publish(msg: { topic: string; payload: string | Buffer; qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
}

/** DevicesApi as rules need it: the one command path. */
export interface RuleCommander {
  command(id: string, property: string, value: unknown, cause: Cause): Promise<{ topic: string; payload: string }>;
}

export interface LiveEffectsDeps {
  broker: RulePublisher;
  commander: RuleCommander;
  devices: DeviceIndex;
  tracker: CauseTracker;
  bus: EventBus;
  log: Logger;
  now(): number;
  runRule(ruleId: string, cause: Cause): string;
  webhookTimeoutMs?: number;
}

function target(devices: DeviceIndex, ref: string, property: string | undefined): { device: Device; property: string } {
  const device = devices.resolve(ref);
  if (!device) throw new RumahError(ErrorCodes.NOT_FOUND, `no device "${ref}" (give a device id or the topic it reports on)`);
  const prop = property ?? devices.mainProperty(device);
  if (prop === undefined) throw new RumahError(ErrorCodes.NOT_FOUND, `device ${device.id} has no property to set: name one with 'property'`);
  return { device, property: prop };
}

export function liveEffects(deps: LiveEffectsDeps): Effects {
  return {
    dry: false,
    async publish(msg: PublishEffect, cause: Cause) {
      const payload = Buffer.from(msg.payload);
      deps.tracker.expect(msg.topic, payload, cause);
      await deps.broker.publish({ topic: msg.topic, payload, qos: msg.qos, retain: msg.retain });
    },
    async command(ref, property, value, cause): Promise<CommandResult> {
      const t = target(deps.devices, ref, property);
      if (t.device.commandTopic) deps.tracker.expect(t.device.commandTopic, undefined, cause);
      const out = await deps.commander.command(t.device.id, t.property, value, cause);
      return { deviceId: t.device.id, property: t.property, topic: out.topic, payload: out.payload };
    },
    async notify(n, ruleId, cause) {
      deps.bus.emit('notification', { id: randomBytes(6).toString('hex'), ts: deps.now(), level: 'info', ruleId, cause, message: n.message, ...(n.title !== undefined ? { title: n.title } : {}) });
      if (!n.webhook) return undefined;
      const body = JSON.stringify({ rule: ruleId, title: n.title ?? null, message: n.message, ts: deps.now() });
      return postWebhook(n.webhook, body, n.secret ? signedHeaders(n.secret, body, deps.now()) : {}, deps.webhookTimeoutMs ?? 5000);
    },
    runRule: (ruleId, cause) => deps.runRule(ruleId, cause),
    log(level, message, ruleId) {
      deps.log[level]({ rule: ruleId }, message);
    },
  };
}

/** Never throws: the outcome is a sentence for the trace. */
async function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok ? `webhook answered ${res.status}` : `webhook failed: HTTP ${res.status}`;
  } catch (err) {
    const e = err as Error;
    return e.name === 'TimeoutError' ? `webhook failed: no answer within ${timeoutMs} ms` : `webhook failed: ${e.message}`;
  }
}

/** For dry runs: every check, no side effect; what would have happened is said in the trace. */
export function dryEffects(devices: DeviceIndex): Effects {
  return {
    dry: true,
    publish: async () => undefined,
    async command(ref, property, value: StateValue) {
      const t = target(devices, ref, property);
      const cap = t.device.capabilities.find((c) => c.property === t.property);
      if (cap && !cap.access.settable) throw new RumahError(ErrorCodes.NOT_SETTABLE, `${t.device.id}.${t.property} only reports; it cannot be set`);
      void value;
      return { deviceId: t.device.id, property: t.property, ...(t.device.commandTopic ? { topic: t.device.commandTopic } : {}) };
    },
    notify: async (n) => (n.webhook ? `would POST to ${n.webhook}` : undefined),
    runRule: (ruleId) => `would run rule ${ruleId}`,
    log: () => undefined,
  };
}
