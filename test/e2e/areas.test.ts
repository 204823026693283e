import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

/** The floors and rooms of the home page, in the order shown. */
async function homeOrder(page: Page): Promise<string[]> {
  return page.locator('section.room').evaluateAll((rooms) => rooms.map((r) => r.getAttribute('aria-label') ?? ''));
}

test('floors and rooms in Chromium: prettified from topics, added, renamed, reordered, deleted once for all devices; picked on the device page', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  await hub.hub.users.create('mia', 'member-password', 'member');
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/livingroom/lamp', 'OFF');
  await publish(device, 'ourhome/groundfloor/kitchen/light', 'OFF');
  await publish(device, 'ourhome/firstfloor/bedroom/lamp', 'OFF');
  await waitFor(() => hub.hub.registry.size === 3, 5000, 'three devices');

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems, dialogs } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  const status = (text: string) => page.locator('[role="status"].form-ok', { hasText: text });
  const floorRow = (name: string) => page.getByRole('group', { name: `floor ${name}` });
  const roomRow = (name: string) => page.getByRole('group', { name: `room ${name}` });

  await t.test('topic levels became areas with readable names, in the order they were first seen', async () => {
    await logIn(page, hub.httpUrl, 'admin', adminPassword);
    await page.getByRole('region', { name: 'Ground floor, Living room' }).getByText('Living room lamp').waitFor();
    assert.deepEqual(await homeOrder(page), ['Ground floor, Living room', 'Ground floor, Kitchen', 'First floor, Bedroom']);
  });

  await t.test('add a floor and a room; move a floor up: the home page follows that order', async () => {
    await page.getByRole('link', { name: 'Devices' }).first().click();
    await page.getByRole('link', { name: 'Floors and rooms' }).click();
    await page.getByRole('heading', { level: 1, name: 'Floors and rooms' }).waitFor();
    await page.getByLabel('New floor').fill('Attic');
    await page.getByRole('button', { name: 'Add floor' }).click();
    await status('Floor Attic added.').waitFor();
    await page.getByLabel('New room on Attic').fill('Storage');
    await page.getByRole('button', { name: 'Add room' }).last().click();
    await status('Room Storage added to Attic.').waitFor();
    await roomRow('Storage').waitFor();
    // A name that differs only in case or spaces is the same area: refused with the hub's words.
    await page.getByLabel('New floor').fill('first  FLOOR');
    await page.getByRole('button', { name: 'Add floor' }).click();
    await page.getByRole('alert').filter({ hasText: 'exists already' }).waitFor();
    await floorRow('First floor').getByRole('button', { name: 'Move First floor up' }).click();
    await status('First floor moved up.').waitFor();
    const floors = await page.locator('.area-floor > .area-row strong').allTextContents();
    assert.deepEqual(floors, ['First floor', 'Ground floor', 'Attic']);
    await screenshot(page, 'areas');
    await page.getByRole('link', { name: 'Home' }).first().click();
    await waitFor(async () => (await homeOrder(page))[0] === 'First floor, Bedroom', 5000, 'first floor first');
    assert.deepEqual(await homeOrder(page), ['First floor, Bedroom', 'Ground floor, Living room', 'Ground floor, Kitchen']);
  });

  await t.test('the device page moves a device by picking an area from the list', async () => {
    await page.locator('[data-device-id="ourhome-groundfloor-kitchen-light"] .tile-name a').click();
    await page.getByRole('heading', { level: 1, name: 'Kitchen light' }).waitFor();
    const area = page.getByLabel('Area');
    assert.equal(await area.locator('option:checked').textContent(), 'Ground floor › Kitchen');
    const options = await area.locator('option').allTextContents();
    assert.deepEqual(options, ['No area', 'First floor', 'First floor › Bedroom', 'Ground floor', 'Ground floor › Living room', 'Ground floor › Kitchen', 'Attic', 'Attic › Storage']);
    await area.selectOption({ label: 'Attic › Storage' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    assert.deepEqual([hub.hub.registry.get('ourhome-groundfloor-kitchen-light')?.floor, hub.hub.registry.get('ourhome-groundfloor-kitchen-light')?.room], ['Attic', 'Storage']);
  });

  await t.test('rename a room once for all its devices; delete a floor: its devices are unassigned, and the page says so', async () => {
    await page.goto(`${hub.httpUrl}/areas`);
    await roomRow('Living room').getByRole('button', { name: 'Rename Living room' }).click();
    await roomRow('Living room').getByLabel('Name of room').fill('Lounge');
    await roomRow('Living room').getByRole('button', { name: 'Save' }).click();
    await status('Renamed to Lounge on 1 device.').waitFor();
    await floorRow('Attic').getByRole('button', { name: 'Delete Attic' }).click();
    await floorRow('Attic').getByText('1 device will have no area.').waitFor();
    await floorRow('Attic').getByRole('button', { name: 'Yes, delete Attic' }).click();
    await status('Deleted Attic and its 1 room: 1 device now has no area.').waitFor();
    await page.getByRole('link', { name: 'Home' }).first().click();
    await page.getByRole('region', { name: 'Ground floor, Lounge' }).getByText('Living room lamp').waitFor();
    await page.getByRole('region', { name: 'Elsewhere, Unassigned' }).getByText('Kitchen light').waitFor();
    await screenshot(page, 'home-areas');
  });

  await t.test('members cannot open the areas page; on a phone it fits the screen', async () => {
    const member = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }));
    await logIn(member.page, hub.httpUrl, 'mia', 'member-password');
    await member.page.goto(`${hub.httpUrl}/areas`);
    await member.page.getByRole('heading', { name: 'Admins only' }).waitFor();
    const phone = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }));
    await logIn(phone.page, hub.httpUrl, 'admin', adminPassword);
    await phone.page.goto(`${hub.httpUrl}/areas`);
    await phone.page.getByRole('group', { name: 'floor Ground floor' }).waitFor();
    assert.equal(await phone.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);
    await screenshot(phone.page, 'areas-phone');
  });

  // The 401 is the page asking who is logged in before the login; the 409 is the duplicate floor refused above.
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)|409 \(Conflict\)/.test(p)), []);
  assert.deepEqual(dialogs, []);
});
