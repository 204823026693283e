import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPassword, connect, startHub } from '../helpers/hub.js';
import { mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { bridge, linkOf, publish, until } from '../helpers/bridge-out.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

const skip = mosquittoBin() ? false : 'mosquitto is not installed';

test('broker page in Chromium: an outbound bridge with its state, messages and rules; its password nowhere', { skip }, async (t) => {
  const remote = await startMosquitto([]);
  t.after(() => remote.stop());
  const hub = await startHub({
    bridges: [bridge({ name: 'cloud', url: `mqtt://127.0.0.1:${remote.port}`, username: 'house', password: 'bridge-secret-2', topics: ['sensors/# out 1 "" site1/'] })],
  });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub, 'cloud').state === 'connected');
  const local = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword });
  t.after(() => local.end(true));
  await publish(local, 'sensors/hall', '20');
  await until('the message to cross', () => linkOf(hub.hub, 'cloud').messagesOut === 1);

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  await page.goto(`${hub.httpUrl}/broker`);
  const region = page.getByRole('region', { name: 'Outbound bridges' });
  const row = region.locator('[data-outbound-bridge="cloud"]');
  await row.getByRole('cell', { name: /^connected/ }).waitFor();
  await row.getByRole('cell', { name: /^1 \(/ }).first().waitFor();
  await row.locator('code', { hasText: 'sensors/# out 1 "" site1/' }).waitFor();
  assert.ok(!(await page.content()).includes('bridge-secret-2'), 'the password is not on the page');
  assert.equal(await row.getByRole('button').count(), 0, 'a rumah.yaml bridge is not edited here');

  // An admin adds one in the form: it connects; its password is not shown back; then it is deleted.
  const form = region.locator('form');
  await form.getByLabel('Name', { exact: true }).fill('friend');
  await form.getByLabel(/^Remote URL/).fill(`mqtt://127.0.0.1:${remote.port}`);
  await form.getByLabel('Protocol').selectOption('5');
  await form.getByLabel('Username', { exact: true }).fill('neighbour');
  await form.getByLabel(/^Password/).fill('bridge-secret-4');
  await form.getByLabel(/^Topics/).fill('garden/# both 1 "" neighbour/');
  await form.getByRole('button', { name: 'Save bridge' }).click();
  await region.getByRole('status').filter({ hasText: 'Bridge friend saved.' }).waitFor();
  const friend = region.locator('[data-outbound-bridge="friend"]');
  await friend.getByRole('cell', { name: /^connected/ }).waitFor();
  assert.equal(hub.hub.bridges!.configOf('friend')?.protocolVersion, 5);
  assert.ok(!(await page.content()).includes('bridge-secret-4'), 'the new password is not on the page');
  await screenshot(page, 'broker-outbound-bridges');
  await friend.getByRole('button', { name: 'Delete friend' }).click();
  await region.getByRole('status').filter({ hasText: 'Bridge friend deleted.' }).waitFor();
  await friend.waitFor({ state: 'detached' });
  // Before the login the page asks who is logged in and gets a 401: that one is expected.
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
