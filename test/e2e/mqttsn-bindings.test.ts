import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, deviceAccount, waitFor } from '../helpers/hub.js';
import { SnClient, snHub } from '../helpers/mqttsn-client.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

test('pairing page in Chromium: an admin binds an MQTT-SN client id to an account, the sensor connects; unbinds it, refused', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'e2e-garden');
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('garden-7'), 0x03, 'not bound yet');

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems, dialogs } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  await page.goto(`${hub.httpUrl}/pairing`);
  const section = page.getByRole('region', { name: 'MQTT-SN clients' });
  await section.getByText('No MQTT-SN client is bound.').waitFor();
  const form = section.getByRole('form', { name: 'Bind an MQTT-SN client' });
  // A bad address is refused with the API's message and binds nothing.
  await form.getByLabel('Client id').fill('garden-7');
  await form.getByLabel('Account').selectOption(account.username);
  await form.getByLabel('Only from').fill('not-an-ip');
  await form.getByRole('button', { name: 'Bind' }).click();
  await section.getByRole('alert').filter({ hasText: 'not an IPv4 or IPv6 address' }).waitFor();
  assert.deepEqual(await hub.bindings.list(), []);

  await form.getByLabel('Only from').fill('127.0.0.1');
  await form.getByRole('button', { name: 'Bind' }).click();
  const row = section.getByRole('row').filter({ has: page.locator('code', { hasText: /^garden-7$/ }) });
  await row.getByRole('cell', { name: 'e2e-garden', exact: true }).waitFor();
  await row.getByRole('cell', { name: '127.0.0.1', exact: true }).waitFor();
  await screenshot(page, 'mqttsn-bindings');
  assert.equal(await sn.connect('garden-7'), 0, 'bound in the dashboard');
  sn.send({ type: 'disconnect' });
  await sn.next('disconnect');

  await row.getByRole('button', { name: 'Unbind garden-7' }).click();
  await section.getByText('No MQTT-SN client is bound.').waitFor();
  await waitFor(async () => (await hub.bindings.list()).length === 0, 5000, 'the binding to go');
  assert.equal(await sn.connect('garden-7'), 0x03, 'unbound in the dashboard');
  // The first page load asks who is logged in before the login (401, as in dashboard.test.ts); the bad address, 400.
  assert.deepEqual([problems.filter((p) => !/(401 \(Unauthorized\)|400 \(Bad Request\))/.test(p)), dialogs], [[], []]);
});

test('pairing page in Chromium: an MQTT-SN client in the join window is a candidate marked MQTT-SN; accepted, it connects', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems, dialogs } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  await page.goto(`${hub.httpUrl}/pairing`);
  await page.getByRole('button', { name: 'Open join window' }).click();
  await page.getByRole('timer').waitFor();
  assert.equal(await sn.connect('attic-3'), 0x03, 'refused until accepted');
  const candidate = page.locator('li.candidate[data-username="attic-3"]');
  await candidate.getByText(/MQTT-SN client attic-3 from 127\.0\.0\.1 · waits for acceptance/).waitFor();
  await screenshot(page, 'mqttsn-candidate');
  await candidate.getByRole('button', { name: 'Accept attic-3' }).click();
  await candidate.waitFor({ state: 'detached' });
  assert.equal(await sn.connect('attic-3'), 0, 'admitted after acceptance');
  assert.deepEqual((await hub.bindings.list()).map((b) => [b.clientId, b.account, b.addresses]), [['attic-3', 'attic-3', ['127.0.0.1']]]);
  assert.deepEqual([problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), dialogs], [[], []]);
});
