import type { Browser, Page } from 'playwright-core';
import { chromiumPath, contextWithSession, launch } from '../test/e2e/lib/browser.js';
import { sessionCookie } from '../test/e2e/lib/socket-client.js';
import { homeTopics, publishTemplate, writePublish } from './lib/packets.js';
import { HOST, prepareRumahData, RUMAH_YAML, sleep, startRumah, tempDir } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult } from './lib/report.js';
import { median } from './lib/stats.js';

// The Devices page (web/src/pages/devices.tsx) with 1,000 devices: time to interactive in Chromium, beside the Home
// page's with the same devices in the same run and the same browser (the reference: both pages get the same
// snapshot over the same socket; the difference is what the table costs). Loads alternate, so both see the same
// machine load. Target (issue 18): < 1 s.

const TTI_TARGET_MS = 1000;

export async function benchDevicesPage(opts: { devices?: number; loads?: number } = {}): Promise<BenchResult> {
  const devices = opts.devices ?? 1000;
  const loads = opts.loads ?? 3;
  const dataDir = tempDir('devices-page');
  const creds = await prepareRumahData(dataDir, RUMAH_YAML);
  const rumah = await startRumah({ dataDir, removeData: true }, creds);
  let browser: Browser | undefined;
  try {
    const templates = homeTopics(devices).map((t) => publishTemplate(t, 0));
    const publisher = await RawClient.connect({ host: HOST, port: rumah.port, clientId: 'bench-devices-page', username: creds.username, password: creds.password });
    const out = Buffer.allocUnsafe(templates.reduce((s, t) => s + t.bytes.length, 0));
    let at = 0;
    for (const t of templates) at = writePublish(t, out, at, 0, 0);
    publisher.socket.write(out);
    const deadline = performance.now() + 20_000;
    while ((await rumah.metrics()).rumah_devices !== devices) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${devices} devices`);
      await sleep(50);
    }

    const base = `http://${HOST}:${rumah.httpPort}`;
    const cookie = await sessionCookie(base, rumah.subscriber!.username, rumah.subscriber!.password);
    browser = await launch();
    const page = await (await contextWithSession(browser, cookie, base)).newPage();
    const home: number[] = [];
    const table: number[] = [];
    // A first load of each warms the browser's cache of the bundle for both: not counted.
    await timeToInteractive(page, `${base}/`, '[data-device-id]', devices);
    await timeToInteractive(page, `${base}/devices`, '.devices-table tbody tr', devices);
    for (let i = 0; i < loads; i++) {
      home.push(await timeToInteractive(page, `${base}/`, '[data-device-id]', devices));
      table.push(await timeToInteractive(page, `${base}/devices`, '.devices-table tbody tr', devices));
    }
    // Interactive means it answers: a search narrows 1,000 rows (typed into the page, timed to the narrowed table).
    const search = await timeSearch(page);
    publisher.socket.destroy();
    const value = median(table);
    return {
      id: 'devices-page',
      title: 'Devices page (issue 18)',
      figures: [
        {
          label: `Devices page time to interactive, ${devices} devices`, unit: 'ms', value, lowerIsBetter: true,
          refs: { [`Home page, same ${devices} devices`]: median(home) }, target: { text: `< ${TTI_TARGET_MS} ms`, met: value < TTI_TARGET_MS },
        },
        { label: `Devices page: a search narrowing ${devices} rows`, unit: 'ms', value: search, lowerIsBetter: true },
      ],
      notes: [
        `${devices} native devices (4 properties each). Time to interactive: page.goto until the socket is live and the ${devices}th row (Devices) or tile (Home) is in the DOM; ` +
          `Chromium ${chromiumPath}, loopback, one warm-up load of each, then ${loads} alternating loads, median (Devices: ${table.map((t) => fmt(t)).join(', ')} ms; Home: ${home.map((t) => fmt(t)).join(', ')} ms).`,
        'Search: "room07" typed into the search box until the table shows only the matching rows (rows stay per-device components; the table re-renders once).',
      ],
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await rumah.stop();
  }
}

async function timeToInteractive(page: Page, url: string, item: string, count: number): Promise<number> {
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(url);
  await page.locator('.live-status[data-status="live"]').waitFor({ timeout: 30_000 });
  await page.locator(item).nth(count - 1).waitFor({ state: 'attached', timeout: 30_000 });
  return performance.now() - t0;
}

async function timeSearch(page: Page): Promise<number> {
  const rows = page.locator('.devices-table tbody tr');
  const before = await rows.count();
  const t0 = performance.now();
  await page.getByRole('searchbox', { name: 'Search' }).fill('room07');
  const deadline = performance.now() + 10_000;
  while ((await rows.count()) === before) {
    if (performance.now() > deadline) throw new Error('the search did not narrow the table');
    await sleep(5);
  }
  return performance.now() - t0;
}
