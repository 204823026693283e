// Pairing and the join window for an MQTT 5 device: everything above the broker works the same as for 3.1.1, with
// MQTT 5's reason codes where 3.1.1 has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';

test('MQTT 5: refused with 0x86 while the window is closed; a candidate in it, its publishes answered 0x87 and listed; accepted, it is a device', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  const device = { username: 'garden-sensor', password: 'chosen-by-the-device', protocolVersion: 5 as const };
  await assert.rejects(connect(hub.mqttUrl, device), (err: Error & { code?: number }) => err.code === 0x86);

  await api.post('/api/pairing/open', { seconds: 60 });
  const candidate = await connect(hub.mqttUrl, { ...device, clientId: 'garden-1' });
  // Not accepted yet: MQTT 5 can say so (PUBACK 0x87) where 3.1.1 acknowledges and drops; the connection stays.
  await assert.rejects(publish(candidate, 'ourhome/garden/lawn/moisture', '31'), (err: Error & { code?: number }) => err.code === 0x87);
  assert.equal(candidate.connected, true);
  const state = await waitFor(async () => {
    const s = (await api.get('/api/pairing')).body;
    return s.candidates[0]?.topics.length ? s : undefined;
  });
  assert.deepEqual(state.candidates.map((c: { username: string; topics: string[] }) => [c.username, c.topics]), [['garden-sensor', ['ourhome/garden/lawn/moisture']]]);
  assert.equal(hub.hub.registry.get('ourhome-garden-lawn-moisture'), undefined);

  const closed = new Promise<void>((resolve) => candidate.once('close', () => resolve()));
  assert.equal((await api.post('/api/pairing/candidates/garden-sensor/accept', {})).status, 200);
  await closed;
  await end(candidate);
  await api.post('/api/pairing/close', {});

  const paired = await connect(hub.mqttUrl, device);
  t.after(() => end(paired));
  await publish(paired, 'ourhome/garden/lawn/moisture', '33');
  const made = await waitFor(() => hub.hub.registry.get('ourhome-garden-lawn-moisture'));
  assert.equal(made.owner, 'garden-sensor');
});
