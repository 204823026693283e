import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { chromiumPath, contextWithSession, launch } from '../test/e2e/lib/browser.js';
import { sessionCookie } from '../test/e2e/lib/socket-client.js';
import { openStore } from '../server/store/index.js';
import { homeTopics, publishTemplate } from './lib/packets.js';
import { HOST, prepareRumahData, RUMAH_YAML, sleep, startRumah, tempDir } from './lib/procs.js';
import { RawClient } from './lib/raw-client.js';
import { fmt, type BenchResult, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

// The device page's history chart over 30 days of a sensor reporting once a second (2.6 M rows in rumah.db):
// navigation → chart drawn in Chromium, beside the same chart for 1 hour measured in the same run; and the history
// API's answer (time, bytes) for 30 days beside 1 hour. The rows are written straight into rumah.db with SQL (a
// month of MQTT would take a month), then Retention rolls the hours up as a hub running for a month would have.

export interface HistoryChartBenchOptions {
  days?: number;
  /** Page loads per range (median). */
  loads?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TARGET_MS = 1000;

export async function benchHistoryChart(opts: HistoryChartBenchOptions = {}): Promise<BenchResult> {
  const days = opts.days ?? 30;
  const loads = opts.loads ?? 3;
  const dataDir = tempDir('history-chart');
  const creds = await prepareRumahData(dataDir, RUMAH_YAML);
  const topic = homeTopics(1)[0]!;
  const id = topic.replaceAll('/', '-');
  const notes: string[] = [];

  // 1. A month of 1 Hz temperature rows, then the roll-ups.
  const now = Date.now();
  const store = await openStore(dataDir, pino({ level: 'silent' }));
  const rows = days * 86_400;
  let fill = 0;
  let unrolled = NaN;
  try {
    const series = await store.series.ensure(id, 'temperature');
    const t0 = now - days * DAY;
    const started = performance.now();
    for (let day = 0; day < days; day++) {
      // A slow daily wave with two decimals (REAL, like a real sensor), one row per second.
      await store.db.run(
        `WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i < ?)
         INSERT INTO history (series_id, ts, value) SELECT ?, ? + i * 1000, round(21 + 3 * sin(i / 13751.0) + (i % 7) / 10.0, 2) FROM c`,
        [day * 86_400, (day + 1) * 86_400 - 1, series, t0],
      );
    }
    fill = performance.now() - started;
    // What the answer would cost with no roll-ups (a hub younger than an hour, or an old rumah.db): every row grouped.
    const u0 = performance.now();
    await store.history.buckets(id, 'temperature', now - days * DAY, now, HOUR);
    unrolled = performance.now() - u0;
    await store.retention.runOnce(now);
  } finally {
    await store.close();
  }

  const rumah = await startRumah({ dataDir, removeData: true }, creds);
  let browser: Browser | undefined;
  try {
    const publisher = await RawClient.connect({ host: HOST, port: rumah.port, clientId: 'bench-history-chart', username: creds.username, password: creds.password });
    const t = publishTemplate(topic, 0);
    publisher.socket.write(t.bytes);
    const base = `http://${HOST}:${rumah.httpPort}`;
    const cookie = await sessionCookie(base, rumah.subscriber!.username, rumah.subscriber!.password);
    const get = (path: string) => fetch(`${base}${path}`, { headers: { cookie } });
    for (let i = 0; (await get(`/api/devices/${id}`)).status !== 200; i++) {
      if (i > 200) throw new Error(`device ${id} never appeared`);
      await sleep(50);
    }

    // 2. The API alone: 30 days beside 1 hour, alternating, median of 5.
    const api = async (span: number): Promise<{ ms: number; bytes: number; answer: { resolution: string; source?: string; buckets?: unknown[]; points: unknown[] } }> => {
      const to = Date.now();
      const t0 = performance.now();
      const res = await get(`/api/devices/${id}/history?property=temperature&from=${to - span}&to=${to}`);
      const text = await res.text();
      return { ms: performance.now() - t0, bytes: Buffer.byteLength(text), answer: JSON.parse(text) };
    };
    const month: Array<Awaited<ReturnType<typeof api>>> = [];
    const hour: Array<Awaited<ReturnType<typeof api>>> = [];
    const day: Array<Awaited<ReturnType<typeof api>>> = [];
    for (let i = 0; i < 5; i++) {
      month.push(await api(days * DAY));
      hour.push(await api(HOUR));
      day.push(await api(DAY));
    }
    const shape = (a: Awaited<ReturnType<typeof api>>['answer']) => `${a.resolution}${a.source ? ` from ${a.source}` : ''}, ${(a.buckets ?? a.points).length} ${a.buckets ? 'buckets' : 'points'}`;

    // 3. Chromium: goto the device page with the range in the address until uPlot has drawn the chart.
    browser = await launch();
    const context = await contextWithSession(browser, cookie, base);
    const page = await context.newPage();
    await page.goto(`${base}/devices/${id}?range=1h`); // warm: the bundle in the cache, as for someone who uses the dashboard
    await drawn(page);
    const pageMonth: number[] = [];
    const pageHour: number[] = [];
    for (let i = 0; i < loads; i++) {
      pageMonth.push(await load(page, `${base}/devices/${id}?range=30d`));
      pageHour.push(await load(page, `${base}/devices/${id}?range=1h`));
    }
    const monthMs = median(pageMonth);
    notes.push(
      `${fmt(rows)} rows of one temperature (1 per second for ${days} days) written into rumah.db with SQL in ${fmt(fill / 1000)} s, then rolled up by Retention (history_hourly), as on a hub that has run for ${days} days.`,
      `Page: page.goto('/devices/${id}?range=…') with a session cookie until uPlot has drawn the chart (Chromium ${chromiumPath}, loopback, bundle cached, median of ${loads}): 30 d ${pageMonth.map((m) => fmt(m)).join(', ')} ms; 1 h ${pageHour.map((m) => fmt(m)).join(', ')} ms.`,
      `API answers: 30 d ${shape(month[0]!.answer)}; 24 h ${shape(day[0]!.answer)}; 1 h ${shape(hour[0]!.answer)}. Median of 5 each, interleaved.`,
      `Without the roll-ups, SQLite groups the ${fmt(rows)} rows into hours itself in ${fmt(unrolled)} ms (one run, in-process): why ranges of 7 days and more read history_hourly.`,
    );
    const figures: Figure[] = [
      {
        label: `History chart, ${days} d of a 1 Hz sensor: navigation → drawn`, unit: 'ms', value: monthMs, refs: { 'same chart, 1 h': median(pageHour) }, lowerIsBetter: true,
        target: { text: `< ${TARGET_MS} ms`, met: monthMs < TARGET_MS },
      },
      {
        label: `History API, ${days} d (${fmt(rows)} rows)`, unit: 'ms', value: median(month.map((m) => m.ms)),
        refs: { '1 h (3,600 rows)': median(hour.map((m) => m.ms)) }, context: { '24 h (86,400 rows, bucketed by SQL)': median(day.map((m) => m.ms)) }, lowerIsBetter: true,
      },
      { label: `History API answer, ${days} d`, unit: 'B', value: month[0]!.bytes, refs: { '1 h': hour[0]!.bytes }, lowerIsBetter: true },
    ];
    return { id: 'history-chart', title: 'History chart: 30 days of a 1 Hz sensor (bench/history-chart.ts)', figures, notes };
  } finally {
    await browser?.close().catch(() => undefined);
    await rumah.stop();
  }
}

async function drawn(page: Page): Promise<void> {
  await page.locator('.chart-numeric .uplot[data-drawn]').waitFor({ state: 'attached', timeout: 30_000 });
}

async function load(page: Page, url: string): Promise<number> {
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(url);
  await drawn(page);
  return performance.now() - t0;
}
