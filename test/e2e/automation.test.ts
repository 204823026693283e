import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';
import { setRuleText } from './lib/rule-editor.js';

const ruleText = `# Counts hall motion: a comment the hub must keep.
id: hall-motion
name: Hall motion

triggers:
  - trigger: mqtt
    topic: ourhome/groundfloor/hall/motion

actions:
  - action: publish
    topic: ourhome/stats/hall_motion
    payload: seen
`;

test('rules, pairing and broker pages in Chromium', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  const observer = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword });
  t.after(() => end(observer));

  await t.test('a new rule: an invalid edit shows the error at its line; a valid one fires on the next message and its trace shows it', async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('link', { name: 'New rule' }).click();
    await setRuleText(page, ruleText.replace('trigger: mqtt', 'trigger: mqttt'));
    const error = page.locator('#rule-errors li').first();
    await error.waitFor();
    assert.equal(await error.getAttribute('data-line'), '6');
    assert.match((await error.textContent())!, /Line 6, column \d+/);
    // The error is a button that takes the caret to it.
    await error.getByRole('button').click();
    await page.getByText('Line 6, column', { exact: false }).first().waitFor();

    await setRuleText(page, ruleText);
    await page.locator('#rule-errors [data-valid]').waitFor();
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hall motion' }).waitFor();
    assert.match(page.url(), /\/rules\/hall-motion$/);
    const saved = (await (await fetch(`${hub.httpUrl}/api/rules/hall-motion`, { headers: { cookie: await cookieFrom(page) } })).json()) as { text: string };
    assert.match(saved.text, /a comment the hub must keep/);

    await publish(observer, 'ourhome/groundfloor/hall/motion', 'on');
    const trace = page.locator('.trace[data-result="done"]').first();
    await trace.waitFor({ timeout: 10_000 });
    await trace.locator('summary').click();
    await trace.locator('.steps li').first().waitFor();
    await screenshot(page, 'rules');
  });

  await t.test('pairing: open the window, a device connects and appears live, accept it, its telemetry appears', async () => {
    await page.getByRole('link', { name: 'Pairing' }).click();
    await page.getByRole('button', { name: 'Open join window' }).click();
    const timer = page.getByRole('timer');
    await timer.waitFor();
    const first = Number(await timer.getAttribute('data-remaining'));
    assert.ok(first > 100 && first <= 120, String(first));

    const device = await connect(hub.mqttUrl, { username: 'porch-sensor', password: 'chosen-by-the-device', clientId: 'porch-1', reconnectPeriod: 300 });
    t.after(() => end(device));
    await publish(device, 'ourhome/groundfloor/porch/motion', 'false');
    const candidate = page.locator('.candidate[data-username="porch-sensor"]');
    await candidate.getByText('ourhome/groundfloor/porch/motion').waitFor();
    // The countdown moves by itself between pushes from the hub. (page.waitForFunction would evaluate a string:
    // the page's CSP forbids that, rightly.)
    await waitFor(async () => Number(await timer.getAttribute('data-remaining')) < first, 3000, 'the countdown');
    await screenshot(page, 'pairing');

    const reconnected = new Promise<void>((resolve) => device.once('connect', () => resolve()));
    await candidate.getByRole('button', { name: 'Accept porch-sensor' }).click();
    await candidate.waitFor({ state: 'detached' });
    await reconnected; // accepted: disconnected once, back as a device with the same password
    await publish(device, 'ourhome/groundfloor/porch/motion', 'true');
    await page.getByRole('link', { name: 'Home' }).click();
    await page.locator('[data-device-id="ourhome-groundfloor-porch-motion"] .prop-value', { hasText: 'Detected' }).waitFor();
    await page.getByRole('link', { name: 'Pairing' }).click();
    await page.getByRole('button', { name: 'Close now' }).click();
    await page.getByRole('button', { name: 'Open join window' }).waitFor();
  });

  await t.test('broker: clients, messages per second and the topic tree with payloads as text', async () => {
    for (let i = 0; i < 5; i++) await publish(observer, 'ourhome/firstfloor/office/temperature', String(20 + i));
    await publish(observer, 'ourhome/firstfloor/office/note', '<b>not bold</b>');
    await page.getByRole('link', { name: 'Broker' }).click();
    await page.getByRole('heading', { level: 2, name: 'Topics' }).waitFor();
    await page.locator('.topic-tree summary', { hasText: 'ourhome' }).click();
    await page.locator('.topic-tree summary', { hasText: 'firstfloor' }).click();
    await page.locator('.topic-tree summary', { hasText: 'office' }).click();
    const note = page.locator('[data-topic="ourhome/firstfloor/office/note"] .preview');
    assert.equal(await note.textContent(), '<b>not bold</b>');
    assert.equal(await page.locator('.topic-tree b').count(), 0);
    await page.locator('.chart canvas').waitFor({ timeout: 10_000 });
    await screenshot(page, 'broker');
  });

  // Before logging in, the page asks /api/auth/me and gets 401: Chromium logs that as a failed load.
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});

async function cookieFrom(page: import('playwright-core').Page): Promise<string> {
  const session = (await page.context().cookies()).find((c) => c.name === 'rumah_session')!;
  return `rumah_session=${session.value}`;
}
