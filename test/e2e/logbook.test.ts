import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, end, publish, subscribe, waitFor } from '../helpers/hub.js';
import { account, login, startRulesHub } from '../flows/rules-helpers.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

// The logbook page (web/src/pages/logbook.tsx) in Chromium: newest first in words, older entries on reaching the
// end, new ones live on top, filtered by cause and area; usable at 390 px wide (a member on a phone).
test('the Logbook page: what happened, newest first, older on scroll, live arrivals on top, filters by cause and area; usable at 390 px', async (t) => {
  const h = await startRulesHub({
    files: {
      'night-mode.yaml': ['id: night-mode', 'name: Night mode', 'triggers: [{trigger: mqtt, topic: ourhome/cmd/night}]',
        'actions:', '  - action: set', '    device: ourhome/groundfloor/hall/light', '    value: false', ''].join('\n'),
    },
  });
  t.after(() => h.stop());
  const api = await login(h.httpUrl);
  assert.equal((await api.post('/api/users', { username: 'mia', password: 'member-password-1', role: 'member' })).status, 201);
  const house = await connect(h.mqttUrl, await account(h, 'house'));
  t.after(() => end(house));
  await subscribe(house, 'ourhome/groundfloor/hall/light/set');
  house.on('message', (topic, payload) => {
    if (topic === 'ourhome/groundfloor/hall/light/set') house.publish('ourhome/groundfloor/hall/light', payload.toString());
  });
  // 60 motion changes (more than the page's 50), then a few things worth reading on top.
  for (let i = 0; i < 60; i++) await publish(house, 'ourhome/groundfloor/hall/motion', i % 2 ? 'false' : 'true');
  await publish(house, 'ourhome/firstfloor/bedroom/window', 'open');
  await publish(house, 'ourhome/groundfloor/frontdoor/contact', 'open');
  await publish(house, 'ourhome/groundfloor/hall/light', 'ON');
  await waitFor(async () => (await api.get('/api/logbook?limit=1')).body.entries[0]?.message === 'Hall light turned on', 5000, 'the entries written');

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, h.httpUrl, 'admin', adminPassword);
  // The login's own entry is written within the logbook's next batch (200 ms): opened before that, the page would get
  // it live on top of its first 50 (51 once on a loaded machine).
  await waitFor(async () => /^admin logged in/.test((await api.get('/api/logbook?limit=1')).body.entries[0]?.message ?? ''), 5000, 'the login in the logbook');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Logbook' }).click();
  await page.getByRole('heading', { level: 1, name: 'Logbook' }).waitFor();
  const items = page.locator('.logbook-entry');
  await items.first().waitFor();
  assert.match((await items.first().textContent())!, /admin logged in/, 'the login just now is the newest');
  assert.deepEqual((await items.locator('.logbook-message').allTextContents()).filter((m) => !/logged in/.test(m)).slice(0, 3), ['Hall light turned on', 'Front door contact is open', 'Bedroom window is open']);
  assert.equal(await items.count(), 50, 'one page');
  const ids = (await items.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id')))));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');

  // Older ones when the end of the list is reached.
  await page.locator('.logbook-end').scrollIntoViewIfNeeded();
  await waitFor(async () => (await items.count()) > 50, 10_000, 'older entries');
  assert.equal(await page.getByRole('button', { name: 'Load older' }).count(), 0, 'nothing older left');

  // Live: a command from the REST API and a rule run arrive on top without a reload.
  const light = (await api.get('/api/devices')).body.devices.find((d: { topic: string }) => d.topic === 'ourhome/groundfloor/hall/light');
  await api.post(`/api/devices/${light.id}/command`, { property: 'light', value: false });
  await items.first().getByText('Hall light turned off').waitFor({ timeout: 10_000 });
  assert.ok((await items.locator('.logbook-message').allTextContents()).includes('admin turned off Hall light'));
  await screenshot(page, 'logbook');

  // Cause: rules only; the rule's run arrives live while the filter is on.
  await page.getByLabel('Cause', { exact: true }).selectOption({ label: 'Rules' });
  await page.locator('.empty').waitFor();
  await publish(house, 'ourhome/cmd/night', 'go');
  await items.getByText(/^Rule Night mode ran/).waitFor({ timeout: 10_000 });
  assert.ok((await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-cause')))).every((c) => c === 'rule'));
  assert.match(page.url(), /cause=rule/);

  // Area: the first floor holds the bedroom window only.
  await page.getByLabel('Cause', { exact: true }).selectOption({ label: 'Everything' });
  await page.getByLabel('Area', { exact: true }).selectOption({ label: 'First floor' }); // topic levels made areas (issue 18 item 2)
  // Twice in full runs this timed out showing older entries of every area under the first floor's: the end-of-list
  // observer's stale call (fixed, and made to happen on purpose in logbook-filters.test.ts). What the page showed is
  // still put in the message.
  await waitFor(async () => (await items.count()) === 1 && (await items.locator('.logbook-message').textContent()) === 'Bedroom window is open', 10_000, 'the first floor only').catch(async (err: Error) => {
    throw new Error(`${err.message}; shown: ${JSON.stringify(await items.locator('.logbook-message').allTextContents())} at ${page.url()}`);
  });

  // From a device's page, its logbook.
  await page.goto(`${h.httpUrl}/devices/${encodeURIComponent(light.id)}`);
  await page.getByRole('main').getByRole('link', { name: 'Logbook' }).click();
  await page.getByRole('heading', { level: 1, name: 'Logbook' }).waitFor();
  await waitFor(async () => (await items.count()) >= 3 && (await items.first().textContent())!.includes('Hall light'), 10_000, 'the light\'s entries');
  assert.equal(await page.getByLabel('Device', { exact: true }).inputValue(), light.id);
  assert.ok((await items.locator('.logbook-message').allTextContents()).every((m) => /Hall light/.test(m)));
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);

  // A member on a phone: the page fits 390 px, nothing scrolls sideways.
  const phone = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }));
  await logIn(phone.page, h.httpUrl, 'mia', 'member-password-1');
  await phone.page.goto(`${h.httpUrl}/logbook`);
  await phone.page.locator('.logbook-entry').first().waitFor();
  await publish(house, 'ourhome/groundfloor/frontdoor/contact', 'closed');
  await phone.page.locator('.logbook-entry').first().getByText('Front door contact is closed').waitFor({ timeout: 10_000 });
  assert.equal(await phone.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true, 'no horizontal scrolling at 390 px');
  await screenshot(phone.page, 'logbook-390');

  // Away and back: what was written while the socket was down is fetched when it is live again.
  await phone.page.context().setOffline(true);
  await phone.page.locator('.live-status[data-status="reconnecting"]').waitFor({ timeout: 60_000 });
  await publish(house, 'ourhome/firstfloor/bedroom/window', 'closed');
  await waitFor(async () => (await api.get('/api/logbook?limit=1')).body.entries[0]?.message === 'Bedroom window is closed', 5000, 'written while away');
  await phone.page.context().setOffline(false);
  await phone.page.locator('.live-status[data-status="live"]').waitFor({ timeout: 30_000 });
  await phone.page.locator('.logbook-entry').first().getByText('Bedroom window is closed').waitFor({ timeout: 10_000 });
  assert.equal(await phone.page.locator('.logbook-entry', { hasText: 'Front door contact is closed' }).count(), 1, 'nothing shown twice');
  assert.deepEqual(phone.problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
