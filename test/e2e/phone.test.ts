import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';

/** The pages a household opens on a phone, with the heading each shows (issue 18 item 9: every page at 390 px). */
const pages: Array<{ path: string; heading: RegExp; name: string }> = [
  { path: '/', heading: /^Home$/, name: 'home' },
  { path: '/devices/livingroom-light', heading: /Living ?room light|livingroom/i, name: 'device' },
  { path: '/devices', heading: /^Devices$/, name: 'devices' },
  { path: '/areas', heading: /^Floors and rooms$/, name: 'areas' },
  { path: '/logbook', heading: /^Logbook$/, name: 'logbook' },
  { path: '/rules', heading: /^Rules$/, name: 'rules' },
  { path: '/rules/new', heading: /New rule/, name: 'rule-new' },
  { path: '/pairing', heading: /^Pairing$/, name: 'pairing' },
  { path: '/broker', heading: /^Broker$/, name: 'broker' },
  { path: '/users', heading: /^Users$/, name: 'users' },
  { path: '/backups', heading: /^Backups$/, name: 'backups' },
  { path: '/trust', heading: /^Trust this hub$/, name: 'trust' },
];

/** Elements that reach past the right edge of the viewport (what makes a phone scroll sideways). */
const overflowing = `(() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && getComputedStyle(e).position !== 'fixed')
    .slice(0, 5)
    .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
})()`;

test('every page is usable on a 390 px phone: no sideways scrolling, its heading shown', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/livingroom/light', '{"state":"ON","brightness":120}');
  const ids = await waitFor(() => { const list = hub.hub.registry.list().map((d) => d.id); return list.length > 0 ? list : undefined; }, 5000, "the device");
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  for (const p of pages) {
    const path = p.name === 'device' ? `/devices/${encodeURIComponent(ids[0]!)}` : p.path;
    await page.goto(`${hub.httpUrl}${path}`);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: p.name === 'device' ? /./ : p.heading }).first().waitFor();
    await page.waitForLoadState('networkidle').catch(() => undefined);
    assert.deepEqual(await page.evaluate(overflowing), [], `${path}: nothing wider than the phone`);
    await screenshot(page, `phone-${p.name}`);
  }
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
