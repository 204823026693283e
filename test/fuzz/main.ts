// `npm run fuzz -- --seconds N [--seed S]`: the MQTT (3.1.1 and 5), HTTP and socket.io fuzzers together against one hub with TLS
// on, for as long as asked, with a well-behaved publisher and subscriber; a line of figures every 10 s, the checks
// of the fuzz tests at the end, exit code 1 if one fails. Not part of `npm test`, which runs a few seconds of each.
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { listenerConnections } from '../helpers/fuzz.js';
import { strictSubscriber } from '../helpers/mqtt5-raw.js';
import { request, startTlsHub } from '../helpers/tls.js';
import { fuzzMqtt } from './mqtt-fuzzer.js';
import { fuzzMqtt5 } from './mqtt5-fuzzer.js';
import { fuzzHttp } from './http-fuzzer.js';
import { fuzzSockets } from './socket-fuzzer.js';
import { randomSeed } from './prng.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' } } });
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 24 * 3600) throw new Error('--seconds takes 1 to 86400');
  const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : randomSeed();
  const durationMs = seconds * 1000;
  console.log(`fuzz: seed ${seed} (repeat with --seed ${seed}), ${seconds} s`);

  const hub = await startTlsHub({}, { mqtt: { loginFailures: 1_000_000, connectTimeout: 1000, drainTimeout: 2000 } as never });
  const failures: string[] = [];
  try {
    const admin = { username: 'admin', password: 'test-admin-password' };
    const device = await deviceAccount(hub, 'fuzz-device');
    const base = `good/${crypto.randomBytes(4).toString('hex')}`;
    const subscriber = await connect(hub.mqttUrl, { ...admin, clientId: 'good-subscriber' });
    await subscribe(subscriber, `${base}/#`, 1);
    const received: number[] = [];
    subscriber.on('message', (_t, payload) => received.push(Number(payload.toString())));
    const publisher = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca, clientId: 'good-publisher' });
    let drops = 0;
    for (const c of [subscriber, publisher]) c.on('close', () => drops++);
    let sent = 0;
    const pump = setInterval(() => publisher.publish(`${base}/seq`, String(sent++), { qos: 1 }), 10);

    const login = async (): Promise<string> => String((await request(`${hub.httpsUrl}/api/auth/login`, { ca: hub.ca, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) })).headers['set-cookie']).split(';')[0]!;
    const secrets = { cookie: await login(), token: await hub.hub.store.apiTokens.create('fuzz') };
    const socketCookie = await login();

    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const t0 = Date.now();
    const report = setInterval(() => {
      const { rss, heapUsed } = process.memoryUsage();
      console.log(`${Math.round((Date.now() - t0) / 1000)} s: rss ${(rss / 1e6).toFixed(0)} MB (heap ${(heapUsed / 1e6).toFixed(0)} MB), loop lag p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, MQTT clients ${hub.hub.broker.connectedClients}, good messages ${received.length}/${sent}`);
      lag.reset();
    }, 10_000);
    const plainPort = Number(new URL(hub.mqttUrl).port);
    // Checks every PUBLISH the hub forwards as a strict MQTT 5 client would (test/helpers/mqtt5-raw.ts).
    const strict = await strictSubscriber(plainPort, admin, ['#']);
    const dial = (n: number): net.Socket => (n % 4 === 3 ? tls.connect({ host: '127.0.0.1', port: hub.tlsPort, ca: hub.ca }) : net.connect(plainPort, '127.0.0.1'));
    const [mqtt, mqtt5, https, plain, sockets] = await Promise.all([
      fuzzMqtt({ seed, durationMs, concurrency: 16, credentials: [device, admin], dial }),
      fuzzMqtt5({ seed: seed ^ 0x27d4eb2f, durationMs, concurrency: 8, credentials: [device, admin], dial }),
      fuzzHttp({ seed, durationMs, concurrency: 6, port: hub.webPort, ca: hub.ca, secrets }),
      fuzzHttp({ seed: seed ^ 0x5bd1e995, durationMs, concurrency: 2, port: hub.webPort, secrets }),
      fuzzSockets({ seed, durationMs, url: hub.httpsUrl, cookie: socketCookie, ca: hub.ca }),
    ]);
    clearInterval(pump);
    clearInterval(report);
    console.log(`MQTT: ${mqtt.sessions} connections, ${mqtt.packets} packets, ${(mqtt.bytes / 1e6).toFixed(1)} MB, ${mqtt.closedByHub} closed by the hub`);
    console.log(`MQTT 5: ${mqtt5.sessions} connections, ${mqtt5.packets} packets, ${mqtt5.closedByHub} closed by the hub; answers ${JSON.stringify(mqtt5.answers)}`);
    console.log(`HTTPS: ${https.requests} requests ${JSON.stringify(https.byClass)}; plain HTTP: ${plain.requests} ${JSON.stringify(plain.byClass)}`);
    console.log(`socket.io: ${sockets.events} events (${sockets.acks} acked), ${sockets.rawFrames} raw frames, ${sockets.closedByHub} closed by the hub`);

    const check = async (what: string, fn: () => unknown): Promise<void> => {
      try {
        await waitFor(fn, 10_000, what);
      } catch (err) {
        failures.push((err as Error).message);
      }
    };
    await check(`all ${sent} good messages`, () => received.length >= sent);
    if (received.some((v, i) => v !== i)) failures.push('good messages out of order, lost or repeated');
    if (drops) failures.push(`the well-behaved clients were disconnected ${drops} times`);
    for (const p of strict.problems.slice(0, 20)) failures.push(`malformed MQTT 5 PUBLISH forwarded: ${p}`);
    if (strict.raw.closed) failures.push('the strict MQTT 5 subscriber was disconnected');
    await strict.raw.destroy();
    for (const e of [...https.serverErrors, ...plain.serverErrors].slice(0, 20)) failures.push(`5xx: ${e}`);
    await end(subscriber);
    await end(publisher);
    await check('no MQTT clients left', () => hub.hub.broker.connectedClients === 0);
    await check('no connections left', async () => Object.values(await listenerConnections(hub.hub)).every((n) => n === 0));
    const health = await request(`${hub.httpsUrl}/healthz`, { ca: hub.ca });
    if (health.status !== 200) failures.push(`healthz ${health.status}: ${health.body}`);
  } finally {
    await hub.stop();
  }
  console.log(failures.length ? `FAILED (seed ${seed}):\n  ${failures.join('\n  ')}` : `ok (seed ${seed})`);
  return failures.length ? 1 : 0;
}

// `npm test` runs only the *.test.js files, but `node --test dist/test` runs every .js file below a "test" folder:
// there, this file must do nothing.
if (process.env.NODE_TEST_CONTEXT === undefined) {
  main().then((code) => process.exit(code), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
