import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

// One hub and one browser for the file; the steps build on each other.
test('Devices page in Chromium: table, search, filters, sort, live rows, bulk move / rename / forget; members without bulk', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  await hub.hub.users.create('mia', 'member-password', 'member');
  const account = await deviceAccount(hub, 'house-devices');
  const device = await connect(hub.mqttUrl, account);
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/livingroom/lamp', 'OFF');
  await publish(device, 'ourhome/groundfloor/kitchen/light', 'ON');
  await publish(device, 'ourhome/groundfloor/kitchen/fridge', '{"temperature": 4, "battery": 87, "linkquality": 120}');
  await publish(device, 'ourhome/firstfloor/bedroom/window', '{"contact": "closed", "battery": 15}');
  await publish(device, 'ourhome/firstfloor/office/desklamp', 'OFF');
  await publish(device, 'homeassistant/sensor/porch/config', JSON.stringify({ name: 'Porch', uniq_id: 'porch-t', stat_t: 'porch/t', dev: { ids: ['porch-dev'], name: 'Porch' } }));
  await waitFor(() => hub.hub.registry.size === 6, 5000, 'six devices');

  const browser = await launch();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, problems, dialogs } = await watchedPage(context);
  const rows = page.locator('.devices-table tbody tr');
  const names = async (): Promise<string[]> => rows.locator('th a').allTextContents();
  /** The names shown, in order, become `want` (or the test fails showing what is there). */
  const shows = async (want: string[], what: string, part = (list: string[]) => list): Promise<void> => {
    try {
      await waitFor(async () => part(await names()).join('|') === want.join('|'), 5000, what);
    } catch {
      assert.deepEqual(part(await names()), want, what);
    }
  };
  const row = (id: string) => page.locator(`.devices-table tr[data-device-id="${id}"]`);
  const fridge = 'ourhome-groundfloor-kitchen-fridge';
  const windowId = 'ourhome-firstfloor-bedroom-window';

  await t.test('every device in a table, with area, convention, account, availability, battery and link quality', async () => {
    await logIn(page, hub.httpUrl, 'admin', adminPassword);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await waitFor(async () => (await rows.count()) === 6, 5000, 'six rows');
    const cells = await row(fridge).locator('td, th').allTextContents();
    assert.deepEqual(cells.slice(1), ['Kitchen fridge' + fridge, 'Ground floor › Kitchen', 'native', 'house-devices', 'online', cells[6]!, '87 %', '120 LQI']);
    assert.match(cells[6]!, /ago|now/);
    assert.equal(await row(windowId).locator('td[data-label="Link"]').textContent(), '—');
    assert.match((await page.locator('#devices-count').textContent())!, /^6 devices$/);
    // Rows laid out as grids are still a table to assistive technology: a header row and a row per device.
    assert.equal(await page.getByRole('table').getByRole('row').count(), 7);
    assert.equal(await page.getByRole('row', { name: /Kitchen fridge/ }).getByRole('cell', { name: '87 %' }).count(), 1);
    await screenshot(page, 'devices');
  });

  await t.test('search by name, id or topic; filter by area, convention and availability', async () => {
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('lamp');
    await waitFor(async () => (await rows.count()) === 2, 5000, 'two lamps');
    assert.deepEqual((await names()).sort(), ['Living room lamp', 'Office desk lamp']);
    await search.fill('porch/t');
    await shows(['Porch'], 'found by topic');
    await search.fill('firstfloor-bedroom');
    await shows(['Bedroom window'], 'found by id');
    await search.fill('');
    await page.getByRole('search').getByLabel('Area').selectOption({ label: 'Ground floor' });
    await waitFor(async () => (await rows.count()) === 3, 5000, 'the ground floor');
    await page.getByRole('search').getByLabel('Area').selectOption({ label: 'Ground floor › Kitchen' });
    await waitFor(async () => (await rows.count()) === 2, 5000, 'the kitchen');
    await page.getByRole('search').getByLabel('Area').selectOption({ label: 'No area' });
    await shows(['Porch'], 'no area');
    await page.getByRole('search').getByLabel('Area').selectOption({ label: 'All areas' });
    await page.getByLabel('Convention').selectOption('homeassistant');
    await shows(['Porch'], 'HA devices');
    await page.getByLabel('Convention').selectOption('');
    await page.getByLabel('Availability').selectOption('unknown');
    await shows(['Porch'], 'not heard from yet');
    await page.getByLabel('Availability').selectOption('');
    assert.match((await page.locator('#devices-count').textContent())!, /^6 devices$/);
  });

  await t.test('sort by any column, both ways; devices without the value last', async () => {
    await shows(['Bedroom window'], 'by name', (l) => l.slice(0, 1));
    await page.getByRole('button', { name: 'Name' }).click();
    await shows(['Porch'], 'by name, descending', (l) => l.slice(0, 1));
    assert.equal(await page.locator('th[aria-sort="descending"]').textContent(), 'Name ▼');
    await page.getByRole('button', { name: 'Battery' }).click();
    await shows(['Bedroom window', 'Kitchen fridge'], 'by battery', (l) => l.slice(0, 2));
    await page.getByRole('button', { name: 'Battery' }).click();
    await shows(['Kitchen fridge', 'Bedroom window'], 'by battery, descending', (l) => l.slice(0, 2));
    await page.getByRole('button', { name: 'Area' }).click();
    const byArea = await names();
    assert.equal(byArea.at(-1), 'Porch', 'no area last');
    assert.deepEqual(byArea.slice(0, 3).map((n) => n.split(' ')[0]), ['Living', 'Kitchen', 'Kitchen'], 'ground floor first (its area comes first)');
  });

  await t.test('a report updates its row in place, and only its row', async () => {
    // Every element that changes is recorded: a delta for the fridge must touch the fridge's row and nothing else
    // ("12 s ago" labels move with the page's shared ticker, in every row: those are left out).
    await page.evaluate(`(() => {
      window.__touched = new Set();
      const body = document.querySelector('.devices-table tbody');
      new MutationObserver((records) => {
        for (const r of records) {
          const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
          if (node && node.closest('td[data-label="Last seen"]')) continue;
          const tr = node && node.closest('tr');
          window.__touched.add(tr ? tr.dataset.deviceId : 'table');
        }
      }).observe(body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    await publish(device, 'ourhome/groundfloor/kitchen/fridge', '{"temperature": 5, "battery": 55, "linkquality": 99}');
    await row(fridge).locator('td[data-label="Battery"]', { hasText: '55 %' }).waitFor();
    await row(fridge).locator('td[data-label="Link"]', { hasText: '99 LQI' }).waitFor();
    assert.deepEqual(await page.evaluate('[...window.__touched]'), [fridge]);
  });

  await t.test('bulk: select rows, move them to a room picked from the list', async () => {
    await page.getByRole('checkbox', { name: 'Select Living room lamp' }).check();
    await page.getByRole('checkbox', { name: 'Select Porch' }).check();
    const bulk = page.getByRole('region', { name: 'Selected devices' });
    await bulk.getByText('2 selected').waitFor();
    await bulk.getByLabel('Move to').selectOption({ label: 'First floor › Office' });
    await bulk.getByRole('button', { name: 'Move' }).click();
    await page.getByRole('status').filter({ hasText: 'Moved 2 devices to First floor › Office.' }).waitFor();
    await row('ourhome-groundfloor-livingroom-lamp').locator('td[data-label="Area"]', { hasText: 'First floor › Office' }).waitFor();
    assert.deepEqual([hub.hub.registry.get('ourhome-groundfloor-livingroom-lamp')?.floor, hub.hub.registry.get('ourhome-groundfloor-livingroom-lamp')?.room], ['First floor', 'Office']);
    await screenshot(page, 'devices-bulk');
  });

  await t.test('bulk: select all shown (after a filter), rename a single device, forget', async () => {
    await bulkClear(page);
    await page.getByRole('searchbox', { name: 'Search' }).fill('kitchen');
    await waitFor(async () => (await rows.count()) === 2, 5000, 'the kitchen');
    await page.getByRole('checkbox', { name: 'Select all shown' }).check();
    const bulk = page.getByRole('region', { name: 'Selected devices' });
    await bulk.getByText('2 selected').waitFor();
    assert.equal(await bulk.getByRole('button', { name: 'Rename' }).count(), 0, 'rename is for one device');
    await page.getByRole('checkbox', { name: 'Select Kitchen light' }).uncheck();
    await bulk.getByLabel('Name').fill('Fridge');
    await bulk.getByRole('button', { name: 'Rename' }).click();
    await row(fridge).locator('th a', { hasText: /^Fridge$/ }).waitFor();
    await bulk.getByRole('button', { name: 'Forget…' }).click();
    await bulk.getByRole('button', { name: 'Yes, forget Fridge' }).click();
    await page.getByRole('status').filter({ hasText: 'Forgot 1 device.' }).waitFor();
    await waitFor(async () => (await row(fridge).count()) === 0, 5000, 'the row gone');
    assert.equal(hub.hub.registry.get(fridge), undefined);
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await waitFor(async () => (await rows.count()) === 5, 5000, 'five left');
  });

  await t.test('a member sees the table without bulk actions; on a phone nothing is wider than the screen', async () => {
    const member = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }));
    await logIn(member.page, hub.httpUrl, 'mia', 'member-password');
    await member.page.goto(`${hub.httpUrl}/devices`);
    await waitFor(async () => (await member.page.locator('.devices-table tbody tr').count()) === 5, 5000, 'five rows');
    assert.equal(await member.page.getByRole('checkbox').count(), 0);
    assert.equal(await member.page.getByRole('link', { name: 'Floors and rooms' }).count(), 0);
    assert.equal(await member.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);
    await screenshot(member.page, 'devices-phone');
    // The one 401 is the page asking who is logged in before the login.
    assert.deepEqual(member.problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
  });

  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
  assert.deepEqual(dialogs, []);
});

async function bulkClear(page: import('playwright-core').Page): Promise<void> {
  const clear = page.getByRole('region', { name: 'Selected devices' }).getByRole('button', { name: 'Clear' });
  if (await clear.count()) await clear.click();
}
