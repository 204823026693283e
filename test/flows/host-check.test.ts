// DNS rebinding (issue 15, item 18): the hub answers only its own names, and /mqtt refuses pages of other sites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import os from 'node:os';
import WebSocket from 'ws';
import { adminPassword, connect, end, startHub } from '../helpers/hub.js';

function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

/** Opens a WebSocket with the given headers; 'open' or the HTTP status it was refused with. */
async function upgrade(url: string, headers: Record<string, string>, protocol?: string): Promise<string> {
  const ws = new WebSocket(url, protocol, { headers });
  const outcome = await new Promise<string>((resolve) => {
    ws.on('open', () => resolve('open'));
    ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
  ws.terminate();
  return outcome;
}

test('HTTP: a request naming another host gets 421 saying what to add; the hub\'s names, IP addresses and http.allowedHosts are answered', async (t) => {
  const hub = await startHub({ http: { allowedHosts: ['rumah.home.arpa'] } });
  t.after(() => hub.stop());
  const port = new URL(hub.httpUrl).port;
  const url = `${hub.httpUrl}/api/auth/status`;
  const evil = await get(url, `attacker.example:${port}`);
  assert.equal(evil.status, 421);
  assert.match(JSON.parse(evil.body).error.message, /does not answer to the name "attacker\.example".*http\.allowedHosts/);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `rumah.home.arpa:${port}`, `${os.hostname().toLowerCase()}:${port}`, '192.168.1.20']) {
    assert.equal((await get(url, host)).status, 200, host);
  }
});

test('/mqtt: a rebound Host or a page of another origin is refused before the upgrade; MQTT.js (no Origin) connects', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const port = new URL(hub.httpUrl).port;
  const wsUrl = `${hub.httpUrl.replace('http', 'ws')}/mqtt`;
  assert.equal(await upgrade(wsUrl, { host: `attacker.example:${port}` }, 'mqtt'), '403');
  assert.equal(await upgrade(wsUrl, { origin: 'http://attacker.example' }, 'mqtt'), '403');
  assert.equal(await upgrade(wsUrl, { origin: `http://127.0.0.1:${port}` }, 'mqtt'), 'open');
  const client = await connect(wsUrl, { username: 'admin', password: adminPassword });
  t.after(() => end(client));
  assert.equal(client.connected, true);
  // The dashboard's socket.io handshake with a rebound name is refused too.
  const sio = await new Promise<number>((resolve, reject) => {
    const req = http.get(`${hub.httpUrl}/socket.io/?EIO=4&transport=polling`, { headers: { host: `attacker.example:${port}` } }, (res) => resolve(res.statusCode!));
    req.on('error', reject);
  });
  assert.notEqual(sio, 200);
});
