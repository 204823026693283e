import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

// Issue 18 item 1, the bulk action "disable": from the Devices page a lamp is disabled, leaves Home and the lights
// count, shows as disabled in the table and on its page, ignores its reports; enabled from its page, it is back.
test('disable from the Devices page: off Home and the lights count, reports ignored; enabled again from its page', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/hall/light', 'ON');
  await publish(device, 'ourhome/groundfloor/kitchen/light', 'ON');
  await waitFor(() => hub.hub.registry.size === 2, 5000, 'two lamps');
  const hall = 'ourhome-groundfloor-hall-light';

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  const lightsOn = page.locator('#lights-on .count');
  await page.locator('#lights-on .count[data-count="2"]').waitFor();

  await page.getByRole('link', { name: 'Devices', exact: true }).click();
  const row = page.locator(`.devices-table tr[data-device-id="${hall}"]`);
  await row.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await page.getByText('Disabled 1 device.').waitFor();
  await row.locator('.disabled-badge').waitFor();
  assert.equal(await row.getAttribute('data-availability'), 'disabled');
  // The filter finds it.
  await page.getByLabel('Availability').selectOption('disabled');
  await waitFor(async () => (await page.locator('.devices-table tbody tr').count()) === 1, 5000, 'one disabled row');
  await screenshot(page, 'devices-disabled');

  // Its report changes nothing now.
  await publish(device, 'ourhome/groundfloor/hall/light', 'OFF');
  await publish(device, 'ourhome/groundfloor/kitchen/light', 'OFF');
  await waitFor(() => hub.hub.states.get('ourhome-groundfloor-kitchen-light')?.light?.value === false, 5000, 'the kitchen lamp read');
  assert.equal(hub.hub.states.get(hall)?.light?.value, true, 'the disabled lamp still on as it last said');

  await page.getByRole('link', { name: 'Home', exact: true }).click();
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
  assert.equal(await page.locator(`.tile[data-device-id="${hall}"]`).count(), 0, 'not on Home');
  await page.locator('#lights-on .count[data-count="0"]').waitFor();
  assert.equal(await page.locator('#lights-on small').textContent(), ' of 1', 'nor counted among the lights');

  await page.goto(`${hub.httpUrl}/devices/${hall}`);
  await page.locator('.page-head .disabled-badge').waitFor();
  await page.getByRole('button', { name: 'Enable device' }).click();
  await page.getByText('Enabled: its next report is read again.').waitFor();
  await publish(device, 'ourhome/groundfloor/hall/light', 'OFF');
  await waitFor(() => hub.hub.states.get(hall)?.light?.value === false, 5000, 'read again');
  await page.getByRole('button', { name: 'Disable device' }).waitFor();
  assert.equal(await lightsOn.count(), 0, 'the device page has no lights counter');
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
