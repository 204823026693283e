import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { adminPassword, connect, deviceAccount, end, publish, startHub, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { loginAsAdmin, type Api } from '../helpers/http.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import { MAX_DEVICE_STATE_CHARS, MAX_STATE_VALUE_CHARS } from '../../devices/shared/limits.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Every stored value is bounded (issue 15, item 5): through the real broker, SQLite and socket.io. A device that
// sends more than the bounds gets its report refused (the reason in its device log), never a state of hundreds of
// MB; the hub stays up and the dashboard's snapshot still loads; a rumah.db from before the bounds still starts.

type LogEntry = { topic: string; reason: string };

async function deviceLog(api: Api, id: string, match: RegExp): Promise<LogEntry[]> {
  return waitFor(async () => {
    const entries = (await api.get(`/api/devices/${id}/log`)).body.entries as LogEntry[] | undefined;
    return entries?.some((e) => match.test(e.reason)) ? entries : undefined;
  }, 10_000, `device log of ${id} matching ${match}`);
}

async function dashboard(hub: TestHub) {
  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const live = await liveConnect(hub.httpUrl, { cookie });
  live.socket.close();
  return live.snapshot;
}

/** Characters of a state as JSON: what the dashboard receives for it. */
const jsonChars = (v: unknown): number => JSON.stringify(v ?? null).length;

test('an HA device whose value_template doubles its payload gets a bounded state; the hub and the dashboard stay up', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(client));
  const api = await loginAsAdmin(hub.httpUrl);

  // `value` written 2^k times by doubling through `{% set %}`: 20 doublings turn 250 bytes into 256 MB unbounded.
  const doubling = `{% set v = value %}${'{% set v = v ~ v %}'.repeat(20)}{{ v }}`;
  await publish(client, 'homeassistant/sensor/doubler/config', JSON.stringify({
    name: 'Doubler', uniq_id: 'doubler', stat_t: 'doubler/state', val_tpl: doubling, dev: { ids: ['doubler-dev'], name: 'Doubler' },
  }));
  const id = (await waitFor(() => hub.hub.registry.list().find((d) => d.convention === 'homeassistant')?.id, 5000, 'the HA device'));

  // One character doubled 20 times is 1 Mi characters: the first `~` past 64 Ki is refused, no state is kept, and
  // the reason is in the device log.
  await publish(client, 'doubler/state', 'x');
  await deviceLog(api, id, /template failed: .*(longer than 65536 characters|exceeded its budget)/);
  // 200 KiB (under the conventions' 256 KiB payload limit): not even given to the template.
  await publish(client, 'doubler/state', 'y'.repeat(200 * 1024));
  await deviceLog(api, id, /template failed: payload of 204800 characters is over the 65536-character limit for templates/);
  // The work of a template is charged by size: split over a 60 KiB payload, ten times, is over its budget.
  await publish(client, 'homeassistant/sensor/splitter/config', JSON.stringify({
    name: 'Splitter', uniq_id: 'splitter', stat_t: 'splitter/state',
    val_tpl: `{{ ${Array.from({ length: 10 }, () => "value.split(',') | length").join(' + ')} }}`, dev: { ids: ['splitter-dev'], name: 'Splitter' },
  }));
  const splitter = await waitFor(() => hub.hub.registry.list().find((d) => d.name === 'Splitter')?.id, 5000, 'the splitter');
  await publish(client, 'splitter/state', 'a,'.repeat(30 * 1024));
  await deviceLog(api, splitter, /template failed: template exceeded its budget/);
  await publish(client, 'splitter/state', 'a,b,c');
  const kept = await waitFor(() => Object.values(hub.hub.states.get(splitter) ?? {})[0], 5000, 'the splitter state');
  assert.equal(String(kept.value), '30', 'an ordinary payload renders: 10 × 3 items');
  assert.equal(Object.keys(hub.hub.states.get(id) ?? {}).length, 0, 'the doubler kept no state');

  const device = (await api.get(`/api/devices/${id}`)).body.device as { state: Record<string, { value: unknown }> };
  for (const s of Object.values(device.state)) assert.ok(jsonChars(s.value) <= MAX_STATE_VALUE_CHARS + 2);
  const snapshot = await dashboard(hub);
  assert.ok(snapshot.devices.some((d) => d.id === id), 'the dashboard snapshot loads and holds the device');
  const health = await fetch(`${hub.httpUrl}/healthz`);
  assert.equal(health.status, 200);
});

test('a native device publishing a 1.5 MiB JSON state keeps a bounded state, refused parts in its log', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(client));
  const api = await loginAsAdmin(hub.httpUrl);

  // 25 keys of 60,000 characters (each under the per-value bound, together 1.5 MB), one of 100,000 (over it).
  const state: Record<string, string | number> = { temperature: 21.5, huge: 'h'.repeat(100_000) };
  for (let i = 0; i < 25; i++) state[`blob${String(i).padStart(2, '0')}`] = String.fromCharCode(97 + (i % 26)).repeat(60_000);
  const payload = JSON.stringify(state);
  assert.ok(payload.length > 1.5 * 1024 * 1024);
  await publish(client, 'ourhome/groundfloor/attic/blobber', payload);
  const id = 'ourhome-groundfloor-attic-blobber';
  const log = await deviceLog(api, id, /state "huge" not stored: value larger than the 65536-character limit per state value/);
  // One entry for the report, naming the first refusals and counting the rest (blob04 to blob24 did not fit).
  const entry = log.find((e) => /state "huge"/.test(e.reason))!;
  assert.equal(entry.topic, 'ourhome/groundfloor/attic/blobber');
  assert.match(entry.reason, /state "blob04" not stored: value would take the device's state past its 262144-character limit/);
  assert.match(entry.reason, /and 19 more properties$/);

  const device = (await api.get(`/api/devices/${id}`)).body.device as { state: Record<string, { value: unknown }> };
  assert.equal(device.state.temperature?.value, 21.5, 'what fits is kept');
  assert.equal(device.state.huge, undefined);
  const total = Object.values(device.state).reduce((n, s) => n + jsonChars(s.value), 0);
  assert.ok(total <= MAX_DEVICE_STATE_CHARS, `device state ${total} characters`);
  assert.ok(Object.keys(device.state).length >= 4, 'blobs kept up to the device total');

  // The same in rumah.db and in the dashboard's snapshot.
  await hub.hub.store.writer.flush();
  const rows = await hub.hub.store.state.forDevice(id);
  assert.ok(rows.reduce((n, r) => n + jsonChars(r.state.value), 0) <= MAX_DEVICE_STATE_CHARS);
  const snapshot = await dashboard(hub);
  const live = snapshot.devices.find((d) => d.id === id);
  assert.equal(live?.state.huge, undefined);
  assert.equal(live?.state.temperature?.value, 21.5);
});

