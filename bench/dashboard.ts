import type { Browser, Page } from 'playwright-core';
import { chromiumPath, contextWithSession, launch } from '../test/e2e/lib/browser.js';
import { liveConnect, sessionCookie } from '../test/e2e/lib/socket-client.js';
import { homeTopics, publishTemplate, writePublish, type PublishTemplate } from './lib/packets.js';
import { cpuMs, HOST, mainThreadCpuMs, prepareRumahData, RUMAH_YAML, sleep, startRumah, tempDir, type Rumah } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// The dashboard with 1,000 devices: time to interactive in Chromium, snapshot bytes on the wire, and the hub's CPU
// at 2,000 device updates/s with 5 browsers on the home page, beside the same load with no browser (the reference
// measured in the same run: the difference is what the dashboard costs the hub).

export interface DashboardBenchOptions {
  devices?: number;
  rate?: number;
  browsers?: number;
  /** Length of each CPU measurement window. */
  windowMs?: number;
  loads?: number;
}

const TTI_TARGET_MS = 1000;

export async function benchDashboard(opts: DashboardBenchOptions = {}): Promise<BenchResult> {
  const devices = opts.devices ?? 1000;
  const rate = opts.rate ?? 2000;
  const browsers = opts.browsers ?? 5;
  const windowMs = opts.windowMs ?? 10_000;
  const dataDir = tempDir('dashboard');
  const creds = await prepareRumahData(dataDir, RUMAH_YAML);
  const rumah = await startRumah({ dataDir, removeData: true }, creds);
  let browser: Browser | undefined;
  const notes: string[] = [];
  try {
    const templates = homeTopics(devices).map((t) => publishTemplate(t, 0));
    const publisher = await RawClient.connect({ host: HOST, port: rumah.port, clientId: 'bench-dashboard', username: creds.username, password: creds.password });
    await publishAll(publisher, templates, 0);
    await waitUntil(async () => (await rumah.metrics()).rumah_devices === devices, 20_000, `${devices} devices`);

    const base = `http://${HOST}:${rumah.httpPort}`;
    const cookie = await sessionCookie(base, rumah.subscriber!.username, rumah.subscriber!.password);
    const live = await liveConnect(base, { cookie });
    const snapshotBytes = Buffer.byteLength(`42["snapshot",${JSON.stringify(live.snapshot)}]`);
    live.socket.close();

    browser = await launch();
    const loads: Load[] = [];
    const context = await contextWithSession(browser, cookie, base);
    const page = await context.newPage();
    // A first load, not in the median, reads the snapshot's size on the wire: Playwright reading the response bodies
    // (~1 MB of long-polling) slowed the loads it watched, and the first is the browser's cold start. Then the timed
    // loads (as bench/devices-page.ts does; the same page read 1,136–1,714 ms here with both in, 614–704 ms there).
    const first = await timeToInteractive(page, base, devices, true);
    for (let i = 0; i < (opts.loads ?? 3); i++) loads.push(await timeToInteractive(page, base, devices, false));
    const ttis = loads.map((l) => l.ms);
    const received = first.snapshot;

    // Load without browsers, then with them: same publisher, same rate, same window.
    const load = startLoad(publisher, templates, rate);
    await sleep(1000);
    const alone = await measureCpu(rumah, windowMs);
    const pages: Page[] = [page];
    for (let i = 1; i < browsers; i++) pages.push(await (await contextWithSession(browser, cookie, base)).newPage());
    for (const p of pages.slice(1)) await p.goto(`${base}/`);
    for (const p of pages) await p.locator('[data-device-id]').nth(devices - 1).waitFor({ timeout: 30_000 });
    await Promise.all(pages.map((p) => p.evaluate(longTaskProbe)));
    await sleep(1000);
    const withBrowsers = await measureCpu(rumah, windowMs);
    const longTasks = await Promise.all(pages.map((p) => p.evaluate('window.__rumahLongTasks') as Promise<{ count: number; ms: number }>));
    const sent = load.stop();
    const probe = await pages[0]!.locator('[data-device-id]').first().locator('.prop-value').first().textContent();
    notes.push(
      `${devices} native devices (4 properties each, ~${Math.round(snapshotBytes / devices)} B per device in the snapshot); a raw-socket publisher sends ${fmt(rate)} msg/s ` +
        `(each changes a temperature, every 7th also a humidity) spread over all devices; achieved ${fmt(sent.rate)} msg/s.`,
      `Snapshot: ${received ? `${fmt(received.bytes, 'B')} via ${received.via}` : 'not seen by the page'}; the same snapshot as one uncompressed WebSocket frame: ${fmt(snapshotBytes, 'B')}.`,
      `Time to interactive: page.goto('/') with a session cookie until the ${devices}th tile is in the DOM and the socket is live (Chromium ${chromiumPath}, loopback, median of ${ttis.length}: ${ttis.map((t) => fmt(t)).join(', ')} ms; ` +
        `after a first load that read the snapshot off the wire, ${fmt(first.ms)} ms, not counted).`,
      `CPU: the hub process (all threads, /proc) over ${windowMs / 1000} s; % of one core. Main thread alone: ${fmt(alone.mainPct)}% without browsers, ${fmt(withBrowsers.mainPct)}% with ${browsers}. ` +
        `State changes applied: ${fmt(alone.changesPerSec)}/s without browsers, ${fmt(withBrowsers.changesPerSec)}/s with them.`,
      `Browsers stay responsive: long tasks (>50 ms) per page over the window: ${longTasks.map((l) => `${l.count} (${fmt(l.ms)} ms)`).join(', ')}; a tile read during the load: "${probe}".`,
    );
    const figures: Figure[] = [
      { label: `Home page time to interactive, ${devices} devices`, unit: 'ms', value: median(ttis), lowerIsBetter: true, target: { text: `< ${TTI_TARGET_MS} ms`, met: median(ttis) < TTI_TARGET_MS } },
      {
        label: `Snapshot as the browser received it, ${devices} devices`, unit: 'B', value: received?.bytes ?? NaN, lowerIsBetter: true,
        context: { 'uncompressed JSON (WebSocket frame)': snapshotBytes }, note: received?.via,
      },
      { label: `Hub CPU at ${fmt(rate)} updates/s with ${browsers} browsers`, unit: '%', value: withBrowsers.pct, refs: { 'no browser': alone.pct }, lowerIsBetter: true },
    ];
    return { id: 'dashboard', title: 'Dashboard', figures, notes };
  } finally {
    await browser?.close().catch(() => undefined);
    await rumah.stop();
  }
}

