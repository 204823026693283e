import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { launch, logIn, resultsDir, screenshot, watchedPage } from './lib/browser.js';

// The device page's history chart (web/src/components/chart-history.tsx) in Chromium. What is drawn is read from
// the chart's data attributes (the series' first and last points, the timeline's bands, the x axis' range as uPlot
// has it) and from the readout beside the cursor; screenshots go to test-results/.

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const id = 'ourhome-groundfloor-living-climate';

interface Drawn {
  from: number;
  to: number;
  xMin: number;
  xMax: number;
  series: Array<{ property: string; unit: string | null; resolution: string; points: number; first: [number, number]; last: [number, number] }>;
  bands: Array<{ property: string; bands: Array<[number, number, string]> }>;
}

async function drawn(page: Page): Promise<Drawn> {
  const chart = page.locator('.history-chart');
  await chart.locator('canvas').first().waitFor();
  const attr = async (name: string) => (await chart.getAttribute(name)) ?? '';
  return {
    from: Number(await attr('data-from')), to: Number(await attr('data-to')),
    // uPlot's x scale as laid out (set by its setScale hook).
    xMin: Number(await attr('data-x-min')), xMax: Number(await attr('data-x-max')),
    series: JSON.parse((await attr('data-series')) || '[]'), bands: JSON.parse((await attr('data-bands')) || '[]'),
  };
}

