import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Device } from '../../../server/core/model.js';
import { Staleness } from '../../../server/core/staleness.js';

// When a silent device becomes stale (server/core/staleness.ts), with the hub's clock in the test's hands: the
// sweep is called directly, so nothing here waits for a timer.

const device = (id: string, extra: { expireAfter?: number; staleAfter?: number } = {}): Device => ({
  id, name: id, convention: 'native', topic: id, availability: 'online', createdAt: 0,
  ...(extra.staleAfter !== undefined ? { staleAfter: extra.staleAfter } : {}),
  capabilities: [{ property: 'temperature', kind: 'numeric', access: { reported: true, settable: false, readable: false }, ...(extra.expireAfter ? { expireAfter: extra.expireAfter } : {}) } as Device['capabilities'][number]],
});

function setup(opts: { factor?: number; minSeconds?: number; firstSeconds?: number } = {}) {
  const clock = { now: 0 };
  const stale: string[] = [];
  const s = new Staleness({ factor: 3, minSeconds: 1, firstSeconds: 1000, ...opts, now: () => clock.now, onStale: (id) => void stale.push(id) });
  /** Reports from `id` every `every` ms, `n` times, starting now. */
  const reports = (id: string, every: number, n: number) => {
    for (let i = 0; i < n; i++) {
      if (i > 0) clock.now += every;
      s.touch(id);
    }
  };
  return { clock, stale, s, reports };
}

test('learned: stale after factor × the median interval of silence, told once; reporting again starts over', (t) => {
  const { clock, stale, s, reports } = setup();
  t.after(() => s.stop());
  s.configure(device('a'));
  s.configure(device('b'));
  reports('a', 10_000, 6); // every 10 s
  assert.deepEqual(s.describe('a'), { seconds: 30, source: 'learned', medianSeconds: 10 });
  const last = clock.now;
  clock.now = last + 29_000;
  s.touch('b');
  s.sweep();
  assert.deepEqual(stale, [], '29 s of silence is within 3 × 10 s');
  clock.now = last + 31_000;
  s.sweep();
  s.sweep();
  assert.deepEqual(stale, ['a'], 'stale once, however many sweeps');
  s.touch('a'); // a 31 s gap now among its intervals: its window is that longest gap
  clock.now += 32_000;
  s.sweep();
  assert.deepEqual(stale, ['a', 'a'], 'stale again after the next silence; b (one report, no rhythm yet) waits firstSeconds');
});

test('learned: a device that reports on change and by a slow heartbeat keeps the heartbeat as its window', (t) => {
  const { clock, stale, s, reports } = setup();
  t.after(() => s.stop());
  s.configure(device('door'));
  reports('door', 1000, 8); // opened and closed in a burst
  clock.now += 300_000; // then the hourly-ish heartbeat
  s.touch('door');
  reports('door', 1000, 4);
  assert.equal(s.describe('door')?.medianSeconds, 1);
  assert.equal(s.describe('door')?.seconds, 300, 'the longest gap, not 3 × the 1 s median');
  clock.now += 299_000;
  s.sweep();
  assert.deepEqual(stale, []);
});

test('first: a device that published once and left is stale after firstSeconds; minSeconds floors a fast one', (t) => {
  const { clock, stale, s, reports } = setup({ minSeconds: 60 });
  t.after(() => s.stop());
  s.configure(device('once'));
  s.configure(device('fast'));
  s.touch('once');
  reports('fast', 100, 10);
  assert.deepEqual(s.describe('once'), { seconds: 1000, source: 'first' });
  assert.equal(s.describe('fast')?.seconds, 60, 'floored at minSeconds');
  clock.now += 999_000;
  s.sweep();
  assert.deepEqual(stale, ['fast']);
  clock.now += 2000;
  s.sweep();
  assert.deepEqual(stale, ['fast', 'once']);
});

