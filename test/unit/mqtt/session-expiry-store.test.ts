// MQTT 5 session deadlines in broker.db (session-expiry-store.ts): written through, kept across a reopen, added to a
// file of the previous schema without touching its data, and a whole expired session ended in one transaction.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { Readable } from 'node:stream';
import sqlite3 from 'sqlite3';
import { armAt } from '../../../server/mqtt/session-expiry.js';
import { SCHEMA_VERSION } from '../../../server/mqtt/persistence/schema.js';
import { openPersistence, tempDir } from './persistence-fixtures.js';

const list = async <T>(stream: Readable): Promise<T[]> => (await stream.toArray()) as T[];
const queued = (topic: string, payload: string, brokerCounter: number) => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, brokerId: 'broker-test', brokerCounter });

function sql(file: string, statement: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.exec(statement, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

function userVersion(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.get<{ user_version: number }>('PRAGMA user_version', (e, row) => db.close(() => (e ? reject(e) : resolve(row!.user_version))));
    });
  });
}

test('deadlines survive a reopen; a connected session has none yet; a deleted one stays deleted', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  await first.putSessionDeadline({ clientId: 'away', interval: 3600, expiresAt: 1_900_000_000_000 });
  await first.putSessionDeadline({ clientId: 'online', interval: 60, expiresAt: undefined });
  await first.putSessionDeadline({ clientId: 'gone', interval: 10, expiresAt: 1_800_000_000_000 });
  await first.delSessionDeadline('gone');
  await first.delSessionDeadline('never-stored');
  // Upsert: a reconnect turns a deadline back into "connected".
  await first.putSessionDeadline({ clientId: 'back', interval: 30, expiresAt: 1_800_000_000_000 });
  await first.putSessionDeadline({ clientId: 'back', interval: 45, expiresAt: undefined });
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  assert.deepEqual(
    second.sessionDeadlines().sort((a, b) => a.clientId.localeCompare(b.clientId)),
    [
      { clientId: 'away', interval: 3600, expiresAt: 1_900_000_000_000 },
      { clientId: 'back', interval: 45, expiresAt: undefined },
      { clientId: 'online', interval: 60, expiresAt: undefined },
    ],
  );
  await assert.rejects(second.putSessionDeadline({ clientId: 'bad', interval: 0, expiresAt: undefined }), RangeError, 'an interval of 0 has no deadline to keep');
});

test('a broker.db of schema 1 is migrated: its sessions are kept and deadlines can be stored', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  await first.addSubscriptions({ id: 'old-session' }, [{ topic: 'home/#', qos: 1 }]);
  await first.destroy();
  // What rumah before session expiry wrote: no session_expiry table, user_version 1.
  await sql(dir.file, 'DROP TABLE session_expiry; DROP TABLE session_owners; ALTER TABLE retained DROP COLUMN owner; PRAGMA user_version = 1;');

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  assert.equal(await userVersion(dir.file), SCHEMA_VERSION);
  assert.deepEqual((await second.subscriptionsByClient({ id: 'old-session' })).map((s) => s.topic), ['home/#']);
  assert.deepEqual(second.sessionDeadlines(), [], 'sessions of before have no deadline: kept as they were');
  await second.putSessionDeadline({ clientId: 'old-session', interval: 10, expiresAt: 1_800_000_000_000 });
  assert.equal(second.sessionDeadlines().length, 1);
});

test('endExpiredSession removes the whole session in one transaction, and leaves other sessions alone', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const p = await openPersistence(dir.file);
  const expired = { id: 'expired' };
  const other = { id: 'other' };
  for (const client of [expired, other]) {
    await p.addSubscriptions(client, [{ topic: 'home/a/#', qos: 1 }, { topic: 'home/b', qos: 0 }]);
    await p.incomingStorePacket(client, { ...queued('home/in', 'q2', 9), qos: 2, messageId: 7 });
    await p.putWill(client, { cmd: 'publish', topic: `home/${client.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: false });
  }
  await p.outgoingEnqueueCombi([{ clientId: 'expired' }, { clientId: 'other' }], queued('home/a/1', 'one', 1));
  await p.outgoingEnqueueCombi([{ clientId: 'expired' }], queued('home/a/2', 'two', 2));
  // One of them was sent before the client left: it has a messageId, the other not.
  await p.outgoingUpdate(expired, { ...queued('home/a/1', 'one', 1), messageId: 1 });
  await p.putSessionDeadline({ clientId: 'expired', interval: 5, expiresAt: 1_000 });
  await p.putSessionDeadline({ clientId: 'other', interval: 5, expiresAt: 2_000 });

  assert.equal(await p.endExpiredSession('expired', 999), false, 'not the deadline it has: a reconnect rewrote it; nothing is touched');
  assert.equal((await p.subscriptionsByClient(expired)).length, 2);
  const before = p.stats.transactions;
  assert.equal(await p.endExpiredSession('expired', 1_000), true);
  const stats = p.stats.transactions;
  assert.equal(stats, before + 1, 'one transaction: a crash halfway leaves the session whole');

  const gone = async (persistence: typeof p) => {
    assert.deepEqual(await persistence.subscriptionsByClient(expired), []);
    assert.deepEqual(await list(persistence.outgoingStream(expired)), []);
    await assert.rejects(persistence.incomingGetPacket(expired, { messageId: 7 }));
    assert.equal(await persistence.getWill(expired), undefined);
    assert.deepEqual(persistence.sessionDeadlines().map((d) => d.clientId), ['other']);
    assert.equal((await persistence.subscriptionsByClient(other)).length, 2);
    assert.equal((await list(persistence.outgoingStream(other))).length, 1);
    assert.equal((await persistence.incomingGetPacket(other, { messageId: 7 })).topic, 'home/in');
    assert.equal((await persistence.getWill(other))?.topic, 'home/other/status');
    assert.deepEqual(await persistence.subscriptionsByTopic('home/a/x'), [{ clientId: 'other', topic: 'home/a/#', qos: 1, rh: undefined, rap: undefined, nl: undefined }]);
  };
  await gone(p);
  assert.equal(await p.endExpiredSession('expired', 1_000), false, 'ended once');
  assert.equal(p.stats.transactions, stats, 'a second end writes nothing');
  await p.destroy();
  const reopened = await openPersistence(dir.file);
  t.after(() => reopened.destroy());
  await gone(reopened);
});

test('armAt chains past the longest setTimeout and fires once at the deadline; clear stops it', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  let clock = 0;
  const now = () => clock;
  const advance = (ms: number) => {
    clock += ms;
    mock.timers.tick(ms);
  };
  const at = 2 ** 31 + 5_000; // over 24.8 days: one setTimeout would fire at once (Node clamps to 1 ms)
  let fired = 0;
  armAt(at, now, () => fired++);
  advance(2 ** 31 - 1);
  assert.equal(fired, 0, 'not after the first step');
  advance(5_000);
  assert.equal(fired, 0, 'one millisecond early');
  advance(1);
  assert.equal(fired, 1);
  advance(2 ** 31);
  assert.equal(fired, 1, 'once');

  let cleared = 0;
  const timer = armAt(clock + 1_000, now, () => cleared++);
  advance(500);
  timer.clear();
  advance(1_000);
  assert.equal(cleared, 0);

  let late = 0;
  armAt(clock - 10, now, () => late++);
  advance(0);
  assert.equal(late, 1, 'a deadline already passed fires on the next turn');
});