/** Polls what is drawn until `ok` (at most 10 s). */
async function until(page: Page, ok: (d: Drawn) => boolean, what: string): Promise<Drawn> {
  let last: Drawn | undefined;
  for (let i = 0; i < 100; i++) {
    last = await drawn(page);
    if (ok(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`chart never showed ${what}: ${JSON.stringify(last)}`);
}

/** Moves the mouse over a chart at time `ts` and returns the readout's lines. */
async function readoutAt(page: Page, chart: string, ts: number, d: Drawn): Promise<string[]> {
  const over = page.locator(`${chart} .u-over`);
  await page.locator('.history-chart').scrollIntoViewIfNeeded();
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  // In steps, as a hand moves: leaving the other chart hides its readout (and, synced, this one) on the way.
  await page.mouse.move(box.x + ((ts - d.xMin) / (d.xMax - d.xMin)) * box.width, box.y + box.height / 2, { steps: 5 });
  const readout = page.locator(`${chart} .chart-readout`);
  await readout.waitFor();
  return readout.locator('strong, span').allTextContents();
}

test('history chart in Chromium: steps from the start value to now, bands for binaries, the range honoured, overlays, readout', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub, 'e2e-history'));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/living/climate', JSON.stringify({ temperature: 20, humidity: 40, window: 'closed' }));
  await waitFor(() => hub.hub.devices.list().find((d) => d.id === id && d.capabilities.length === 3), 5000, 'the climate device');

  // Its past, written into the hub's rumah.db as months of reports would have left it: a temperature set 30 h ago
  // (before the 24 h range: the value in force at its start), a window open for 10 minutes two hours ago, and a
  // humidity reported every 20 s for the last 20 hours (3,600 rows: more than the API answers raw).
  const store = hub.hub.store;
  const now = Date.now();
  const series = async (property: string) => store.series.ensure(id, property);
  const rows: Array<[number, number, number | string]> = [];
  const temp = await series('temperature');
  rows.push([temp, now - 30 * HOUR, 19], [temp, now - 3 * HOUR, 21]);
  const win = await series('window');
  rows.push([win, now - 2 * HOUR, 'true'], [win, now - 2 * HOUR + 10 * MIN, 'false']);
  const hum = await series('humidity');
  for (let i = 0; i < 3600; i++) rows.push([hum, now - 20 * HOUR + i * 20_000, 40 + (i % 30)]);
  await store.db.run(`INSERT INTO history (series_id, ts, value) SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?) AS j`, [JSON.stringify(rows)]);

  const browser = await launch();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, problems } = await watchedPage(context);
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  problems.length = 0; // the login page's own 401 for "who am I" before logging in
  await page.goto(`${hub.httpUrl}/devices/${id}`);
  await until(page, (x) => x.xMax > 0 && x.bands.length === 1, 'the first chart');

  await t.test('24 h: exactly 24 h wide; the temperature steps from the value before the range to now; the window is two bands', async () => {
    const d = await drawn(page);
    assert.equal(d.to - d.from, DAY, 'the chosen range');
    assert.deepEqual([d.xMin, d.xMax], [d.from, d.to], 'the x axis shows the range, not the data');
    const temperature = d.series.find((s) => s.property === 'temperature')!;
    assert.equal(temperature.resolution, 'raw');
    assert.deepEqual(temperature.first, [d.from, 19], 'starts at the range start with the value in force then');
    assert.equal(temperature.last[1], 20, 'the last value carried...');
    assert.ok(temperature.last[0] >= now - 1000 && temperature.last[0] <= d.to, '...to now');
    const window = d.bands.find((b) => b.property === 'window')!;
    assert.deepEqual(window.bands.map((b) => b[2]), ['Open', 'Closed'], 'the device\'s own words, one band per state');
    assert.deepEqual(window.bands[0]!.slice(0, 2), [now - 2 * HOUR, now - 2 * HOUR + 10 * MIN], 'open for 10 minutes is a band, not a dot');
    assert.ok(window.bands[1]![1] >= now - 1000, 'closed until now');
    await screenshot(page, 'history-24h');

    // Dragging across the chart zooms both it and the timeline; a double-click goes back to the whole range.
    const over = page.locator('.chart-numeric .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const zoomed = await until(page, (x) => x.xMax - x.xMin < DAY / 2, 'a zoom');
    assert.ok(zoomed.xMin > d.from + DAY / 5 && zoomed.xMax < d.from + DAY * 0.55, JSON.stringify([zoomed.xMin - d.from, zoomed.xMax - d.from]));
    const timelineDrawn = await page.locator('.chart-timeline .u-over').boundingBox();
    assert.ok(timelineDrawn, 'the timeline is there');
    await over.dblclick();
    await until(page, (x) => x.xMin === d.from && x.xMax === d.to, 'the whole range again');
    await page.mouse.move(0, 0);
  });

  await t.test('a second property overlaid on its own axis (units differ), downsampled with min–max; the readout beside the cursor', async () => {
    await page.getByRole('checkbox', { name: 'Humidity (%)' }).check();
    const d = await until(page, (x) => x.series.length === 2, 'two series');
    const humidity = d.series.find((s) => s.property === 'humidity')!;
    assert.equal(humidity.resolution, 'buckets');
    assert.ok(humidity.points <= 1502, `${humidity.points} points drawn`);
    assert.deepEqual(d.series.map((s) => s.unit).sort(), ['%', '°C']);
    // The data attributes change before uPlot has rebuilt its axes for the new series: wait for the third axis.
    await page.locator('.chart-numeric .u-axis').nth(2).waitFor({ timeout: 5000 }).catch(() => undefined);
    assert.deepEqual(await page.locator('.chart-numeric .u-axis').evaluateAll((els) => els.length), 3, 'time, °C and % axes');
    await page.locator('.chart-legend', { hasText: /Humidity \(%\): mean, min–max shaded/ }).waitFor({ timeout: 5000 }).catch(() => undefined);
    assert.match((await page.locator('.chart-legend').textContent())!, /Humidity \(%\): mean, min–max shaded/);

    const lines = await readoutAt(page, '.chart-numeric', now - 1.5 * HOUR, d);
    assert.equal(lines.length, 4, lines.join(' | '));
    assert.match(lines[1]!, /^Temperature: 21 °C$/);
    assert.match(lines[2]!, /^Humidity: [\d.]+ % \(\d+(\.\d+)?–\d+(\.\d+)?\)$/);
    assert.match(lines[3]!, /^Window: Closed$/);
    // The whole page's screenshot scrolls to the top (and moves the cursor off the chart): the chart alone, hovered.
    await page.locator('.history-chart').screenshot({ path: path.join(resultsDir, 'history-readout.png') });
    const during = await readoutAt(page, '.chart-timeline', now - 2 * HOUR + 5 * MIN, d);
    assert.match(during.join(' | '), /Window: Open/);
    await screenshot(page, 'history-overlay-readout');
    await page.mouse.move(0, 0);
  });

  await t.test('7 d and a custom range are honoured exactly too', async () => {
    await page.getByLabel('7d').check();
    const week = await until(page, (x) => x.to - x.from === 7 * DAY && x.xMin === x.from, '7 days');
    assert.deepEqual([week.xMin, week.xMax], [week.from, week.to]);
    assert.equal(week.series.find((s) => s.property === 'temperature')!.first[0], now - 30 * HOUR, 'no value before: the line starts at the first change');

    await page.getByLabel('Custom').check();
    const from = new Date(now - 4 * HOUR);
    const to = new Date(now - 1 * HOUR);
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * MIN).toISOString().slice(0, 16);
    await page.locator('.custom-range').getByLabel('From').fill(local(from));
    await page.locator('.custom-range').getByLabel('To').fill(local(to));
    const wantFrom = new Date(local(from)).getTime();
    const wantTo = new Date(local(to)).getTime();
    const custom = await until(page, (x) => x.from === wantFrom && x.to === wantTo && x.xMax === wantTo, 'the custom range');
    const temperature = custom.series.find((s) => s.property === 'temperature')!;
    assert.deepEqual(temperature.first, [wantFrom, 19]);
    assert.deepEqual(temperature.last, [wantTo, 21], 'a range in the past ends at its end, with the value held then');
    assert.deepEqual(custom.bands.find((b) => b.property === 'window')!.bands.map((b) => b[2]), ['Open', 'Closed']);
    await screenshot(page, 'history-custom');
  });

  await t.test('a live report extends a relative range; the page fits a 390 px phone', async () => {
    await page.getByLabel('1h').check();
    await until(page, (x) => x.to - x.from === HOUR, '1 hour');
    await publish(device, 'ourhome/groundfloor/living/climate', JSON.stringify({ temperature: 23.5, humidity: 41, window: 'open' }));
    const d = await until(page, (x) => x.series.find((s) => s.property === 'temperature')?.last[1] === 23.5, 'the live report');
    assert.equal(d.bands.find((b) => b.property === 'window')!.bands.at(-1)![2], 'Open');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(100);
    // The history panel fits, and so does the page.
    const wide = await page.evaluate(`[...document.querySelectorAll('.history, .history *')].filter((e) => e.getBoundingClientRect().right > 390).map((e) => e.tagName + '.' + e.className)`);
    assert.deepEqual(wide, [], 'nothing in the history panel reaches past 390 px');
    assert.ok(await page.locator('.history-chart canvas').first().evaluate((c) => (c as unknown as { clientWidth: number }).clientWidth) <= 390);
    assert.ok(await page.evaluate('document.documentElement.scrollWidth') as number <= 390, 'no horizontal scrolling at 390 px');
    await screenshot(page, 'history-phone');
    assert.deepEqual(problems, []);
  });
});
