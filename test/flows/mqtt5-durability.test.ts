import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { connect, end, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import type { IPublishPacket } from 'mqtt-packet';
import { connect5, publish5, RawClient, sleep, subscribe5, until, type V5Client } from '../helpers/mqtt5.js';
import type { HubProcess } from '../helpers/process.js';
import { admin, kill, mqttUrlOf, withHub } from '../helpers/crash.js';
import { createLogger } from '../../server/core/logger.js';
import { createSqlitePersistence } from '../../server/mqtt/persistence/sqlite-persistence.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// MQTT 5 sessions across a crash: each case kills the hub with SIGKILL and starts it again on the same data dir.
// Session Expiry (server/mqtt/session-expiry.ts) and Message Expiry are kept in broker.db, not only in timers.

const url = mqttUrlOf;

/** Rows of broker.db, read beside the running hub (WAL: a reader does not disturb the writer). */
function rows<T>(dataDir: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path.join(dataDir, 'broker.db'), sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all<T>(sql, (e, result) => db.close(() => (e ? reject(e) : resolve(result))));
    });
  });
}

const subscriptionsOf = async (dataDir: string, clientId: string): Promise<string[]> =>
  (await rows<{ topic: string }>(dataDir, `SELECT topic FROM subscriptions WHERE client_id = '${clientId}'`)).map((r) => r.topic);
const deadlineOf = async (dataDir: string, clientId: string): Promise<{ expiry_interval: number; expires_at: number | null } | undefined> =>
  (await rows<{ expiry_interval: number; expires_at: number | null }>(dataDir, `SELECT expiry_interval, expires_at FROM session_expiry WHERE client_id = '${clientId}'`))[0];

/** Waits until the hub has written the client's deadline (its disconnect was handled and committed). */
async function deadlineWritten(dataDir: string, clientId: string): Promise<number> {
  return waitFor(async () => (await deadlineOf(dataDir, clientId))?.expires_at, 10_000, `the deadline of ${clientId}`);
}

/** Connects an MQTT 5 client; resolves with the session-present flag of its CONNACK. */
async function resume(t: TestContext, hub: HubProcess, clientId: string, sessionExpiryInterval: number): Promise<V5Client> {
  return connect5(t, url(hub), { clientId, clean: false, properties: { sessionExpiryInterval } });
}