/** Runs SQL on a closed hub's rumah.db with the sqlite3 package, as an older hub would have left it. */
function onDatabase(file: string, sql: string, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.run(sql, params, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

test('a rumah.db holding an oversized state from before the bounds starts and serves the dashboard', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const first = await startHub({}, { dataDir });
  const account = await deviceAccount(first);
  const client = await connect(first.mqttUrl, account);
  await publish(client, 'ourhome/groundfloor/hall/text', 'hello');
  await publish(client, 'ourhome/groundfloor/hall/note', 'short');
  await waitFor(() => first.hub.states.value('ourhome-groundfloor-hall-note', 'note') === 'short');
  await first.hub.store.writer.flush();
  await end(client);
  await first.stop();

  // What an unbounded hub stored: a 2 MiB state (read back whole, and sent whole to every dashboard) and a
  // 100 KiB one (under the row bound, over the value bound); and the 2 MiB one in history too.
  const file = path.join(dataDir, 'rumah.db');
  const big = JSON.stringify('B'.repeat(2 * 1024 * 1024));
  await onDatabase(file, `UPDATE state SET value = ? WHERE device_id = 'ourhome-groundfloor-hall-text'`, [big]);
  await onDatabase(file, `UPDATE state SET value = ? WHERE device_id = 'ourhome-groundfloor-hall-note'`, [JSON.stringify('N'.repeat(100 * 1024))]);
  await onDatabase(file, `INSERT INTO history (series_id, ts, value) SELECT id, ?, ? FROM series WHERE device_id = 'ourhome-groundfloor-hall-text'`, [Date.now(), big]);

  const hub = await startHub({}, { dataDir });
  t.after(() => hub.stop());
  assert.equal(hub.hub.states.value('ourhome-groundfloor-hall-text', 'text'), undefined, 'the 2 MiB state is not restored');
  assert.equal(hub.hub.states.value('ourhome-groundfloor-hall-note', 'note'), undefined, 'the 100 KiB state is not restored');
  const snapshot = await dashboard(hub);
  const text = snapshot.devices.find((d) => d.id === 'ourhome-groundfloor-hall-text');
  assert.ok(text, 'the device itself is there');
  assert.deepEqual(text.state, {});
  const api = await loginAsAdmin(hub.httpUrl);
  const history = await api.get('/api/devices/ourhome-groundfloor-hall-text/history?property=text');
  assert.equal(history.status, 200);
  assert.deepEqual(history.body.points.map((p: { value: unknown }) => p.value), ['hello'], 'the oversized history row is left out');

  // The device reports again: its state is back, and the next start restores it.
  const again = await connect(hub.mqttUrl, account);
  t.after(() => end(again));
  await publish(again, 'ourhome/groundfloor/hall/text', 'back');
  await waitFor(() => hub.hub.states.value('ourhome-groundfloor-hall-text', 'text') === 'back');
});

test('a snapshot larger than one part goes out in parts, every device arriving once, whole', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(client));
  // 20 devices at the per-device bound (4 values of 60,000 characters): about 4.8 Mi characters, over PART_CHARS.
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const blobs: Record<string, string> = {};
    for (let k = 0; k < 4; k++) blobs[`blob${k}`] = String.fromCharCode(97 + ((i + k) % 26)).repeat(60_000);
    const thing = `shelf${String(i).padStart(2, '0')}`;
    await publish(client, `ourhome/cellar/store/${thing}`, JSON.stringify(blobs));
    ids.push(`ourhome-cellar-store-${thing}`);
  }
  await waitFor(() => ids.every((id) => Object.keys(hub.hub.states.get(id) ?? {}).length === 4), 10_000, 'all states');
  await new Promise((r) => setTimeout(r, 300)); // the batch of what came before the dashboard connects goes first

  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const live = await liveConnect(hub.httpUrl, { cookie });
  t.after(() => live.socket.close());
  const inSnapshot = live.snapshot.devices.map((d) => d.id);
  assert.ok(inSnapshot.length > 0 && inSnapshot.length < ids.length, `the first part holds some devices (${inSnapshot.length})`);
  const rest = await waitFor(() => {
    const added = live.batches.flatMap((b) => b.devices).filter((d) => d.device);
    return added.length + inSnapshot.length >= ids.length ? added : undefined;
  }, 10_000, 'the other parts');
  assert.deepEqual([...inSnapshot, ...rest.map((d) => d.id)].sort(), [...ids].sort(), 'each device exactly once');
  for (const d of rest) {
    assert.equal(Object.keys(d.state ?? {}).length, 4, `${d.id} arrives with its whole state`);
    assert.equal(d.state?.blob0?.value, hub.hub.states.value(d.id, 'blob0'));
  }
});
