import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WATERMARK_KEY } from '../../../server/store/retention.js';
import { Retention } from '../../../server/store/retention.js';
import { change, openTestStore, silentLog } from './helpers.js';

const H = 3_600_000;
const D = 24 * H;
const NOW_HOUR = 480_000; // 2024-10-04
const NOW = NOW_HOUR * H + 25 * 60_000; // 25 minutes into the current hour

test('finished hours of numeric samples are rolled up; text values and the current hour are not', async (t) => {
  const store = await openTestStore(t);
  const h2 = (NOW_HOUR - 2) * H;
  const h1 = (NOW_HOUR - 1) * H;
  for (const [ts, v] of [[h2 + 1, 10], [h2 + 2000, 30], [h2 + H - 1, 20], [h1 + 5, 5], [NOW_HOUR * H + 1, 99]] as const) {
    store.writer.enqueue(change('th', 'temperature', v, ts));
  }
  store.writer.enqueue(change('lamp', 'state', 'on', h2 + 10));
  await store.writer.flush();
  const retention = new Retention(store.db, store.settings, silentLog());
  const first = await retention.runOnce(NOW);
  assert.deepEqual(first, { hoursRolled: 2, rawDeleted: 0, hourlyDeleted: 0 });
  const expected = [
    { hour: h2, min: 10, max: 30, avg: 20, count: 3 },
    { hour: h1, min: 5, max: 5, avg: 5, count: 1 },
  ];
  assert.deepEqual(await store.history.hourly('th', 'temperature', 0, NOW), expected);
  assert.deepEqual(await store.history.hourly('th', 'temperature', h1 + 10, NOW), [expected[1]], 'hours overlapping the range');
  assert.deepEqual(await store.history.hourly('lamp', 'state', 0, NOW), []);
  assert.equal(await store.settings.get(WATERMARK_KEY), NOW_HOUR);
  // Idempotent: nothing new to roll, nothing counted twice.
  assert.deepEqual(await retention.runOnce(NOW), { hoursRolled: 0, rawDeleted: 0, hourlyDeleted: 0 });
  // Even when the watermark is lost, rolling again replaces rather than adds.
  await store.settings.delete(WATERMARK_KEY);
  assert.equal((await retention.runOnce(NOW)).hoursRolled, 2);
  assert.deepEqual(await store.history.hourly('th', 'temperature', 0, NOW), expected);
  // The next hour is rolled once it is over.
  assert.equal((await retention.runOnce(NOW + H)).hoursRolled, 1);
  assert.equal((await store.history.hourly('th', 'temperature', 0, NOW + H)).length, 3);
});

test('raw samples older than rawDays and roll-ups older than hourlyDays are deleted, in chunks', async (t) => {
  const store = await openTestStore(t);
  // 95 samples 10 days old (one per minute), spread over two series, and 10 from an hour ago.
  for (let i = 0; i < 95; i++) store.writer.enqueue(change(`d${i % 2}`, 'power', i, NOW - 10 * D + i * 60_000));
  for (let i = 0; i < 10; i++) store.writer.enqueue(change('d0', 'power', 1000 + i, NOW - H + i));
  await store.writer.flush();
  const retention = new Retention(store.db, store.settings, silentLog(), { rawDays: 7, hourlyDays: 30, deleteChunk: 10 });
  const first = await retention.runOnce(NOW);
  assert.equal(first.rawDeleted, 95);
  assert.equal(await store.history.count(), 10);
  const oldHours = await store.history.hourly('d0', 'power', 0, NOW - 9 * D);
  assert.equal(oldHours.length, 2, 'the deleted samples survive as roll-ups');
  assert.equal(oldHours.reduce((n, h) => n + h.count, 0), 48);
  // 25 days later the old roll-ups pass hourlyDays.
  const later = await retention.runOnce(NOW + 25 * D);
  assert.equal(later.hourlyDeleted, 4); // d0 and d1, two hours each
  assert.equal(later.rawDeleted, 10);
  assert.equal((await store.history.hourly('d0', 'power', 0, NOW + 25 * D)).length, 1);
});

test('start runs shortly after start, stop is idempotent', async (t) => {
  const store = await openTestStore(t);
  store.writer.enqueue(change('d', 'p', 1, Date.now() - 2 * H));
  await store.writer.flush();
  const retention = new Retention(store.db, store.settings, silentLog(), { initialDelayMs: 5 });
  retention.start();
  retention.start();
  const end = Date.now() + 5000;
  while ((await store.settings.get(WATERMARK_KEY)) === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await retention.stop();
  await retention.stop();
  const hour = Math.floor(Date.now() / H);
  assert.ok([hour, hour - 1].includes((await store.settings.get<number>(WATERMARK_KEY))!), 'rolled up to the current hour');
});
