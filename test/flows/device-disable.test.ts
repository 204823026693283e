import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, publish, startHub, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { loginAsAdmin, type Api } from '../helpers/http.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Issue 18 item 1: a device disabled from the Devices page (bulk) or its page (PATCH) is ignored by the hub — its
// reports change nothing, commands to it are refused — until it is enabled again; the choice survives a restart.
const lampTopic = 'ourhome/groundfloor/hall/light';
const otherTopic = 'ourhome/groundfloor/hall/sensor';

async function deviceIdOf(hub: TestHub, topic: string): Promise<string> {
  return waitFor(() => hub.hub.registry.list().find((d) => d.topic === topic)?.id, 5000, `the device on ${topic}`);
}

async function state(api: Api, id: string): Promise<unknown> {
  return (await api.get(`/api/devices/${encodeURIComponent(id)}`)).body.device.state.state?.value;
}

test('a disabled device is ignored (no state change, commands refused) until enabled; bulk and PATCH; kept across a restart', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  let hub = await startHub({}, { dataDir });
  let stopped = false;
  t.after(() => (stopped ? undefined : hub.stop()));
  const creds = await deviceAccount(hub);
  let device = await connect(hub.mqttUrl, creds);
  await publish(device, lampTopic, '{"state":"ON"}');
  await publish(device, otherTopic, '{"temperature":20}');
  const lamp = await deviceIdOf(hub, lampTopic);
  const other = await deviceIdOf(hub, otherTopic);
  let api = await loginAsAdmin(hub.httpUrl);
  await waitFor(async () => (await state(api, lamp)) === 'ON', 5000, 'the lamp on');

  const disabled = await api.post('/api/devices/bulk', { action: 'disable', ids: [lamp, 'no-such-device'] });
  assert.equal(disabled.status, 200);
  assert.deepEqual([disabled.body.done, disabled.body.missing], [1, ['no-such-device']]);
  const view = (await api.get(`/api/devices/${lamp}`)).body.device;
  assert.equal(view.disabled, true);
  assert.equal(view.availability, 'unknown', 'nothing it says is read any more');

  // Its report is ignored; a report of another device sent after it is read (so the first was handled, not late).
  await publish(device, lampTopic, '{"state":"OFF"}');
  await publish(device, otherTopic, '{"temperature":21}');
  await waitFor(() => hub.hub.states.get(other)?.temperature?.value === 21, 5000, 'the other device read');
  assert.equal(await state(api, lamp), 'ON', 'the disabled lamp keeps its last state');
  const command = await api.post(`/api/devices/${lamp}/command`, { property: 'state', value: false });
  assert.equal(command.status, 409);
  assert.equal(command.body.error.code, 'RUMAH_ERR_DEVICE_DISABLED');
  assert.match(command.body.error.message, /enables it again/);

  // A restart keeps it disabled.
  await end(device);
  await hub.stop();
  stopped = true;
  hub = await startHub({}, { dataDir });
  t.after(() => hub.stop());
  api = await loginAsAdmin(hub.httpUrl);
  assert.equal((await api.get(`/api/devices/${lamp}`)).body.device.disabled, true);
  device = await connect(hub.mqttUrl, creds);
  t.after(() => end(device));
  assert.equal((await api.patch(`/api/devices/${lamp}`, { disabled: 'yes' })).status, 400);

  // Enabled, its next report counts again and commands go out.
  const enabled = await api.patch(`/api/devices/${lamp}`, { disabled: false });
  assert.equal(enabled.status, 200);
  assert.equal(enabled.body.device.disabled, undefined);
  await publish(device, lampTopic, '{"state":"OFF"}');
  await waitFor(async () => (await state(api, lamp)) === 'OFF', 5000, 'the lamp off');
  assert.equal((await api.get(`/api/devices/${lamp}`)).body.device.availability, 'online');
  assert.equal((await api.post(`/api/devices/${lamp}/command`, { property: 'state', value: true })).status, 202);
});
