import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { conventionFactories } from '../../../devices/conventions.js';
import { EventBus } from '../../../server/core/event-bus.js';
import type { HubEvents, MqttMessage } from '../../../server/core/events.js';
import { Registry } from '../../../server/core/registry.js';
import { StateStore } from '../../../server/core/state-store.js';

// Home Assistant's expire_after, end to end through the registry: the expiry follows the device's discovery
// config as it changes, not the config it had when it was created.

const config = (expireAfter?: number): MqttMessage => ({
  topic: 'homeassistant/sensor/garden_temp/config', qos: 0, retain: true, username: 'sensor', clientId: 'garden',
  payload: Buffer.from(JSON.stringify({ name: 'Temperature', uniq_id: 'garden_temp', stat_t: 'ourhome/outside/garden/temperature', unit_of_meas: '°C', dev: { ids: ['garden-sensor'], name: 'Garden sensor' }, ...(expireAfter ? { exp_aft: expireAfter } : {}) })),
});
const reading: MqttMessage = { topic: 'ourhome/outside/garden/temperature', payload: Buffer.from('12.5'), qos: 0, retain: false, username: 'sensor', clientId: 'garden' };

test('expire_after: a silent device goes stale; after its config drops expire_after it no longer does', async (t) => {
  let now = 1_000_000;
  const log = pino({ level: 'silent' });
  const bus = new EventBus(log);
  const states = new StateStore(bus);
  const registry: Registry = new Registry({
    bus, log, states, maxDevicesPerAccount: 100, now: () => now,
    conventions: conventionFactories.map((f) => f({ log, now: () => now, getDevice: (id: string) => registry.get(id) })),
  });
  t.after(() => registry.stop());
  const changes: Array<HubEvents['availabilityChanged']> = [];
  bus.on('availabilityChanged', 'test', (c) => changes.push(c));
  // The registry sweeps deadlines once a real second; the clock it compares them with is ours.
  const nextSweep = () => new Promise((resolve) => setTimeout(resolve, 1200));

  registry.handleMessage(config(60));
  registry.handleMessage(reading);
  assert.equal(registry.get('garden-sensor')?.availability, 'online');
  now += 61_000;
  await nextSweep();
  assert.equal(registry.get('garden-sensor')?.availability, 'stale', 'silent for longer than expire_after');

  registry.handleMessage(config());
  registry.handleMessage(reading);
  assert.equal(registry.get('garden-sensor')?.availability, 'online');
  now += 120_000;
  await nextSweep();
  assert.equal(registry.get('garden-sensor')?.availability, 'online', 'expire_after is gone from its config');
  assert.deepEqual(changes.map((c) => c.availability), ['online', 'stale', 'online']);
});
