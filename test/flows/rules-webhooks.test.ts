// Webhooks both ways for rules (issue 17, item 5): a `webhook` trigger behind a per-hook secret (bearer or a signed
// body, replays refused), and the `notify` action's webhook POST signed so its receiver can trust it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminPassword, connect, end, nextMessage, subscribe } from '../helpers/hub.js';
import { startRulesHub } from './rules-helpers.js';

const secret = 'front-door-secret-0123';
const receiverSecret = 'receiver-secret-0123456789';

/** What a receiver of rumah's notify POST does to trust it: recompute the HMAC (the test's own code, not rumah's). */
function hmac(key: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

test('a webhook trigger runs its rule for the right secret only; the notify POST it makes is signed', async (t) => {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const rule = [
    'id: doorbell',
    // Queued: a second ring while the first run still waits for its notify POST is run after it, not skipped.
    'mode: queued',
    'triggers:',
    '  - trigger: webhook',
    '    webhook_id: front-door',
    `    secret: "${secret}"`,
    'actions:',
    '  - action: publish',
    '    topic: ourhome/groundfloor/hall/doorbell',
    '    payload: "{{ body.who }} rang"',
    '  - action: notify',
    '    message: "{{ body.who }} at the door"',
    `    webhook: ${receiverUrl}`,
    `    secret: "${receiverSecret}"`,
    '',
  ].join('\n');
  const hub = await startRulesHub({ files: { 'doorbell.yaml': rule } });
  t.after(() => hub.stop());
  const watcher = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword });
  t.after(() => end(watcher));
  await subscribe(watcher, "ourhome/groundfloor/hall/doorbell");
  const url = `${hub.httpUrl}/api/webhooks/front-door`;
  const post = (headers: Record<string, string>, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  // Wrong or missing secrets: 401, nothing runs.
  assert.equal((await post({}, '{"who":"nobody"}')).status, 401);
  assert.equal((await post({ authorization: 'Bearer wrong-secret-0123456789' }, '{"who":"nobody"}')).status, 401);
  const now = Math.floor(hub.clock.now() / 1000);
  assert.equal((await post({ 'x-rumah-timestamp': String(now), 'x-rumah-signature': hmac('wrong-key-0123456789', String(now), '{"who":"x"}') }, '{"who":"x"}')).status, 401);
  // Stale: a signature made 10 minutes ago.
  const stale = String(now - 600);
  assert.equal((await post({ 'x-rumah-timestamp': stale, 'x-rumah-signature': hmac(secret, stale, '{"who":"x"}') }, '{"who":"x"}')).status, 401);
  // Too large: 413 before anything is checked; unknown id: 404.
  assert.equal((await post({ authorization: `Bearer ${secret}` }, JSON.stringify({ who: 'x'.repeat(70_000) }))).status, 413);
  assert.equal((await fetch(`${hub.httpUrl}/api/webhooks/no-such-hook`, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body: '{}' })).status, 404);

  // Bearer: runs, the body is the rule's.
  const first = nextMessage(watcher, () => true, 10_000);
  const ok = await post({ authorization: `Bearer ${secret}` }, '{"who":"Alice"}');
  assert.equal(ok.status, 202);
  assert.deepEqual(await ok.json(), { fired: 1 });
  assert.equal((await first).payload, 'Alice rang');

  // Signed: runs once; the same request again is a replay.
  const body = '{"who":"Bob"}';
  const signed = { 'x-rumah-timestamp': String(now), 'x-rumah-signature': hmac(secret, String(now), body) };
  const second = nextMessage(watcher, (_t, p) => p.toString() === 'Bob rang', 10_000);
  assert.equal((await post(signed, body)).status, 202);
  await second;
  const replay = await post(signed, body);
  assert.equal(replay.status, 401);
  assert.match(((await replay.json()) as { error: { message: string } }).error.message, /replay/);

  // Every refused call above ran nothing: exactly two runs reached the receiver, each signed with its secret.
  const deadline = Date.now() + 10_000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(received.length, 2);
  for (const r of received) {
    const ts = String(r.headers['x-rumah-timestamp']);
    assert.equal(r.headers['x-rumah-signature'], hmac(receiverSecret, ts, r.body));
  }
  assert.deepEqual(received.map((r) => (JSON.parse(r.body) as { message: string }).message), ['Alice at the door', 'Bob at the door']);
});

test('a webhook trigger without a long enough secret, or a notify secret without a webhook, is a rule error with its line', async (t) => {
  const hub = await startRulesHub();
  t.after(() => hub.stop());
  const res = await fetch(`${hub.httpUrl}/api/rules/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: await cookie(hub.httpUrl) },
    body: JSON.stringify({ text: 'id: w\ntriggers:\n  - trigger: webhook\n    webhook_id: a/b\n    secret: short\nactions:\n  - action: notify\n    message: hi\n    secret: "0123456789abcdef"\n' }),
  });
  const out = (await res.json()) as { errors: Array<{ path: string; line: number; message: string }> };
  const messages = out.errors.map((e) => `${e.path}@${e.line}: ${e.message}`).join('\n');
  assert.match(messages, /webhook_id@4: .*URL path segment/);
  assert.match(messages, /secret@5: .*at least 16 characters/);
  assert.match(messages, /secret@9: .*'secret' signs the 'webhook' POST/);
});

async function cookie(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
