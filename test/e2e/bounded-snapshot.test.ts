import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, watchedPage } from './lib/browser.js';
import { liveConnect, sessionCookie } from './lib/socket-client.js';

// The dashboard's snapshot goes out in parts when it is large (server/realtime/parts.ts): the first part as
// `snapshot`, the others as `deltas` adding whole devices. The real page in Chromium must show every device.

test('dashboard in Chromium: a snapshot sent in parts shows every device, with its state', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  // 20 devices at the per-device bound (4 values of 60,000 characters) and a temperature: ~4.8 Mi characters, two parts.
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const thing = `shelf${String(i).padStart(2, '0')}`;
    const blobs: Record<string, string | number> = { temperature: 10 + i };
    for (let k = 0; k < 4; k++) blobs[`blob${k}`] = String.fromCharCode(97 + ((i + k) % 26)).repeat(60_000);
    await publish(device, `ourhome/cellar/store/${thing}`, JSON.stringify(blobs));
    ids.push(`ourhome-cellar-store-${thing}`);
  }
  await waitFor(() => ids.every((id) => Object.keys(hub.hub.states.get(id) ?? {}).length === 5), 10_000, 'all states');

  // It does go in parts (what the page below must cope with): the first holds only some devices.
  const probe = await liveConnect(hub.httpUrl, { cookie: await sessionCookie(hub.httpUrl, 'admin', adminPassword) });
  probe.socket.close();
  assert.ok(probe.snapshot.devices.length < ids.length, `first part: ${probe.snapshot.devices.length} devices`);

  const browser = await launch();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, problems } = await watchedPage(context);
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  const room = page.getByRole('region', { name: 'Cellar, Store' });
  await waitFor(async () => (await room.locator('[data-device-id]').count()) === ids.length, 20_000, 'every tile');
  // The last device is in the second part: its tile shows its state.
  await page.locator(`[data-device-id="${ids.at(-1)}"]`).locator('.prop-value', { hasText: '29' }).first().waitFor();
  // The one 401 is the page asking who is logged in before the login.
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