// Each case waits seconds for expiries, delays and restarts of a hub of its own (its own data folder and ports): three
// run at once, or the file's time is those waits one after another.
describe('MQTT 5 sessions across a crash', { concurrency: 3 }, () => {
  test('an MQTT 5 session (Session Expiry 3600) survives a crash: session present, queued QoS 1 messages once, with their properties and the remaining message expiry', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const sub = await connect5(undefined, url(hub), { clientId: 'v5-sleepy', clean: true, properties: { sessionExpiryInterval: 3600 } });
    await subscribe5(sub.client, 'ourhome/v5q/#', { qos: 1 });
    await end(sub.client);
    await deadlineWritten(dataDir, 'v5-sleepy');
    const pub = await connect5(undefined, url(hub), { clientId: 'v5-pub' });
    await publish5(pub.client, 'ourhome/v5q/room/temp', '21.5', {
      qos: 1,
      properties: { messageExpiryInterval: 3600, userProperties: { unit: 'C', source: 'probe' }, contentType: 'text/plain' },
    });
    await publish5(pub.client, 'ourhome/v5q/room/humidity', '40', { qos: 1 });
    await end(pub.client);
    await kill(hub);

    const again = await start();
    const back = await resume(t, again, 'v5-sleepy', 3600);
    assert.equal(back.connack.sessionPresent, true, 'CONNACK says session present');
    await until(() => back.messages.length >= 2, 'the two queued messages');
    await sleep(500);
    assert.deepEqual(back.messages.map((m) => `${m.topic}=${m.payload.toString()}`), ['ourhome/v5q/room/temp=21.5', 'ourhome/v5q/room/humidity=40'], 'each once, in order');
    const temp = back.messages[0]!;
    assert.deepEqual({ ...temp.properties?.userProperties }, { unit: 'C', source: 'probe' });
    assert.equal(temp.properties?.contentType, 'text/plain');
    const left = temp.properties?.messageExpiryInterval;
    assert.ok(typeof left === 'number' && left > 0 && left <= 3600, `the remaining message expiry is sent (${left})`);
    assert.equal(back.messages[1]!.properties?.messageExpiryInterval, undefined, 'a message without expiry gets none');
    // The subscription itself came back: a new message is delivered without subscribing again.
    const pub2 = await connect5(t, url(again), { clientId: 'v5-pub-after' });
    await publish5(pub2.client, 'ourhome/v5q/room/temp', '22', { qos: 1 });
    await until(() => back.messages.some((m) => m.payload.toString() === '22'), 'a new message on the restored subscription');
  });

  test('a session whose expiry passed while the hub was down is gone at the restart; its delayed will is published once, at the start', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const watcher = await connect(url(hub), { ...admin, clientId: 'watcher', clean: false });
    await subscribe(watcher, 'ourhome/groundfloor/hall/sensor/status', 1);
    await end(watcher);
    const sensor = await connect5(undefined, url(hub), {
      clientId: 'v5-brief',
      clean: true,
      properties: { sessionExpiryInterval: 5 },
      // The will waits for the session's end (min(Will Delay, Session Expiry) = 5 s): still stored at the kill.
      will: { topic: 'ourhome/groundfloor/hall/sensor/status', payload: Buffer.from('offline'), qos: 1, retain: false, properties: { willDelayInterval: 3600 } },
    });
    await subscribe5(sensor.client, 'ourhome/brief/#', { qos: 1 });
    await end(sensor.client); // no DISCONNECT: the connection is lost, the will stands
    const expiresAt = await deadlineWritten(dataDir, 'v5-brief');
    const pub = await connect5(undefined, url(hub), { clientId: 'v5-pub' });
    await publish5(pub.client, 'ourhome/brief/x', 'queued', { qos: 1 });
    await end(pub.client);
    assert.ok(Date.now() < expiresAt, 'the hub is killed before the session expires (else this case proves nothing)');
    await kill(hub);
    await sleep(Math.max(0, expiresAt - Date.now()) + 200);

    const again = await start();
    // connect5 listens for messages before the CONNACK: queued ones can come in the same read.
    const back = await connect5(t, url(again), { protocolVersion: 4, clientId: 'watcher', clean: false });
    const wills = () => back.messages.filter((m) => m.topic === 'ourhome/groundfloor/hall/sensor/status').map((m) => m.payload.toString());
    await until(() => wills().length > 0, 'the will', 5_000).catch(() => undefined);
    await sleep(500);
    assert.deepEqual(wills(), ['offline'], 'the will, once');
    assert.deepEqual(await subscriptionsOf(dataDir, 'v5-brief'), [], 'its subscriptions were removed at the start');
    assert.equal(await deadlineOf(dataDir, 'v5-brief'), undefined);
    const resumed = await resume(t, again, 'v5-brief', 5);
    assert.equal(resumed.connack.sessionPresent, false, 'no session to resume');
    await sleep(500);
    assert.deepEqual(resumed.messages, [], 'nothing queued for it was kept');
  });

  test('a session not yet expired at the restart expires on time after it: its subscriptions and queue go', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const sub = await connect5(undefined, url(hub), { clientId: 'v5-later', clean: true, properties: { sessionExpiryInterval: 12 } });
    await subscribe5(sub.client, 'ourhome/later/#', { qos: 1 });
    await end(sub.client);
    const expiresAt = await deadlineWritten(dataDir, 'v5-later');
    await kill(hub);

    const again = await start();
    if (Date.now() < expiresAt - 1000) {
      // Only when the restart was quick enough to look before the deadline: the session was kept at the start.
      assert.deepEqual(await subscriptionsOf(dataDir, 'v5-later'), ['ourhome/later/#'], 'kept at the start: not due yet');
    }
    const pub = await connect5(t, url(again), { clientId: 'v5-pub' });
    await sleep(Math.max(0, expiresAt - Date.now()) + 100);
    await publish5(pub.client, 'ourhome/later/x', 'after the deadline', { qos: 1 });
    // Polled: the timer fires at the deadline, then one commit; 15 s bounds the wait, it is not what is tested.
    await waitFor(async () => (await subscriptionsOf(dataDir, 'v5-later')).length === 0, 15_000, 'the expired session\'s subscriptions to go');
    assert.equal(await deadlineOf(dataDir, 'v5-later'), undefined, 'and its deadline');
    const resumed = await resume(t, again, 'v5-later', 12);
    assert.equal(resumed.connack.sessionPresent, false, 'no session to resume');
    await sleep(500);
    assert.deepEqual(resumed.messages, [], 'nothing queued for it');
  });

  test('a queued message whose Message Expiry passes while the hub is down is not delivered after the restart', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const sub = await connect5(undefined, url(hub), { clientId: 'v5-expiring', clean: true, properties: { sessionExpiryInterval: 3600 } });
    await subscribe5(sub.client, 'ourhome/exp/#', { qos: 1 });
    await end(sub.client);
    await deadlineWritten(dataDir, 'v5-expiring');
    const pub = await connect5(undefined, url(hub), { clientId: 'v5-pub' });
    await publish5(pub.client, 'ourhome/exp/short', 'stale', { qos: 1, properties: { messageExpiryInterval: 1 } });
    const published = Date.now();
    await publish5(pub.client, 'ourhome/exp/long', 'fresh', { qos: 1, properties: { messageExpiryInterval: 3600 } });
    await end(pub.client);
    await kill(hub);
    await sleep(Math.max(0, published + 1500 - Date.now()));

    const again = await start();
    const back = await resume(t, again, 'v5-expiring', 3600);
    assert.equal(back.connack.sessionPresent, true);
    await until(() => back.messages.length >= 1, 'the message still valid');
    await sleep(500);
    assert.deepEqual(back.messages.map((m) => m.payload.toString()), ['fresh'], 'the expired one was dropped');
  });

  test('a session whose client was connected when the hub died is counted from the restart, then ends', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const online = await connect5(undefined, url(hub), { clientId: 'v5-online', clean: true, properties: { sessionExpiryInterval: 3 } });
    await subscribe5(online.client, 'ourhome/online/#', { qos: 1 });
    // Stored at connect, with no deadline yet: the connection has not ended.
    await waitFor(async () => (await deadlineOf(dataDir, 'v5-online'))?.expiry_interval === 3, 10_000, 'the interval stored at connect');
    assert.equal((await deadlineOf(dataDir, 'v5-online'))?.expires_at, null);
    await kill(hub); // the connection ends with the hub, at a moment nobody wrote down
    const killed = Date.now();
    online.client.end(true);

    const again = await start();
    const expiresAt = await deadlineWritten(dataDir, 'v5-online');
    assert.ok(expiresAt >= killed + 3000, 'counted from the restart, never from before the crash');
    await waitFor(async () => (await subscriptionsOf(dataDir, 'v5-online')).length === 0, 20_000, 'the session to end after its interval');
    const resumed = await resume(t, again, 'v5-online', 3);
    assert.equal(resumed.connack.sessionPresent, false);
  });

  test('a clean stop writes the deadline of a connected session from the moment its connection closed', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const online = await connect5(undefined, url(hub), { clientId: 'v5-at-stop', clean: true, properties: { sessionExpiryInterval: 3600 } });
    await subscribe5(online.client, 'ourhome/stop/#', { qos: 1 });
    const before = Date.now();
    hub.child.kill('SIGTERM');
    assert.equal((await hub.exited).code, 0);
    online.client.end(true);
    const row = await deadlineOf(dataDir, 'v5-at-stop');
    assert.ok(row?.expires_at && row.expires_at >= before + 3_600_000, `deadline written at the stop (${row?.expires_at})`);
    const again = await start();
    const back = await resume(t, again, 'v5-at-stop', 3600);
    assert.equal(back.connack.sessionPresent, true, 'its session was resumed');
  });

  test('a delayed will of the last run waits for its Will Delay after the restart, and is not published if its client comes back first', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    const watcher = await connect(url(hub), { ...admin, clientId: 'watcher', clean: false });
    await subscribe(watcher, 'ourhome/+/+/+/status', 1);
    await end(watcher);
    const willOf = (room: string) => ({ topic: `ourhome/groundfloor/${room}/lamp/status`, payload: Buffer.from(`${room} offline`), qos: 1 as const, retain: false, properties: { willDelayInterval: 8 } });
    const flaky = await connect5(undefined, url(hub), { clientId: 'v5-flaky', clean: true, properties: { sessionExpiryInterval: 3600 }, will: willOf('hall') });
    const dead = await connect5(undefined, url(hub), { clientId: 'v5-dead', clean: true, properties: { sessionExpiryInterval: 3600 }, will: willOf('kitchen') });
    await subscribe5(flaky.client, 'ourhome/flaky/#', { qos: 1 });
    await end(flaky.client); // both lose their connection: their wills wait 8 s
    await end(dead.client);
    const closedAt = Math.min(await deadlineWritten(dataDir, 'v5-flaky'), await deadlineWritten(dataDir, 'v5-dead')) - 3_600_000;
    await kill(hub);

    const again = await start();
    const back = await resume(t, again, 'v5-flaky', 3600); // comes back within its Will Delay
    const looked = Date.now();
    const w = await connect5(t, url(again), { protocolVersion: 4, clientId: 'watcher', clean: false });
    const wills = () => w.messages.filter((m) => m.topic.endsWith('/status')).map((m) => m.payload.toString());
    if (looked < closedAt + 7000) {
      // Only when the restart was quick enough to look before the delay was over: not published at the start.
      await sleep(300);
      assert.deepEqual(wills(), [], 'no will at the start: their delay is not over');
    }
    await waitFor(() => wills().includes('kitchen offline'), 20_000, 'the will of the client that did not come back');
    await sleep(500);
    assert.deepEqual(wills(), ['kitchen offline'], 'once; the client that came back has none published');
    assert.equal(back.connack.sessionPresent, true, 'its session was resumed');
  });

  test('in a running hub the stored deadline follows the session: takeover, DISCONNECT with Session Expiry 0, the mqtt.maxExpiringSessions cap, aedes\'s own expiry', async (t) => {
    const hub = await startHub({ mqtt: { maxExpiringSessions: 1 } });
    t.after(() => hub.stop());
    const row = (clientId: string) => deadlineOf(hub.dataDir, clientId);
    const first = await connect5(t, hub.mqttUrl, { clientId: 'v5-a', clean: true, properties: { sessionExpiryInterval: 60 } });
    await waitFor(async () => (await row('v5-a'))?.expiry_interval === 60, 10_000, 'the row of a connected session');
    // Taken over: the old connection's end writes a deadline, the new session's registration clears it again.
    const second = await connect5(t, hub.mqttUrl, { clientId: 'v5-a', clean: false, properties: { sessionExpiryInterval: 60 } });
    await first.closed;
    await sleep(200);
    assert.deepEqual(await row('v5-a'), { expiry_interval: 60, expires_at: null }, 'connected again: no deadline');
    // [MQTT-3.14.2-2] The DISCONNECT sets Session Expiry 0: the session ends with the connection, no row.
    await new Promise<void>((resolve) => second.client.end(false, { properties: { sessionExpiryInterval: 0 } }, () => resolve()));
    await waitFor(async () => (await row('v5-a')) === undefined, 10_000, 'the row to go with a session ended at DISCONNECT');

    const b = await connect5(undefined, hub.mqttUrl, { clientId: 'v5-b', clean: true, properties: { sessionExpiryInterval: 60 } });
    await end(b.client);
    await deadlineWritten(hub.dataDir, 'v5-b');
    // Over the cap (1): aedes ends this session at once ('sessionLimitReached'); its row goes.
    const c = await connect5(undefined, hub.mqttUrl, { clientId: 'v5-c', clean: true, properties: { sessionExpiryInterval: 60 } });
    await end(c.client);
    await waitFor(async () => (await row('v5-c')) === undefined, 10_000, 'no row for a session ended at the cap');
    assert.equal(typeof (await row('v5-b'))?.expires_at, 'number', 'the one within the cap keeps its deadline');

    // aedes's own timer of this run ends it: the row goes with it ('sessionExpired').
    const b2 = await connect5(undefined, hub.mqttUrl, { clientId: 'v5-b', clean: false, properties: { sessionExpiryInterval: 1 } });
    await end(b2.client);
    await waitFor(async () => (await row('v5-b')) === undefined, 15_000, 'the row to go when aedes expires the session');
  });

  test('a lowered mqtt.maxSessionExpiry applies, at the next start, to the sessions stored under the old one', async (t) => {
    const dataDir = tempDir();
    removeWhenDone(dataDir);
    // broker.db as a previous run with a 30-day cap left it: two sessions gone 2 days and 1 hour ago, 30 days each.
    const day = 86_400_000;
    const old = createSqlitePersistence({ file: path.join(dataDir, 'broker.db'), log: createLogger('silent') });
    await old.setup({ id: 'previous-run' });
    for (const [clientId, closedAt] of [['v5-gone-2d', Date.now() - 2 * day], ['v5-gone-1h', Date.now() - 3_600_000]] as const) {
      await old.addSubscriptions({ id: clientId }, [{ topic: `ourhome/${clientId}/#`, qos: 1 }]);
      await old.putSessionDeadline({ clientId, interval: 30 * 86_400, expiresAt: closedAt + 30 * day });
    }
    await old.destroy();

    const hub = await startHub({ mqtt: { maxSessionExpiry: 86_400 } }, { dataDir });
    t.after(() => hub.stop());
    assert.deepEqual(await subscriptionsOf(dataDir, 'v5-gone-2d'), [], 'one day after it left: ended at the start');
    assert.deepEqual(await subscriptionsOf(dataDir, 'v5-gone-1h'), ['ourhome/v5-gone-1h/#'], 'within the new cap: kept');
    const kept = await deadlineOf(dataDir, 'v5-gone-1h');
    assert.equal(kept?.expiry_interval, 86_400, 'its interval lowered to the cap');
    assert.ok(kept?.expires_at && kept.expires_at < Date.now() + day, 'its deadline brought within a day of when it left');
  });

  /** Takes broker.db's write lock from a connection of the test's own (BEGIN IMMEDIATE): nothing the hub writes there
   *  commits until `release` (the hub waits for it, up to its busy timeout of 5 s). */
  function holdWriteLock(file: string): Promise<{ release: () => Promise<void> }> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, (err) => {
        if (err) return reject(err);
        let released: Promise<void> | undefined;
        db.exec('BEGIN IMMEDIATE', (e) => (e ? reject(e) : resolve({
          release: () => (released ??= new Promise<void>((done, fail) => db.exec('ROLLBACK', (r) => db.close(() => (r ? fail(r) : done()))))),
        })));
      });
    });
  }

  test('a QoS 1 message a persistent shared-subscription member gets is acknowledged to its publisher once it is stored in that session, and is sent again after a crash', async (t) => {
    const { dataDir, start } = withHub(t);
    const hub = await start();
    // A raw client: it never sends PUBACK, so the message stays queued in its session.
    const session = { clientId: 'shared-sleepy', clean: false, properties: { sessionExpiryInterval: 3600 } };
    const { raw: member } = await RawClient.connect(t, hub.runtime.mqttPort, 5, session);
    member.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/workers/jobs/#', qos: 1 }] });
    await member.next('suback');
    const pub = await connect5(t, url(hub), { clientId: 'shared-pub' });

    const lock = await holdWriteLock(path.join(dataDir, 'broker.db'));
    t.after(() => lock.release());
    let acknowledged = false;
    const puback = publish5(pub.client, 'jobs/42', 'work', { qos: 1 }).then(() => (acknowledged = true));
    await sleep(500);
    assert.equal(acknowledged, false, 'no PUBACK while the copy in the member\'s session cannot be stored');
    await lock.release();
    await puback;
    await until(() => member.packets.some((p) => p.cmd === 'publish'), 'the member got the message');
    await kill(hub);

    const again = await start();
    const { raw: back, connack } = await RawClient.connect(t, again.runtime.mqttPort, 5, session);
    assert.equal(connack.sessionPresent, true);
    const resent = (await back.next('publish')) as IPublishPacket;
    assert.deepEqual([resent.topic, String(resent.payload), resent.qos], ['jobs/42', 'work', 1]);
  });
});
