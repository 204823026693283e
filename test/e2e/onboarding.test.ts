import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, publish, startHub } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';
import { sessionCookie } from './lib/socket-client.js';

test('onboarding in Chromium: first-run setup with the one-time code, users, a member, logout, phone and dark', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  // A first start without RUMAH_ADMIN_PASSWORD: no user yet, and a one-time setup code (printed in the console).
  await hub.hub.store.users.remove('admin');
  const { setupCode } = await hub.hub.auth.bootstrap(undefined);
  assert.ok(setupCode);
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/livingroom/light', '{"state":"ON","brightness":120}');

  const browser = await launch();
  t.after(() => browser.close());
  const admin = await watchedPage(await browser.newContext());
  const page = admin.page;

  await t.test('the first visit goes to setup; a wrong code is refused; the right one creates the admin', async () => {
    await page.goto(`${hub.httpUrl}/`);
    await page.getByRole('heading', { name: 'Welcome to rumah' }).waitFor();
    // The address follows the page in an effect, after the setup page is drawn: wait for it rather than read it once.
    await page.waitForURL(/\/setup/, { timeout: 5000 });
    await page.getByLabel('Setup code').fill('not-the-code');
    await page.getByLabel('Admin username').fill('owner');
    await page.getByLabel('Password', { exact: false }).first().fill('owner-password');
    await page.getByLabel('Password again').fill('owner-password');
    await page.getByRole('button', { name: 'Create admin' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong setup code' }).waitFor();
    await page.getByLabel('Setup code').fill(setupCode!);
    await page.getByRole('button', { name: 'Create admin' }).click();
    await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    const status = await (await fetch(`${hub.httpUrl}/api/auth/status`)).json();
    assert.deepEqual(status, { setupRequired: false });
  });

  await t.test('the admin adds a member on the users page', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Username').fill('mia');
    await page.getByLabel('Password').fill('member-password');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.locator('tr[data-username="mia"]').waitFor();
    assert.equal(await page.getByLabel('Role of mia').inputValue(), 'member');
    await screenshot(page, 'users');
  });

  await t.test('logout ends the session: the login page, and the old cookie no longer opens anything', async () => {
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'rumah_session');
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(session?.sameSite, 'Strict');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to rumah' }).waitFor();
    const me = await fetch(`${hub.httpUrl}/api/auth/me`, { headers: { cookie: `rumah_session=${session!.value}` } });
    assert.equal(me.status, 401);
  });

  await t.test('a member controls devices but sees no admin pages or editing', async () => {
    const member = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true }));
    await logIn(member.page, hub.httpUrl, 'mia', 'member-password');
    assert.equal(await member.page.getByRole('link', { name: 'Users' }).count(), 0);
    const tile = member.page.locator('[data-device-id="ourhome-groundfloor-livingroom-light"]');
    await tile.getByRole('slider').waitFor();
    // Phone: nothing wider than the screen; dark: the system's choice is followed.
    assert.equal(await member.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);
    assert.equal(await member.page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(18, 22, 20)');
    await screenshot(member.page, 'home-phone-dark');

    await tile.locator('.tile-name a').click();
    await member.page.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    assert.equal(await member.page.getByRole('heading', { name: 'Name and place' }).count(), 0);
    await member.page.goto(`${hub.httpUrl}/users`);
    await member.page.getByRole('heading', { name: 'Admins only' }).waitFor();
    const cookie = await sessionCookie(hub.httpUrl, 'mia', 'member-password');
    const patch = await fetch(`${hub.httpUrl}/api/devices/ourhome-groundfloor-livingroom-light`, {
      method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: '{"name":"mine"}',
    });
    assert.equal(patch.status, 403);
    assert.deepEqual(member.problems.filter((p) => !/40[13] \(/.test(p)), []);
  });

  assert.deepEqual(admin.problems.filter((p) => !/40[13] \(/.test(p)), []);
});
