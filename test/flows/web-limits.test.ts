// What the web port holds before anyone logs in is bounded (issue 15, item 8): WebSocket frames on /mqtt, upgrades
// and connections per address, connections in all, and the time for a request head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { adminPassword, connect, end, startHub } from '../helpers/hub.js';

function port(url: string): number {
  return Number(new URL(url).port);
}

/** A TCP connection to `p` that stays silent; resolves once connected. */
async function idle(p: number): Promise<net.Socket> {
  const s = net.connect(p, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  return s;
}

/** Whether the hub closed `socket` before `ms` passed (the bound only ends a wait; the answer is closed or not). */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test('MQTT over WebSocket: a frame larger than one MQTT packet closes that socket (1009) before login; a real client still connects', async (t) => {
  const hub = await startHub({ mqtt: { maxPacketSize: 65_536 } });
  t.after(() => hub.stop());
  const ws = new WebSocket(`${hub.httpUrl.replace('http', 'ws')}/mqtt`, 'mqtt');
  await once(ws, 'open');
  ws.send(Buffer.alloc(65_536 + 65_536 + 1024));
  const [code] = (await once(ws, 'close')) as [number];
  assert.equal(code, 1009); // Message Too Big (RFC 6455 7.4.1)
  const client = await connect(`${hub.httpUrl.replace('http', 'ws')}/mqtt`, { username: 'admin', password: adminPassword });
  t.after(() => end(client));
  assert.equal(client.connected, true);
});

test('MQTT over WebSocket: upgrades from one address are capped like MQTT connections', async (t) => {
  const hub = await startHub({ mqtt: { connectionsPerAddress: 3 } });
  t.after(() => hub.stop());
  const url = `${hub.httpUrl.replace('http', 'ws')}/mqtt`;
  const open: WebSocket[] = [];
  t.after(() => open.forEach((w) => w.terminate()));
  for (let i = 0; i < 3; i++) {
    const ws = new WebSocket(url, 'mqtt');
    await once(ws, 'open');
    open.push(ws);
  }
  const fourth = new WebSocket(url, 'mqtt');
  fourth.on('error', () => {});
  // events.once rejects on 'error' (the refused upgrade is a "socket hang up"): listen plainly.
  const outcome = await new Promise<string>((resolve) => {
    fourth.on('open', () => resolve('open'));
    fourth.on('close', () => resolve('refused'));
  });
  assert.equal(outcome, 'refused');
  open.pop()!.terminate();
  // One gone, one may come (the count follows closes).
  await new Promise((r) => setTimeout(r, 100));
  const again = new WebSocket(url, 'mqtt');
  await once(again, 'open');
  open.push(again);
});

test('web port: connections per address and in all are capped; the refused ones are closed at once, the hub still answers', async (t) => {
  const hub = await startHub({ http: { connectionsPerAddress: 4, maxConnections: 6 } });
  t.after(() => hub.stop());
  const p = port(hub.httpUrl);
  const held = await Promise.all([0, 1, 2, 3].map(() => idle(p)));
  t.after(() => held.forEach((s) => s.destroy()));
  const fifth = await idle(p);
  assert.equal(await closedWithin(fifth, 5000), true);
  assert.equal(await closedWithin(held[0]!, 200), false); // the first four are kept
  held.forEach((s) => s.destroy());
  await new Promise((r) => setTimeout(r, 100));
  const res = await fetch(`${hub.httpUrl}/healthz`);
  assert.equal(res.status, 200);
});

test('web port: a request head not finished within http.headTimeout is answered 408 and closed', async (t) => {
  const hub = await startHub({ http: { headTimeout: 1000 } });
  t.after(() => hub.stop());
  const s = await idle(port(hub.httpUrl));
  t.after(() => s.destroy());
  let answer = '';
  s.on('data', (d) => (answer += d.toString()));
  s.write('GET /healthz HTTP/1.1\r\nHost: hub\r\n'); // and never the blank line that ends the head
  assert.equal(await closedWithin(s, 15_000), true, 'still open: the head timeout did not apply');
  assert.match(answer, /^HTTP\/1\.1 408/);
});
