import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, startHub, tempDir, waitFor } from '../helpers/hub.js';
import { launchPersistent, logIn, screenshot, watchedPage } from './lib/browser.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

/** Width and height from a PNG's IHDR chunk (bytes 16-23). */
function pngSize(data: Buffer): string {
  assert.equal(data.subarray(1, 4).toString('latin1'), 'PNG', 'not a PNG');
  return `${data.readUInt32BE(16)}x${data.readUInt32BE(20)}`;
}

// Issue 18 item 9: the Home page installs as an app (manifest, icons, a service worker) and its shell opens offline.
test('the dashboard installs as an app: manifest, icons, service worker, and the shell opens offline', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const profile = tempDir('rumah-pwa-profile-');
  removeWhenDone(profile);
  const context = await launchPersistent(profile, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  t.after(() => context.close());
  const { page, problems } = await watchedPage(context);
  await logIn(page, hub.httpUrl, 'admin', adminPassword);

  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  assert.equal(href, '/manifest.webmanifest');
  const res = await fetch(`${hub.httpUrl}${href}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/manifest\+json/);
  const manifest = (await res.json()) as { name: string; start_url: string; display: string; scope: string; icons: Array<{ src: string; sizes: string; type: string; purpose: string }> };
  assert.equal(manifest.start_url, '/');
  assert.equal(manifest.display, 'standalone');
  for (const want of ['192x192 any', '512x512 any', '512x512 maskable']) assert.ok(manifest.icons.some((i) => `${i.sizes} ${i.purpose}` === want), `an icon ${want}`);
  for (const icon of manifest.icons) {
    const r = await fetch(`${hub.httpUrl}${icon.src}`);
    assert.equal(r.status, 200, icon.src);
    assert.equal(r.headers.get('content-type'), 'image/png');
    assert.equal(pngSize(Buffer.from(await r.arrayBuffer())), icon.sizes, `${icon.src} is as large as the manifest says`);
  }

  // The service worker is active and controls the page (after a reload: the first load was before it existed).
  const state = await page.evaluate('navigator.serviceWorker.ready.then((r) => r.active && r.active.state)');
  assert.equal(state, 'activated');
  await page.reload();
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
  assert.equal(await page.evaluate('navigator.serviceWorker.controller !== null'), true, 'the page is controlled by the worker');

  // Chromium's own verdict: nothing stops installing it.
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await waitFor(async () => {
    const r = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
    return r.installabilityErrors.length === 0 ? r : undefined;
  }, 10_000, 'no installability errors').catch(async () => (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> });
  assert.deepEqual(installabilityErrors.map((e) => e.errorId), []);

  // Offline: a page of the app still opens (the kept shell) and says the hub is out of reach, not the browser's error page.
  await context.setOffline(true);
  await page.goto(`${hub.httpUrl}/rules`).catch(() => undefined);
  await page.getByRole('heading', { name: 'The hub is out of reach', level: 1 }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'pwa-offline');
  // Back online, it comes back by itself (it asks again every 5 s).
  await context.setOffline(false);
  await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor({ timeout: 10_000 });
  assert.deepEqual(problems.filter((p) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED|offline app shell/.test(p)), []);
});
