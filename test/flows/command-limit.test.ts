import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { client, loginAsAdmin } from '../helpers/http.js';

test('commands from one user are rate limited (429 naming devices.commandRate); another token is not held back', async (t) => {
  const hub = await startHub({ devices: { commandRate: 1, commandBurst: 5 } as never });
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  const received: string[] = [];
  device.on('message', (topic, payload) => {
    if (topic === 'ourhome/groundfloor/hall/light/set') received.push(payload.toString());
  });
  await subscribe(device, 'ourhome/groundfloor/hall/light/set');
  await publish(device, 'ourhome/groundfloor/hall/light', 'OFF');
  const admin = await loginAsAdmin(hub.httpUrl);
  await waitFor(async () => (await admin.get('/api/devices/ourhome-groundfloor-hall-light')).status === 200);

  const t0 = performance.now();
  const statuses: number[] = [];
  let refusal: { error: { code: string; message: string } } | undefined;
  for (let i = 0; i < 12; i++) {
    const res = await admin.post('/api/devices/ourhome-groundfloor-hall-light/command', { property: 'light', value: i % 2 === 0 });
    statuses.push(res.status);
    if (res.status === 429) refusal ??= res.body;
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const accepted = statuses.filter((s) => s === 202).length;
  assert.deepEqual([...new Set(statuses)].sort(), [202, 429], `statuses: ${statuses.join(' ')}`);
  // The burst of 5, plus one for each second the loop took (rate 1/s).
  assert.ok(accepted >= 5 && accepted <= 5 + Math.floor(elapsedS), `${accepted} accepted in ${elapsedS.toFixed(2)} s`);
  assert.equal(statuses.slice(0, 5).every((s) => s === 202), true, 'the burst passes');
  assert.equal(refusal?.error.code, 'RUMAH_ERR_RATE_LIMITED');
  assert.match(refusal!.error.message, /too many commands from admin: devices\.commandRate allows 1 a second; try again in \d+ ms/);

  // Another principal has its own allowance.
  const token = await hub.hub.store.apiTokens.create('script');
  const script = client(hub.httpUrl, { authorization: `Bearer ${token}` });
  assert.equal((await script.post('/api/devices/ourhome-groundfloor-hall-light/command', { property: 'light', value: true })).status, 202);

  // Only the accepted commands reached the device. The hub publishes to it in order on one connection, so once the
  // script's command (the last) is there, any refused one that had slipped through would be there too.
  await waitFor(() => received.at(-1) === 'ON' && received.length >= accepted + 1, 5000, "the script's command at the device");
  assert.equal(received.length, accepted + 1, received.join(' '));
});
