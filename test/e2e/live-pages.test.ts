import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { adminPassword, connect, end, publish, waitFor } from '../helpers/hub.js';
import { account, startRulesHub } from '../flows/rules-helpers.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

// Issue 18 item 7: the rules list, a rule's timeline, the broker page and the device accounts arrive over the socket
// (server/realtime/live-topics.ts), not by polling; the header's bell counts unread notifications. "No polling" is
// shown by counting the page's REST requests while live updates arrive: none.

/** Every /api/ request the page makes from now on (method and path). */
function apiRequests(page: Page): { list: string[]; since(): string[] } {
  const list: string[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/api/')) list.push(`${req.method()} ${url.pathname}`);
  });
  let mark = 0;
  return {
    list,
    since: () => {
      const out = list.slice(mark);
      mark = list.length;
      return out;
    },
  };
}

test('live pages in Chromium: rules, timeline, bell, broker and accounts update over the socket with no REST request', async (t) => {
  const h = await startRulesHub({
    files: {
      'echo.yaml': ['id: echo', 'name: Echo', 'triggers: [{trigger: mqtt, topic: live/in}]', 'actions: [{action: publish, topic: live/out, payload: "{{ payload }}"}]', ''].join('\n'),
      'bell.yaml': ['id: bell', 'triggers: [{trigger: mqtt, topic: doorbell/press}]', 'actions: [{action: notify, title: Doorbell, message: "Someone at the door ({{ payload }})"}]', ''].join('\n'),
    },
  });
  t.after(() => h.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, h.httpUrl, 'admin', adminPassword);
  const requests = apiRequests(page);
  const sender = await connect(h.mqttUrl, await account(h, 'sender'));
  t.after(() => end(sender));

  await t.test('the rules list: last run and result arrive live', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const row = page.locator('tr[data-rule-id="echo"]');
    await row.getByText('never').waitFor();
    requests.since();
    await publish(sender, 'live/in', 'one');
    await row.locator('.badge', { hasText: 'done' }).waitFor({ timeout: 10_000 });
    // A few seconds more than the old 3 s poll: still nothing asked over REST.
    await publish(sender, 'live/in', 'two');
    await waitFor(async () => (await h.hub.rules.traces('echo', 10)).filter((x) => x.result === 'done').length >= 2, 5000, 'second run');
    await page.waitForTimeout(3500);
    assert.deepEqual(requests.since(), [], 'the rules list asked nothing over REST');
    await screenshot(page, 'live-rules');
  });

  await t.test('a rule page: new evaluations join the timeline live', async () => {
    await page.getByRole('link', { name: 'Echo' }).click();
    await page.getByRole('heading', { level: 1, name: 'Echo' }).waitFor();
    const traces = page.locator('.trace[data-result="done"]');
    await waitFor(async () => (await traces.count()) >= 2, 10_000, 'two runs shown');
    await page.waitForTimeout(500); // the page's own loads (the rule's text, its validation) settle
    requests.since();
    await publish(sender, 'live/in', 'three');
    await waitFor(async () => (await traces.count()) >= 3, 10_000, 'the third run shown live');
    await page.waitForTimeout(2500);
    assert.deepEqual(requests.since(), [], 'the timeline asked nothing over REST');
    await screenshot(page, 'live-rule-timeline');
  });

  await t.test('the bell: unread count, opening marks read', async () => {
    const bell = page.locator('.bell-button');
    assert.equal(await bell.getAttribute('data-unread'), '0');
    await publish(sender, 'doorbell/press', 'front');
    await page.locator('.bell-button[data-unread="1"]').waitFor({ timeout: 10_000 });
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications, 1 unread');
    await bell.click();
    const list = page.getByRole('region', { name: 'Notifications list' });
    await list.getByText('Someone at the door (front)').waitFor();
    await page.locator('.bell-button[data-unread="0"]').waitFor();
    await screenshot(page, 'live-bell');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'detached' });
    // Read stays read across a reload (this browser remembers).
    await page.reload();
    await page.locator('.live-status[data-status="live"]').waitFor();
    await page.waitForTimeout(300);
    assert.equal(await bell.getAttribute('data-unread'), '0');
  });

  await t.test('the broker page: clients and topics arrive live', async () => {
    await page.getByRole('link', { name: 'Broker' }).click();
    await page.getByRole('heading', { level: 2, name: 'Topics' }).waitFor();
    requests.since();
    const newcomer = await connect(h.mqttUrl, { ...(await account(h, 'newcomer')), clientId: 'newcomer-1' });
    t.after(() => end(newcomer));
    await page.locator('td code', { hasText: 'newcomer-1' }).waitFor({ timeout: 10_000 });
    await publish(newcomer, 'brandnew/topic', 'hello');
    await page.locator('.topic-tree [data-topic="brandnew"]').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2500);
    assert.deepEqual(requests.since(), [], 'the broker page asked nothing over REST');
    await screenshot(page, 'live-broker');
  });

  await t.test('device accounts: an accepted candidate appears at once; revoke disconnects it; rotate shows a new password once', async () => {
    await page.getByRole('link', { name: 'Pairing' }).click();
    await page.getByRole('button', { name: 'Open join window' }).click();
    await page.getByRole('timer').waitFor();
    const device = await connect(h.mqttUrl, { username: 'porch-sensor', password: 'chosen-by-the-device', clientId: 'porch-1', reconnectPeriod: 200 });
    t.after(() => end(device));
    const candidate = page.locator('.candidate[data-username="porch-sensor"]');
    await candidate.waitFor();
    const accounts = page.locator('.accounts');
    assert.equal(await accounts.locator('[data-account="porch-sensor"]').count(), 0);
    const reconnected = new Promise<void>((resolve) => device.once('connect', () => resolve()));
    await candidate.getByRole('button', { name: 'Accept porch-sensor' }).click();
    const row = accounts.locator('[data-account="porch-sensor"]');
    await row.waitFor({ timeout: 10_000 });
    await reconnected;

    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    await row.getByRole('button', { name: 'Revoke porch-sensor' }).click();
    await row.getByRole('button', { name: 'Yes, revoke porch-sensor' }).click();
    await page.locator('[data-account="porch-sensor"][data-revoked="true"]').waitFor({ timeout: 10_000 });
    await closed;
    await page.getByText('porch-sensor revoked; 1 client disconnected.').waitFor();

    await row.getByRole('button', { name: 'New password porch-sensor' }).click();
    await row.getByRole('button', { name: 'Yes, new password for porch-sensor' }).click();
    const secret = page.locator('.once [data-secret="password"]');
    await secret.waitFor();
    const password = (await secret.textContent())!;
    assert.ok(password.length >= 16);
    await page.locator('[data-account="porch-sensor"]:not([data-revoked])').waitFor({ timeout: 10_000 });
    await end(device);
    await end(await connect(h.mqttUrl, { username: 'porch-sensor', password, reconnectPeriod: 0 }));
    assert.equal(requests.list.filter((r) => r === 'GET /api/accounts').length, 0, 'the accounts list is never fetched over REST');
    await page.getByRole('button', { name: 'Close now' }).click();
    await screenshot(page, 'live-accounts');
  });

  await t.test('390 px wide: the pairing page and the bell do not scroll sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.bell-button').click();
    await page.getByRole('region', { name: 'Notifications list' }).waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    const wide = await page.evaluate(`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`);
    assert.equal(overflow, 0, JSON.stringify(wide));
    await screenshot(page, 'live-pairing-phone');
  });

  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
