import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { connect, end, nextMessage, publish, subscribe, waitFor, type TestHub } from './hub.js';

// A small furnished house for the backup and upgrade tests: a device account, a device with retained state,
// temperature history, a rule file and a QoS 1 subscriber's persistent session. `checkHouse` proves each is there.

export const sensor = { username: 'kitchen-sensor' } as const;
export const RULE_FILE = 'fan.yaml';
export const RULE_ID = 'kitchen-fan';
export const RULE_YAML = `id: ${RULE_ID}
name: Kitchen fan
triggers:
  - trigger: numeric
    topic: ourhome/firstfloor/kitchen/temperature
    above: 28
actions:
  - action: publish
    topic: ourhome/firstfloor/kitchen/fan/set
    payload: "ON"
`;
export const RETAINED_TOPIC = 'ourhome/groundfloor/hall/light';
export const TEMPERATURE_TOPIC = 'ourhome/firstfloor/kitchen/temperature';

export interface Furnished {
  password: string;
  /** Temperature readings published (each one history row). */
  readings: number;
}

/** Furnishes a running hub; history is flushed when it returns. */
export async function furnish(t: TestHub, readings = 20): Promise<Furnished> {
  const password = await t.hub.store.accounts.create(sensor.username, 'device');
  fs.mkdirSync(path.join(t.dataDir, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(t.dataDir, 'rules', RULE_FILE), RULE_YAML);
  const device = await connect(t.mqttUrl, { username: sensor.username, password, clientId: 'kitchen-sensor-1' });
  try {
    await publish(device, RETAINED_TOPIC, 'ON', { retain: true, qos: 1 });
    // Distinct values (a repeated value may not make a new history row), below the rule's threshold.
    for (let i = 0; i < readings; i++) await publish(device, TEMPERATURE_TOPIC, String(20 + i / 100), { qos: 1 });
  } finally {
    await end(device);
  }
  await waitFor(async () => (await historyRows(t)) >= readings, 10_000, 'history rows');
  await waitFor(() => t.hub.rules.list().some((r) => r.id === RULE_ID && r.state === 'running'), 10_000, 'rule loaded');
  return { password, readings };
}

export async function historyRows(t: TestHub): Promise<number> {
  await t.hub.store.writer.flush();
  return (await t.hub.store.db.get<{ n: number }>('SELECT count(*) AS n FROM history'))!.n;
}

/** Everything furnish made is in the hub `t`: the device, its login, the rule, the retained message, the history. */
export async function checkHouse(t: TestHub, house: Furnished, minRows = house.readings): Promise<void> {
  const devices = t.hub.registry.list();
  assert.ok(devices.some((d) => d.topic === TEMPERATURE_TOPIC), `the temperature device is back (have ${devices.map((d) => d.topic).join(', ')})`);
  assert.ok(devices.some((d) => d.topic === RETAINED_TOPIC), 'the light is back');
  const rule = t.hub.rules.list().find((r) => r.id === RULE_ID);
  assert.equal(rule?.state, 'running', 'the rule is back and running');
  assert.ok((await historyRows(t)) >= minRows, 'the history rows are back');
  // The credential: the device logs in with its password, and sees its retained message.
  let device: MqttClient | undefined;
  try {
    device = await connect(t.mqttUrl, { username: sensor.username, password: house.password, clientId: 'kitchen-sensor-check' });
    const retained = nextMessage(device, (topic) => topic === RETAINED_TOPIC);
    await subscribe(device, RETAINED_TOPIC);
    assert.equal((await retained).payload, 'ON');
  } finally {
    await end(device);
  }
}
