import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';

// The history API a chart draws from (server/api/history-view.ts): the value in force at the range's start, every
// change in the range, and buckets (SQL, then hourly roll-ups) once a range holds more changes than `limit`.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const temp = 'ourhome-firstfloor-kitchen-temperature';
const light = 'ourhome-groundfloor-hall-light';

test('history API: start value, steps in range, bad ranges refused with a message', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  const api = await loginAsAdmin(hub.httpUrl);
  const url = (q: string) => `/api/devices/${temp}/history?property=temperature&${q}`;

  for (const v of [20, 21]) await publish(device, 'ourhome/firstfloor/kitchen/temperature', String(v));
  await waitFor(async () => (await api.get(url('from=0'))).body.points?.length === 2, 5000, 'two changes');
  const between = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '22.5');
  const res = await waitFor(async () => {
    const r = await api.get(url(`from=${between}`));
    return r.body.points?.length === 1 ? r : undefined;
  }, 5000, 'the change after the range start');
  // 21 was in force when the range started: the chart starts its step there, not at the first change.
  assert.equal(res.body.start.value, 21);
  assert.ok(res.body.start.ts < between);
  assert.equal(res.body.resolution, 'raw');
  assert.equal(res.body.from, between);
  assert.ok(res.body.to >= res.body.points[0].ts);
  assert.ok(res.body.now >= res.body.points[0].ts, 'the hub says when "now" is, to carry the last value to it');
  assert.deepEqual(res.body.points.map((p: any) => p.value), [22.5]);

  // A range after every change: no points, but the start value still says what held all along.
  const later = await api.get(url(`from=${Date.now() + 1000}&to=${Date.now() + 2000}`));
  assert.equal(later.status, 200);
  assert.deepEqual(later.body.points, []);
  assert.equal(later.body.start.value, 22.5);

  const reversed = await api.get(url(`from=${between}&to=${between - 1}`));
  assert.equal(reversed.status, 400);
  assert.match(reversed.body.error.message, /from .* is after to/);
  // Ranges are bounded: a longer one starts 3,660 days before its end, and says so.
  const tooLong = await api.get(url(`from=0&to=${20 * 365 * DAY}`));
  assert.equal(tooLong.status, 200);
  assert.equal(tooLong.body.from, 20 * 365 * DAY - 3660 * DAY);
  const future = await api.get(url('to=9000000000000000'));
  assert.equal(future.status, 400);
  assert.match(future.body.error.message, /to/);
  const badBuckets = await api.get(url('buckets=1'));
  assert.equal(badBuckets.status, 400);
  assert.match(badBuckets.body.error.message, /buckets/);
  const notANumber = await api.get(url('from=yesterday'));
  assert.equal(notANumber.status, 400);
  assert.match(notANumber.body.error.message, /from/);
  const unknown = await api.get(`/api/devices/${temp}/history?property=nope`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error.message, /no property "nope"/);
});

test('history API: 30 days of 1-per-10-s rows come back as at most 1,500 buckets, from the hourly roll-ups once rolled', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  const api = await loginAsAdmin(hub.httpUrl);
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '20');
  await publish(device, 'ourhome/groundfloor/hall/light', 'ON');
  await waitFor(async () => (await api.get(`/api/devices/${light}/history?property=light`)).body.points?.length === 1, 5000, 'first rows');

  // 30 days before the first report, written straight into the hub's rumah.db (as a month of reports would have).
  const store = hub.hub.store;
  const tempSeries = await store.series.ensure(temp, 'temperature');
  const lightSeries = await store.series.ensure(light, 'light');
  const now = Date.now();
  const t0 = Math.floor((now - 30 * DAY) / HOUR) * HOUR + HOUR;
  const n = Math.floor((now - 60_000 - t0) / 10_000);
  // value = i mod 60 (0..59 within every 10 minutes): each hour's min 0, max 59, mean 29.5.
  await store.db.run(
    `WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
     INSERT INTO history (series_id, ts, value) SELECT ?, ? + i * 10000, i % 60 FROM c`,
    [n - 1, tempSeries, t0],
  );
  // A light switching every 10 s: 260,000 changes, far more than a timeline can show.
  await store.db.run(
    `WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
     INSERT INTO history (series_id, ts, value) SELECT ?, ? + i * 10000, CASE i % 2 WHEN 0 THEN 'true' ELSE 'false' END FROM c`,
    [n - 1, lightSeries, t0],
  );

  const month = `from=${now - 30 * DAY}&to=${now}`;
  const raw = await api.get(`/api/devices/${temp}/history?property=temperature&${month}`);
  assert.equal(raw.status, 200);
  assert.equal(raw.body.resolution, 'buckets');
  assert.equal(raw.body.source, 'hourly');
  assert.equal(raw.body.bucketMs, HOUR);
  assert.deepEqual(raw.body.points, []);
  assert.ok(raw.body.buckets.length <= 721 && raw.body.buckets.length >= 700, `${raw.body.buckets.length} buckets`);
  const mid = raw.body.buckets[300];
  assert.deepEqual([mid.min, mid.max, mid.mean, mid.count], [0, 59, 29.5, 360]);

  // Retention rolls the hours up; the same answer then reads ~720 roll-ups instead of 259,000 rows.
  await store.retention.runOnce();
  const rolled = await api.get(`/api/devices/${temp}/history?property=temperature&${month}`);
  assert.equal(rolled.body.source, 'hourly');
  assert.equal(rolled.body.buckets.length, raw.body.buckets.length);
  assert.deepEqual(rolled.body.buckets[300], mid);
  assert.deepEqual(rolled.body.buckets.map((b: any) => b.ts), raw.body.buckets.map((b: any) => b.ts));

  // 24 hours: 8,640 rows, bucketed on the fly by a minute (1,440 buckets of 6 rows).
  const day = await api.get(`/api/devices/${temp}/history?property=temperature&from=${t0}&to=${t0 + DAY - 1}`);
  assert.equal(day.body.resolution, 'buckets');
  assert.equal(day.body.source, 'raw');
  assert.equal(day.body.bucketMs, 60_000);
  assert.equal(day.body.buckets.length, 1440);
  assert.deepEqual(day.body.buckets[0], { ts: t0, min: 0, max: 5, mean: 2.5, count: 6 });

  // Under `limit` changes the answer stays raw: every change, exact.
  const minute = await api.get(`/api/devices/${temp}/history?property=temperature&from=${t0}&to=${t0 + 59_999}`);
  assert.equal(minute.body.resolution, 'raw');
  assert.deepEqual(minute.body.points.map((p: any) => p.value), [0, 1, 2, 3, 4, 5]);

  // A binary past `limit`: the last change of each bucket, at most `buckets` of them (native "ON" is stored as true).
  const lights = await api.get(`/api/devices/${light}/history?property=light&${month}&buckets=500`);
  assert.equal(lights.body.resolution, 'thinned');
  // 30 days / 500 = 86 min, rounded up to 2 h: 360 buckets.
  assert.ok(lights.body.points.length <= 361 && lights.body.points.length >= 359, `${lights.body.points.length} points`);
  assert.ok(lights.body.points.every((p: any) => typeof p.value === 'boolean'), JSON.stringify(lights.body.points.slice(-3)));
  assert.equal(lights.body.bucketMs, 2 * HOUR);
});
