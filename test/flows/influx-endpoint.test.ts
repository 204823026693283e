import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { readMetrics } from '../helpers/http.js';

// How the line-protocol export treats its endpoint's answers (docs/exports.md "Retries"): a failure is retried with
// the same points; a batch refused as bad (400) is passed over and counted; credentials in the URL become a Basic
// Authorization header. The endpoint is a real HTTP server on loopback that answers as told.

interface Received {
  url: string;
  authorization?: string;
  body: string;
}

test('history export: 5xx retried with the same points, 400 passed over and counted, URL credentials sent as Basic auth', async (t) => {
  const received: Received[] = [];
  const answers = [503, 400];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
      res.statusCode = answers.shift() ?? 204;
      res.end(res.statusCode === 400 ? '{"error":"partial write: field type conflict"}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;

  const hub = await startHub({ exports: { influx: { enabled: true, url: `http://rumah:s%3Acret@127.0.0.1:${port}/write?db=home`, intervalMs: 100, maxRetryMs: 200 } } } as never);
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub, 'kitchen'));
  t.after(() => end(device));

  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '19.5');
  await waitFor(() => received.length >= 2, 10_000, 'a retry after the 503');
  assert.equal(received[1]!.body, received[0]!.body);
  assert.match(received[0]!.body, /^rumah,id=ourhome-firstfloor-kitchen-temperature,name=Kitchen\\ temperature,floor=First\\ floor,room=Kitchen,property=temperature,unit=°C value=19\.5 \d+000000\n$/);
  assert.equal(received[0]!.url, '/write?db=home');
  assert.equal(received[0]!.authorization, `Basic ${Buffer.from('rumah:s:cret').toString('base64')}`);
  await waitFor(async () => (await readMetrics(hub)).includes('rumah_export_influx_rejected_total 1\n'), 10_000, 'the refused batch counted');

  // The refused point is not sent again; the next one is.
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '20');
  const next = await waitFor(() => received.find((r, i) => i >= 2 && r.body.includes('value=20 ')), 10_000, 'the next point');
  assert.doesNotMatch(next.body, /value=19\.5/);
  // Counted once the endpoint's 204 is back on the export's thread and its counters reach the hub: after the request
  // arrived here, not at the same moment.
  await waitFor(async () => (await readMetrics(hub)).includes('rumah_export_influx_points_total 1\n'), 10_000, 'the accepted point counted');
});