test('first: before three intervals are known, a long one widens the window', (t) => {
  const { clock, stale, s } = setup();
  t.after(() => s.stop());
  s.configure(device('slow'));
  s.touch('slow');
  clock.now += 2000_000;
  s.touch('slow');
  assert.deepEqual(s.describe('slow'), { seconds: 6000, source: 'first', medianSeconds: 2000 });
  clock.now += 5000_000;
  s.sweep();
  assert.deepEqual(stale, []);
});

test('a restored device counts its silence from the start, and its first report is not an interval', (t) => {
  const { clock, stale, s } = setup();
  t.after(() => s.stop());
  s.configure(device('restored'));
  clock.now += 500_000;
  s.touch('restored');
  assert.equal(s.describe('restored')?.medianSeconds, undefined, 'the time since the start is not its rhythm');
  clock.now += 1001_000;
  s.sweep();
  assert.deepEqual(stale, ['restored']);
});

test('availability: a device that announces its own availability is never stale by learning; expire_after and the setting still apply', (t) => {
  const { clock, stale, s, reports } = setup();
  t.after(() => s.stop());
  s.configure(device('will'));
  s.configure(device('will-exp', { expireAfter: 60 }));
  for (const id of ['will', 'will-exp']) {
    s.announces(id);
    reports(id, 1000, 5);
  }
  assert.deepEqual(s.describe('will'), { seconds: null, source: 'availability', medianSeconds: 1 });
  clock.now += 10_000_000;
  s.sweep();
  assert.deepEqual(stale, ['will-exp']);
});

test('expire_after: silent devices expire, reporting ones do not; the setting overrides it; 0 is never', (t) => {
  const { clock, stale, s } = setup({ firstSeconds: 1_000_000 });
  t.after(() => s.stop());
  for (const d of [device('a', { expireAfter: 60 }), device('b', { expireAfter: 60 }), device('c'), device('d', { expireAfter: 60, staleAfter: 5 }), device('e', { staleAfter: 0 })]) s.configure(d);
  for (const id of ['a', 'b', 'c', 'd', 'e']) s.touch(id);
  assert.deepEqual(s.describe('d'), { seconds: 5, source: 'setting' });
  assert.deepEqual(s.describe('e'), { seconds: null, source: 'setting' });
  clock.now = 59_000;
  s.touch('b');
  s.sweep();
  assert.deepEqual(stale, ['d']);
  clock.now = 61_000;
  s.sweep();
  assert.deepEqual(stale, ['d', 'a']);
  clock.now = 200_000;
  s.sweep();
  assert.deepEqual(stale, ['d', 'a', 'b'], 'c has no expire_after and is within firstSeconds; e never');
});

test('expire_after: a device configured again follows its new capabilities; forgotten devices are not swept', (t) => {
  const { clock, stale, s } = setup({ firstSeconds: 1_000_000 });
  t.after(() => s.stop());
  s.configure(device('a', { expireAfter: 60 }));
  s.configure(device('b'));
  s.configure(device('gone', { expireAfter: 1 }));
  for (const id of ['a', 'b', 'gone']) s.touch(id);
  s.configure(device('a')); // its discovery config dropped expire_after
  s.configure(device('b', { expireAfter: 10 }));
  s.forget('gone');
  clock.now = 100_000;
  s.sweep();
  assert.deepEqual(stale, ['b']);
  assert.equal(s.describe('gone'), undefined);
});

test('the owner may say not yet: the device is asked about again at every sweep, with the window\'s source', (t) => {
  const clock = { now: 0 };
  const asked: string[] = [];
  let connected = true;
  const s = new Staleness({
    factor: 3, minSeconds: 1, firstSeconds: 10, now: () => clock.now,
    onStale: (id, source) => {
      asked.push(`${id}:${source}`);
      return connected ? false : undefined;
    },
  });
  t.after(() => s.stop());
  s.configure(device('quiet'));
  s.touch('quiet');
  clock.now = 11_000;
  s.sweep();
  s.sweep();
  connected = false;
  s.sweep();
  s.sweep();
  assert.deepEqual(asked, ['quiet:first', 'quiet:first', 'quiet:first'], 'asked while the owner said no, then once');
});
