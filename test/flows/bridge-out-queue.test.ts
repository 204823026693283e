import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { adminPassword, connect, startHub, tempDir } from '../helpers/hub.js';
import { mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { bridge, collect, linkOf, publish, subscribe, until } from '../helpers/bridge-out.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const admin = { username: 'admin', password: adminPassword };
const skip = mosquittoBin() ? false : 'mosquitto is not installed';
const n = 40;

test('QoS 1 messages published while the remote is down wait in rumah.db, survive a rumah restart, and all arrive in order when it is back', { skip }, async (t) => {
  // The remote keeps a persistent session for its subscriber across its own restart (persistence on, in our dir).
  const store = tempDir('mosquitto-store-');
  removeWhenDone(store);
  // Started as root, mosquitto drops to its own user before it writes its store.
  fs.chmodSync(store, 0o777);
  const persist = ['persistence true', `persistence_location ${store}${path.sep}`];
  let remote = await startMosquitto(persist);
  const port = remote.port;
  t.after(() => remote.stop());
  const sink = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'sink', clean: false });
  await subscribe(sink, 'site/#', 1);
  sink.end(true);

  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const bridges = [bridge({ url: `mqtt://127.0.0.1:${port}`, topics: ['q/# out 1 "" site/'] })];
  let hub = await startHub({ bridges }, { dataDir });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');

  // The remote goes away (stopped by its PID); the bridge sees it down.
  await remote.stop();
  await until('the bridge to see the remote gone', () => linkOf(hub.hub).state !== 'connected');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  for (let i = 0; i < n / 2; i++) await publish(local, `q/${i}`, `m${i}`, 1);
  assert.equal(linkOf(hub.hub).queueDepth, n / 2);

  // rumah restarts while the link is down: what was queued is read back from rumah.db.
  local.end(true);
  await hub.stop();
  hub = await startHub({ bridges }, { dataDir });
  assert.equal(linkOf(hub.hub).queueDepth, n / 2, 'the queue survived the restart');
  const again = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => again.end(true));
  for (let i = n / 2; i < n; i++) await publish(again, `q/${i}`, `m${i}`, 1);
  assert.equal(linkOf(hub.hub).queueDepth, n);

  // The remote comes back on the same port; the bridge reconnects (backoff) and delivers the queue.
  remote = await startMosquitto(persist, { port });
  const back = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'sink', clean: false });
  t.after(() => back.end(true));
  const got = collect(back);
  await until('every queued message at the remote', () => got.length >= n, 60_000);
  assert.deepEqual(got, Array.from({ length: n }, (_, i) => `site/q/${i} m${i}`), 'all of them, once, in order');
  await until('the queue to empty once acknowledged', () => linkOf(hub.hub).queueDepth === 0);
  await hub.hub.bridges!.flush();
  const rows = await hub.hub.store.db.get<{ n: number }>('SELECT count(*) AS n FROM bridge_queue');
  assert.equal(rows?.n, 0, 'rows leave rumah.db after the remote PUBACK');
});

test('the out-queue is bounded: past maxQueuedMessages the oldest are dropped and counted', { skip }, async (t) => {
  const remote = await startMosquitto([]);
  const port = remote.port;
  const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${port}`, maxQueuedMessages: 5, topics: ['q/# out 1'] })] });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
  await remote.stop();
  await until('the bridge to see the remote gone', () => linkOf(hub.hub).state !== 'connected');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  for (let i = 0; i < 8; i++) await publish(local, `q/${i}`, `m${i}`, 1);
  const view = linkOf(hub.hub);
  assert.equal(view.queueDepth, 5);
  assert.equal(view.queueDropped, 3);
  await hub.hub.bridges!.flush();
  const rows = await hub.hub.store.db.all<{ topic: string }>('SELECT topic FROM bridge_queue ORDER BY id');
  assert.deepEqual(rows.map((r) => r.topic), ['q/3', 'q/4', 'q/5', 'q/6', 'q/7'], 'the newest five are kept');
});
