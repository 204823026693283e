// Timing a subscriber of bench/broker-store.ts: what a SUBSCRIBE's retained messages and a persistent session's
// backlog take to arrive, on a raw connection (bench/lib/raw-client.ts).
import { PAYLOAD } from './packets.js';
import { encodeQos1, publishPipelined } from './pipeline.js';
import { HOST, sleep, type Server } from './procs.js';
import { RawClient } from './raw-client.js';
import { fmt } from './report.js';

/** SUBSCRIBE `filter` on a new connection: ms from the SUBSCRIBE written until `expected` PUBLISHes arrived. */
export async function timeSubscribe(server: Server, filter: string, qos: 0 | 1, expected: number, clientId: string): Promise<{ ms: number; received: number }> {
  const sub = await RawClient.connect({ host: HOST, port: server.port, clientId, ...server.subscriber });
  try {
    let done = NaN;
    const all = new Promise<void>((resolve) => {
      sub.onPublish = () => {
        if (sub.received === expected) {
          done = performance.now();
          resolve();
        }
      };
    });
    const t0 = performance.now();
    const subacked = sub.subscribe(filter, qos);
    await Promise.race([all, sleep(10_000)]);
    await subacked;
    await sleep(100); // anything more than expected would show here
    return { ms: done - t0, received: sub.received };
  } finally {
    await sub.close();
  }
}

/**
 * A clean=false subscriber of `bench/backlog/<id>/#` goes away, `count` QoS 1 messages are queued for it (published
 * with `window` PUBACKs outstanding), and it comes back: ms from its CONNECT written until the last queued PUBLISH
 * arrived (it PUBACKs each). Its session is ended after.
 */
export async function timeBacklog(server: Server, id: string, count: number, window: number): Promise<{ ms: number; received: number }> {
  const session = { host: HOST, port: server.port, clientId: id, clean: false, ...server.subscriber };
  const away = await RawClient.connect(session);
  await away.subscribe(`bench/backlog/${id}/#`, 1);
  await away.close();
  const pub = await RawClient.connect({ host: HOST, port: server.port, clientId: `${id}-pub`, username: server.username, password: server.password });
  try {
    const messages = Array.from({ length: count }, (_, i): [string, Buffer] => [`bench/backlog/${id}/d${i % 10}/state`, PAYLOAD(i)]);
    const run = await publishPipelined([pub], [encodeQos1(messages, false)], window, 30_000);
    if (!run.complete) throw new Error(`${server.name}: ${fmt(run.acked)} of ${fmt(count)} queued publishes acknowledged within 30 s`);
  } finally {
    await pub.close();
  }
  const t0 = performance.now();
  // Resolves at the CONNACK; PUBLISHes read in the same chunk are counted already.
  const back = await RawClient.connect(session);
  try {
    let ms = back.received >= count ? performance.now() - t0 : NaN;
    if (Number.isNaN(ms)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        back.onPublish = () => {
          if (!Number.isNaN(ms) || back.received < count) return;
          ms = performance.now() - t0;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return { ms, received: back.received };
  } finally {
    await back.close();
    await (await RawClient.connect({ ...session, clean: true })).close();
  }
}