interface Load {
  ms: number;
  /** The snapshot as this browser received it: over HTTP long-polling (gzip) or a WebSocket frame. */
  snapshot?: { bytes: number; via: string };
}

async function timeToInteractive(page: Page, base: string, devices: number, readSnapshot: boolean): Promise<Load> {
  await page.goto('about:blank');
  let snapshot: Load['snapshot'];
  const seen: Array<Promise<void>> = [];
  const onResponse = (res: import('playwright-core').Response): void => {
    if (!res.url().includes('/socket.io/')) return;
    seen.push((async () => {
      const body = await res.text().catch(() => '');
      if (!body.includes('["snapshot"')) return;
      const sizes = await res.request().sizes();
      snapshot = { bytes: sizes.responseBodySize, via: `long-polling, ${res.headers()['content-encoding'] ?? 'identity'}` };
    })());
  };
  const onSocket = (ws: import('playwright-core').WebSocket): void => {
    ws.on('framereceived', (f) => {
      const text = typeof f.payload === 'string' ? f.payload : f.payload.toString();
      if (text.startsWith('42["snapshot"')) snapshot = { bytes: Buffer.byteLength(text), via: 'WebSocket frame' };
    });
  };
  if (readSnapshot) page.on('response', onResponse);
  if (readSnapshot) page.on('websocket', onSocket);
  const t0 = performance.now();
  await page.goto(`${base}/`);
  await page.locator('.live-status[data-status="live"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-device-id]').nth(devices - 1).waitFor({ state: 'attached', timeout: 30_000 });
  const ms = performance.now() - t0;
  await Promise.all(seen);
  page.off('response', onResponse);
  page.off('websocket', onSocket);
  return { ms, snapshot };
}

/** Counts long tasks in the page from now on (evaluated over CDP, which the page's CSP does not govern). */
const longTaskProbe = `(() => {
  window.__rumahLongTasks = { count: 0, ms: 0 };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) { window.__rumahLongTasks.count++; window.__rumahLongTasks.ms += e.duration; } })
    .observe({ type: 'longtask', buffered: false });
})()`;

async function publishAll(client: RawClient, templates: PublishTemplate[], v: number): Promise<void> {
  const out = Buffer.allocUnsafe(templates.reduce((s, t) => s + t.bytes.length, 0));
  let at = 0;
  for (const t of templates) at = writePublish(t, out, at, v, 0);
  if (!client.socket.write(out)) await new Promise((r) => client.socket.once('drain', r));
}

/** Publishes `rate` messages/s in 10 ms slices, round-robin over the devices, each with a new value. */
function startLoad(client: RawClient, templates: PublishTemplate[], rate: number): { stop(): { rate: number } } {
  let sent = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate) - sent;
    if (due <= 0 || client.socket.writableLength > 1 << 20) return;
    let size = 0;
    for (let i = 0; i < due; i++) size += templates[(sent + i) % templates.length]!.bytes.length;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    // Message n goes to device n mod N with value ⌊n / N⌋ + 1: every device gets a new temperature each round.
    for (let n = sent; n < sent + due; n++) at = writePublish(templates[n % templates.length]!, out, at, (Math.floor(n / templates.length) + 1) % 1000, 0);
    client.socket.write(out);
    sent += due;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return { rate: sent / ((performance.now() - t0) / 1000) };
    },
  };
}

async function measureCpu(rumah: Rumah, ms: number): Promise<{ pct: number; mainPct: number; changesPerSec: number }> {
  const s0 = (await rumah.metrics()).rumah_state_changes_total ?? NaN;
  const c0 = cpuMs(rumah.pid);
  const m0 = mainThreadCpuMs(rumah.pid);
  const t0 = performance.now();
  await sleep(ms);
  const elapsed = performance.now() - t0;
  const pct = ((cpuMs(rumah.pid) - c0) / elapsed) * 100;
  const mainPct = ((mainThreadCpuMs(rumah.pid) - m0) / elapsed) * 100;
  const s1 = (await rumah.metrics()).rumah_state_changes_total ?? NaN;
  return { pct, mainPct, changesPerSec: ((s1 - s0) / elapsed) * 1000 };
}

async function waitUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
