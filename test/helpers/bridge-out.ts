import type { MqttClient } from 'mqtt';
import { publish as hubPublish, waitFor } from './hub.js';
import { bridgeSchema, type BridgeConfig } from '../../server/bridge/config.js';
import type { Hub } from '../../server/hub.js';

/** A bridge as rumah.yaml would give it, defaults filled in by the schema. */
export function bridge(fields: Record<string, unknown>): BridgeConfig {
  return bridgeSchema.parse({ name: 'remote', ...fields });
}

/** Waits (bounded) until `check` holds: helpers/hub.ts's waitFor, with what it waits for named first. */
export async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  await waitFor(check, ms, what);
}

/** The first outbound bridge's view. */
export function linkOf(hub: Hub, name = 'remote') {
  const view = hub.bridges!.view().find((b) => b.name === name);
  if (!view) throw new Error(`no bridge ${name}`);
  return view;
}

/** Every message a client receives, as `topic payload`. */
export function collect(client: MqttClient): string[] {
  const got: string[] = [];
  client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  return got;
}

export function subscribe(client: MqttClient, filter: string, qos: 0 | 1 = 1, opts: Record<string, unknown> = {}): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(filter, { qos, ...opts }, (err) => (err ? reject(err) : resolve())));
}

export function publish(client: MqttClient, topic: string, payload: string, qos: 0 | 1 = 1): Promise<void> {
  return hubPublish(client, topic, payload, { qos });
}
