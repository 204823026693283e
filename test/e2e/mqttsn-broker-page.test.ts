import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, deviceAccount } from '../helpers/hub.js';
import { SnClient, snHub } from '../helpers/mqttsn-client.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

test('broker page in Chromium: an MQTT-SN client is listed with its account and protocol MQTT-SN', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'e2e-sn');
  await hub.bindings.bind('e2e-sn-sensor', account.username, undefined);
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('e2e-sn-sensor', { duration: 600 }), 0);

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems, dialogs } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  await page.goto(`${hub.httpUrl}/broker`);
  const row = page.getByRole('row').filter({ has: page.locator('code', { hasText: /^e2e-sn-sensor$/ }) });
  await row.getByRole('cell', { name: 'MQTT-SN', exact: true }).waitFor();
  await row.getByRole('cell', { name: 'e2e-sn', exact: true }).waitFor();
  await screenshot(page, 'mqttsn-broker-page');
  // The first page load asks who is logged in before the login: that 401 is expected (as in dashboard.test.ts).
  assert.deepEqual([problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), dialogs], [[], []]);
});
