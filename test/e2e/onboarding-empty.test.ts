import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { adminPassword, startHub } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';
import { startTlsHub } from '../helpers/tls.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

// Issue 18 item 8: a hub without devices offers the first steps in the dashboard (admins: pair, or make
// credentials; members: ask an admin), not a terminal command; with TLS, a page on trusting the hub's CA.

const noSideways = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';

test('the empty Home: admins get "Pair a device" and "Create credentials", members a note to ask an admin', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  assert.equal((await api.post('/api/users', { username: 'mia', password: 'member-password', role: 'member' })).status, 201);
  const browser = await launch();
  t.after(() => browser.close());

  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  const start = page.locator('[data-empty="true"]');
  await start.waitFor();
  assert.equal(await start.getByText('npm run', { exact: false }).count(), 0, 'no terminal command');
  await start.getByRole('link', { name: 'Pair a device' }).waitFor();
  assert.equal(await start.getByRole('link', { name: "Trust this hub's certificate" }).count(), 0, 'no trust link without TLS');
  await screenshot(page, 'onboarding-empty-admin');
  await start.getByRole('link', { name: 'Create credentials' }).click();
  await page.getByRole('heading', { level: 1, name: 'Pairing' }).waitFor();
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'new-account', 'the credentials form has the focus');
  await page.getByRole('link', { name: 'Home' }).click();
  await start.getByRole('link', { name: 'Pair a device' }).click();
  await page.getByRole('button', { name: 'Open join window' }).waitFor();
  // Without TLS the trust page says there is no CA of the hub's own.
  await page.goto(`${hub.httpUrl}/trust`);
  await page.locator('[data-ca="none"]').waitFor();

  const member = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 } }));
  await logIn(member.page, hub.httpUrl, 'mia', 'member-password');
  const note = member.page.locator('[data-empty="true"]');
  await note.getByText('Ask an admin to add yours.').waitFor();
  assert.equal(await note.getByRole('link').count(), 0, 'no admin actions for a member');
  assert.equal(await member.page.evaluate(noSideways), 0);
  await screenshot(member.page, 'onboarding-empty-member-phone');
  for (const p of [problems, member.problems]) assert.deepEqual(p.filter((x) => !/401 \(Unauthorized\)/.test(x)), []);
});

test('TLS: the pairing page links to /trust, which offers the CA for download with the fingerprint the hub printed', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  const browser = await launch();
  t.after(() => browser.close());
  // The hub's certificate is not trusted by this Chromium (no NSS database here; see test/flows/tls-browser.test.ts):
  // a person clicks through the warning once, on their way to this very page.
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, ignoreHTTPSErrors: true }));
  await logIn(page, hub.httpsUrl, 'admin', adminPassword);
  await page.locator('[data-empty="true"]').getByRole('link', { name: "Trust this hub's certificate" }).waitFor();
  await page.getByRole('link', { name: 'Pairing' }).click();
  await page.getByRole('link', { name: 'how to trust this hub' }).click();
  await page.getByRole('heading', { level: 1, name: 'Trust this hub' }).waitFor();
  const expected = new crypto.X509Certificate(hub.ca).fingerprint256;
  const shown = page.locator('[data-fingerprint]');
  await shown.waitFor();
  assert.equal(await shown.textContent(), expected);
  assert.equal(await page.getByRole('link', { name: 'Download rumah-ca.crt' }).getAttribute('href'), '/ca.crt');
  for (const heading of ['iPhone and iPad', 'Android', 'Desktop browsers', 'MQTT clients']) await page.getByRole('heading', { level: 3, name: heading }).waitFor();
  await page.getByText('--cafile rumah-ca.crt', { exact: false }).first().waitFor();
  assert.equal(await page.evaluate(noSideways), 0);
  await screenshot(page, 'onboarding-trust-phone');
  // Not trusting the hub yet, Chromium will not install the offline shell's service worker from it (it says "An SSL
  // certificate error" or, as often, "An unknown error occurred when fetching the script"): the very thing
  // this page is about. Nothing else may fail.
  assert.deepEqual(problems.filter((x) => !/401 \(Unauthorized\)|(SSL certificate|unknown) error occurred when fetching the script/.test(x)), []);
});
