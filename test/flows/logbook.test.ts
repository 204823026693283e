import { test } from 'node:test';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { adminPassword, connect, end, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import type { LogbookBatch, LogbookEntry } from '../../server/realtime/protocol.js';
import { account, login, startRulesHub, type Http } from './rules-helpers.js';
import { loginAsAdmin, readMetrics } from '../helpers/http.js';

// The logbook (server/logbook, docs/dashboard.md#logbook): a real hub, real MQTT devices, the REST API and a live
// socket. What happened is there in words, newest first; numeric reports are not (they are history); filters, pages
// and bad input behave; new entries arrive live.

const night = [
  'id: night-mode',
  'name: Night mode',
  'triggers: [{trigger: mqtt, topic: ourhome/cmd/night}]',
  'actions:',
  '  - action: set',
  '    device: ourhome/groundfloor/hall/light',
  '    value: false',
  '',
].join('\n');

async function entries(api: Http, query = ''): Promise<LogbookEntry[]> {
  const r = await api.get(`/api/logbook${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.entries;
}

async function device(api: Http, topic: string): Promise<{ id: string; name: string }> {
  return waitFor(async () => (await api.get('/api/devices')).body.devices.find((d: { topic: string }) => d.topic === topic), 5000, `device ${topic}`);
}

test('the logbook says what happened in words, newest first: device changes, commands and who sent them, rule runs, availability, logins; not numeric reports; filters, pages and live', async (t) => {
  const h = await startRulesHub({ files: { 'night-mode.yaml': night } });
  t.after(() => h.stop());
  const refused = await fetch(`${h.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mallory', password: 'guess-guess' }) });
  assert.equal(refused.status, 401);
  const admin = await login(h.httpUrl);
  assert.equal((await admin.post('/api/users', { username: 'mia', password: 'member-password-1', role: 'member' })).status, 201);
  const mia = await login(h.httpUrl, 'mia', 'member-password-1');
  const live = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, 'mia', 'member-password-1') });
  t.after(() => live.socket.close());
  const arrived: LogbookEntry[] = [];
  live.socket.on('logbook', (batch: LogbookBatch) => void arrived.push(...batch.entries));

  const house = await connect(h.mqttUrl, await account(h, 'house'));
  t.after(() => end(house));
  await subscribe(house, 'ourhome/groundfloor/hall/light/set');
  // The light obeys its commands and reports them, as a real one does.
  house.on('message', (topic, payload) => {
    if (topic === 'ourhome/groundfloor/hall/light/set') house.publish('ourhome/groundfloor/hall/light', payload.toString());
  });
  await publish(house, 'ourhome/groundfloor/hall/light', 'ON');
  await publish(house, 'ourhome/groundfloor/frontdoor/contact', 'open');
  for (const v of ['21.5', '22', '22.5', '23']) await publish(house, 'ourhome/firstfloor/kitchen/temperature', v);
  await publish(house, 'ourhome/firstfloor/bedroom/window', 'open');
  await publish(house, 'ourhome/groundfloor/frontdoor/contact', 'closed');
  const light = await device(admin, 'ourhome/groundfloor/hall/light');
  const kitchen = await device(admin, 'ourhome/firstfloor/kitchen/temperature');
  const door = await device(admin, 'ourhome/groundfloor/frontdoor/contact');
  await waitFor(async () => (await entries(mia)).some((e) => e.deviceId === door.id && /closed/.test(e.message)), 5000, 'the door closing');

  assert.equal((await admin.post(`/api/devices/${light.id}/command`, { property: 'light', value: false })).status, 202);
  await waitFor(async () => (await entries(mia, '?cause=user')).some((e) => e.kind === 'command'), 5000, 'the admin\'s command');
  await publish(house, 'ourhome/cmd/night', 'go');
  await waitFor(async () => (await entries(mia, '?cause=rule')).some((e) => e.kind === 'rule'), 5000, 'the rule run');
  // A button press (an event, not a state): a Shelly input in button mode.
  const shelly = 'shellyplus1-a8032ab12345';
  await publish(house, `${shelly}/events/rpc`, JSON.stringify({ src: shelly, method: 'NotifyFullStatus', params: { sys: { mac: 'A8032AB12345' }, 'switch:0': { id: 0, output: false } } }));
  await publish(house, `${shelly}/events/rpc`, JSON.stringify({ src: shelly, method: 'NotifyEvent', params: { events: [{ component: 'input:0', event: 'single_push' }] } }));
  const press = await waitFor(async () => (await entries(mia)).find((e) => e.kind === 'event'), 5000, 'the button press');
  assert.match(press.message, /input:0 event reported “single_push”$/);
  assert.equal(press.cause, 'device');
  await publish(house, 'ourhome/groundfloor/hall/light/status', 'offline');
  await waitFor(async () => (await entries(mia)).some((e) => e.kind === 'availability' && /went offline$/.test(e.message)), 5000, 'the light going offline');

  const all = await entries(mia, '?limit=500');
  const said = all.map((e) => e.message);
  assert.deepEqual(all.map((e) => e.id), [...all.map((e) => e.id)].sort((a, b) => b - a), 'newest first');
  assert.ok(all.every((e, i) => i === 0 || all[i - 1]!.ts >= e.ts), 'in time order too');
  assert.ok(said.includes(`${light.name} turned on`), said.join('\n'));
  assert.ok(said.includes(`${door.name} is open`), 'a contact keeps its own words');
  assert.ok(said.includes(`${door.name} is closed`));
  assert.ok(said.includes(`admin turned off ${light.name}`), 'a command, and who sent it');
  assert.ok(said.some((m) => m.startsWith('Rule Night mode ran')), 'the rule run, by its name');
  assert.ok(said.some((m) => m.startsWith(`Rule Night mode turned off ${light.name}`) || m === `Rule Night mode turned off ${light.name}`), 'the rule\'s command');
  assert.ok(said.includes(`${light.name} went offline`));
  // Logins (and pairing) are the admins' record: a member does not see them.
  assert.ok(!all.some((e) => e.kind === 'login'), 'a member sees no logins');
  const adminAll = await entries(admin, '?limit=500');
  const logins = adminAll.filter((e) => e.kind === 'login').map((e) => e.message);
  assert.ok(logins.some((m) => /^admin logged in from 127\.0\.0\.1$/.test(m)) && logins.some((m) => /^mia logged in/.test(m)), logins.join(' | '));
  const failed = adminAll.find((e) => e.kind === 'login' && e.level === 'warning');
  assert.match(failed?.message ?? '', /^Failed login as mallory/);
  assert.ok(!adminAll.some((e) => e.message.includes('guess-guess')), 'never a password');
  assert.ok(!all.some((e) => e.deviceId === kitchen.id), 'numeric reports are history, not logbook entries');
  const rule = all.find((e) => e.kind === 'rule')!;
  assert.equal(rule.cause, 'rule');
  assert.equal(rule.actor, 'night-mode');

  // Filters: cause, device, area (the devices' areas today: the bedroom window is the only first-floor entry).
  assert.ok((await entries(mia, '?cause=device')).every((e) => e.cause === 'device'));
  const ofLight = await entries(mia, `?device=${encodeURIComponent(light.id)}`);
  assert.ok(ofLight.length >= 4 && ofLight.every((e) => e.deviceId === light.id));
  const upstairs = await entries(mia, '?area=firstfloor');
  assert.deepEqual(upstairs.map((e) => e.message), [said.find((m) => /window is open$/.test(m))]);
  assert.deepEqual(await entries(mia, '?area=firstfloor/kitchen'), []);
  assert.ok((await entries(mia, '?area=groundfloor/frontdoor')).every((e) => e.deviceId === door.id));
  assert.deepEqual(await entries(mia, '?area=attic'), []);

  // Pages: limit and before walk back without gaps or repeats.
  const first = await mia.get('/api/logbook?limit=3');
  assert.equal(first.body.entries.length, 3);
  assert.equal(first.body.more, true);
  const second = await entries(mia, `?limit=3&before=${first.body.entries[2].id}`);
  assert.deepEqual([...first.body.entries, ...second].map((e: LogbookEntry) => e.id), all.slice(0, 6).map((e) => e.id));

  // Bad input: a 400 that names the parameter; no session: 401.
  for (const q of ['limit=0', 'limit=501', 'limit=ten', 'cause=alien', 'before=-1', 'before=abc', 'colour=red', 'cause=user&cause=rule', `area=${'x'.repeat(300)}`]) {
    const r = await mia.get(`/api/logbook?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, 'RUMAH_ERR_BAD_REQUEST', q);
  }
  assert.equal((await fetch(`${h.httpUrl}/api/logbook`)).status, 401);

  // Live: what was written while the member's socket was open arrived on it, oldest first.
  await waitFor(() => arrived.some((e) => e.kind === 'availability' && /went offline$/.test(e.message)), 5000, 'the live entries');
  const liveIds = arrived.map((e) => e.id);
  assert.deepEqual(liveIds, [...liveIds].sort((a, b) => a - b));
  assert.ok(arrived.some((e) => e.kind === 'rule' && e.message.startsWith('Rule Night mode ran')));
  assert.ok(all.every((e) => liveIds.includes(e.id)), 'every entry after the socket opened came live');
  assert.ok(!arrived.some((e) => e.kind === 'login'), 'logins are not sent to a member\'s socket');
  const adminLive = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, 'admin', adminPassword) });
  t.after(() => adminLive.socket.close());
  const toAdmin: LogbookEntry[] = [];
  adminLive.socket.on('logbook', (batch: LogbookBatch) => void toAdmin.push(...batch.entries));
  assert.equal((await fetch(`${h.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mia', password: 'not-hers-at-all' }) })).status, 401);
  await waitFor(() => toAdmin.some((e) => e.kind === 'login' && e.message.startsWith('Failed login as mia')), 5000, 'a failed login, live to an admin');
  await publish(house, 'ourhome/groundfloor/frontdoor/contact', 'open');
  await waitFor(() => arrived.some((e) => e.id > liveIds.at(-1)! && e.message === `${door.name} is open`), 5000, 'the member\'s next entry');
  assert.ok(!arrived.some((e) => e.kind === 'login'), 'still no logins on the member\'s socket');
});

test('the logbook is bounded: a flapping sensor is rate-limited at its source, one account cannot push the others out, old and surplus entries are deleted', async (t) => {
  const settings = { logbook: { sourceBurst: 8, sourceRatePerMinute: 1, maxPerSource: 10, maxEntries: 100 } };
  const hub = await startHub(settings, { keepData: true });
  t.after(async () => {
    await hub.stop();
    fs.rmSync(hub.dataDir, { recursive: true, force: true });
  });
  const api = await loginAsAdmin(hub.httpUrl);
  const flapper = await connect(hub.mqttUrl, { username: 'flapper', password: await hub.hub.store.accounts.create('flapper', 'device') });
  t.after(() => end(flapper));
  const other = await connect(hub.mqttUrl, { username: 'other', password: await hub.hub.store.accounts.create('other', 'device') });
  t.after(() => end(other));
  await publish(other, 'ourhome/groundfloor/frontdoor/contact', 'open');
  // One sensor flapping: 100 changes, of which its bucket lets 8 through.
  for (let i = 0; i < 100; i++) await publish(flapper, 'ourhome/groundfloor/hall/motion', i % 2 ? 'false' : 'true');
  // Eleven more sensors of the same account, 2 changes each: 22 entries for the account, within their own rates.
  for (let s = 0; s < 11; s++) for (const v of ['true', 'false']) await publish(flapper, `ourhome/groundfloor/room${s}/motion`, v);
  const page = async () => (await api.get('/api/logbook?limit=500')).body.entries as LogbookEntry[];
  await waitFor(async () => (await page()).filter((e) => /room10/i.test(e.message)).length === 2, 5000, 'the last sensor\'s two changes');
  await hub.hub.logbook!.writer.flush();

  const before = await page();
  const hall = before.filter((e) => e.message.startsWith('Hall motion') || /hall motion/i.test(e.message));
  assert.equal(hall.length, 8, `the flapping sensor is rate-limited: ${hall.map((e) => e.message).join(' | ')}`);
  assert.equal(before.filter((e) => e.kind === 'state').length, 8 + 22 + 1);
  const refusedMetric = (await readMetrics(hub)).match(/^rumah_logbook_rate_refused_total (\d+)$/m);
  assert.equal(Number(refusedMetric?.[1]), 92, 'the refused entries are counted in /metrics');

  await hub.hub.logbook!.prune();
  const after = await page();
  const ofFlapper = after.filter((e) => e.kind === 'state' && !/frontdoor|front ?door/i.test(e.message));
  assert.equal(ofFlapper.length, 10, 'the account keeps its newest maxPerSource entries');
  assert.ok(ofFlapper.every((e) => e.id >= before.filter((x) => x.kind === 'state' && !/front ?door/i.test(x.message))[9]!.id), 'the newest ten');
  assert.equal(after.filter((e) => /front ?door/i.test(e.message)).length, 1, 'the other account\'s entry is still there');
  assert.ok(after.some((e) => e.kind === 'login'), 'and the admin\'s login');

  // Age: entries older than logbook.days (30) are deleted by the next retention run.
  const db = hub.hub.store.db;
  await db.run('UPDATE logbook SET ts = ts - ?', [31 * 24 * 3_600_000]);
  await hub.hub.logbook!.prune();
  assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM logbook'))!.n, 0);
  // Ids never go back, even when retention emptied the table and the hub restarted (an open page sorts by them).
  await Promise.all([end(flapper), end(other)]);
  await hub.stop();
  const again = await startHub(settings, { dataDir: hub.dataDir });
  t.after(() => again.stop());
  const later = await loginAsAdmin(again.httpUrl);
  const next = await waitFor(async () => ((await later.get('/api/logbook')).body.entries as LogbookEntry[])[0], 5000, 'the login after the restart');
  assert.ok(next.id > Math.max(...before.map((e) => e.id)), `${next.id} after ${Math.max(...before.map((e) => e.id))}`);
});

test('pairing in the logbook: a candidate asking to join (once, however often it publishes), accepted, rejected', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  await api.post('/api/pairing/open', { seconds: 60 });
  const candidate = await connect(hub.mqttUrl, { username: 'porch-sensor', password: 'chosen-by-the-device', clientId: 'porch-1' });
  for (const v of ['false', 'true', 'false']) await publish(candidate, 'ourhome/groundfloor/porch/motion', v);
  const intruder = await connect(hub.mqttUrl, { username: 'intruder', password: 'whatever-1' });
  await waitFor(async () => (await api.get('/api/pairing')).body.candidates.length === 2, 5000, 'two candidates');
  const closed = [candidate, intruder].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
  assert.equal((await api.post('/api/pairing/candidates/porch-sensor/accept', {})).status, 200);
  assert.equal((await api.post('/api/pairing/candidates/intruder/reject', {})).status, 200);
  await Promise.all(closed);
  await Promise.all([end(candidate), end(intruder)]);
  const said = await waitFor(async () => {
    const list = ((await api.get('/api/logbook?cause=system')).body.entries as LogbookEntry[]).map((e) => e.message);
    return list.length >= 4 ? list : undefined;
  }, 5000, 'the pairing entries');
  assert.deepEqual(said, ['Device account intruder was rejected', 'Device account porch-sensor was accepted', 'New device intruder asks to join', 'New device porch-sensor asks to join']);
});
