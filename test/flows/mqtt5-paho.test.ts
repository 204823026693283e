// Interoperability with a second, independent MQTT implementation: Debian's python3-paho-mqtt 1.6.1, the client
// library of Home Assistant's MQTT integration, speaking MQTT 5 and 3.1.1 to a real hub. The scenarios are the
// Python scripts of test/paho (one JSON line each); these tests start the hubs, run them, and check what they found.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deviceAccount, startHub, type TestHub } from '../helpers/hub.js';
import { pahoPasses, requirePaho, runPaho } from '../helpers/paho.js';

describe('paho MQTT 5: a Home-Assistant-like client (HA 2026.6+: Subscription Identifiers)', () => {
  let hub: TestHub;
  before(async () => {
    await requirePaho();
    hub = await startHub();
  });
  after(() => hub?.stop());

  it('every handler hears a message its subscription matches, once, by the identifiers the message carries; expiry forwarded; birth and will', async () => {
    const device = await deviceAccount(hub);
    const p = 'ha1';
    const r = await pahoPasses(hub, 'ha_client', 'dispatch', { device, prefix: p });
    const handled = r.handled as string[];
    // A plain topic (SI 1) under a wildcard (SI 3): both handlers.
    assert.ok(handled.includes(`${p}/lamp <- ${p}/lamp`) && handled.includes(`${p}/# <- ${p}/lamp`), handled.join('\n'));
    // One plain topic and two wildcards: three handlers, each once (the script fails on a second run of any).
    for (const f of [`${p}/lamp/availability`, `${p}/#`, `${p}/+/availability`]) assert.ok(handled.includes(`${f} <- ${p}/lamp/availability`), `${f}: ${handled.join('\n')}`);
    // Discovery, with and without a node id: one wildcard each.
    assert.ok(handled.includes(`homeassistant/+/+/+/config <- homeassistant/light/${p}/lamp/config`), handled.join('\n'));
    assert.ok(handled.includes(`homeassistant/+/+/config <- homeassistant/sensor/${p}_temperature/config`), handled.join('\n'));
    // Each copy carries the identifier of one subscription: [1] and [3] for the lamp (its retained state at
    // subscription, then the live message), not one copy with one of them.
    const ids = r.identifiers as Record<string, number[][]>;
    assert.deepEqual(ids[`${p}/lamp`].map((x) => x.join(',')).sort(), ['1', '1', '3', '3']);
    assert.deepEqual(ids[`homeassistant/binary_sensor/${p}_door/config`], [[2]], 'retained discovery, with the identifier of its subscription');
    assert.deepEqual(ids[`${p}/lamp/availability`].map((x) => x.join(',')).sort(), ['1', '3', '4']);
    const expiry = r.sensorExpiry as number;
    assert.ok(expiry > 0 && expiry <= 120, `Message Expiry Interval forwarded: ${expiry}`);
    assert.equal((r.will as { payload: string }).payload, 'offline');
  });

  it('a wrong password is answered CONNACK 0x86 (134), what HA\'s reauth flow keys on', async () => {
    const r = await pahoPasses(hub, 'ha_client', 'bad-password');
    assert.equal(r.rc, 134);
  });
});

// Scenarios wait on MQTT's second-granular timers (keepalive, Will Delay, expiries) and share nothing but the hub and
// its accounts (topics and client ids carry a prefix of their own): three run at once.
describe('paho MQTT 5: the Paho interoperability scenarios, in our own words', { concurrency: 3 }, () => {
  let hub: TestHub;
  let device: { username: string; password: string };
  before(async () => {
    await requirePaho();
    hub = await startHub();
    device = await deviceAccount(hub);
  });
  after(() => hub?.stop());
  const v5 = (script: string, scenario: string, what: string, check?: (r: Record<string, unknown>) => void) =>
    it(`${scenario}: ${what}`, async () => {
      const r = await pahoPasses(hub, script, scenario, { device });
      check?.(r);
    });

  v5('v5_messages', 'basic', 'QoS 0/1/2 round trip; a second CONNECT or another protocol name ends the connection', (r) => {
    assert.equal((r.connack as { rc: number }).rc, 0);
    assert.ok(['closed', 'disconnect'].includes((r.secondConnect as string[])[0]), 'a second CONNECT ends the connection');
  });
  v5('v5_messages', 'retained', 'retained QoS 0/1/2 with user properties arrive on +/+, and clear');
  v5('v5_sessions', 'will', 'published on keepalive loss with user properties and content type, without Will Delay Interval');
  v5('v5_sessions', 'normal-disconnect', 'DISCONNECT 0x00 as e0 00 (paho), e0 01 00 or e0 02 00 00 ends the connection without the will');
  v5('v5_sessions', 'will-delay', 'after the delay or at session end, not when back in time, at once on DISCONNECT 0x04', (r) => assert.deepEqual(r.wills, ['will of delayed', 'will of sessionend', 'will of withwill']));
  v5('v5_sessions', 'zero-length-clientid', 'an empty client id is assigned one, with Clean Start 1 and 0');
  v5('v5_sessions', 'offline-queueing', 'QoS 1/2 queued for a session with Session Expiry, delivered on Clean Start 0 without DUP', (r) => assert.ok((r.received as string[]).includes('queued qos 1')));
  v5('v5_messages', 'overlapping', 'two matching subscriptions at QoS 2 and 1: one copy at QoS 2');
  v5('v5_sessions', 'redelivery', 'unacknowledged QoS 1/2 resent on resume with their packet ids and DUP');
  v5('v5_messages', 'dollar-topics', '+/+ does not match $ topics; an explicit filter does');
  v5('v5_messages', 'unsubscribe', 'UNSUBACK 0x00 (0x11 for none), the other subscriptions still deliver');
  v5('v5_sessions', 'session-expiry', 'Session Present along SEI 0, 5, 1 raised to 5 and 5 lowered to 0 on DISCONNECT, 1 expired');
  // aedes 2.0.0-beta.1 answered 0 for a session without subscriptions (restoreSubs); server/mqtt/session-present.ts.
  v5('v5_sessions', 'session-present', 'Session Present 1 also for a session without subscriptions [MQTT-3.2.2-2]');
  v5('v5_messages', 'user-properties', 'order and repeated keys kept at QoS 0/1/2');
  v5('v5_messages', 'payload-format', 'Payload Format Indicator and Content Type forwarded');
  v5('v5_sessions', 'publication-expiry', 'queued and retained messages expire while waiting, the rest arrive with the interval lowered');
  v5('v5_messages', 'subscribe-options', 'No Local, Retain As Published, Retain Handling 0/1/2', (r) => assert.deepEqual(r.retainHandling, { 0: 2, 1: 1, 2: 0 }));
  v5('v5_messages', 'subscribe-failure', 'a device\'s denied wildcard gets a SUBACK code >= 0x80 and the connection goes on', (r) => assert.ok((r.denied as number) >= 0x80));
  // One copy per subscription, each with its own identifier (docs/mqtt5.md), where Paho's suite wants one copy with both.
  v5('v5_messages', 'subscription-identifiers', 'SI echoed; overlapping SI 2 and 3 each reach the client', (r) => assert.deepEqual((r.identifiers as number[][]).flat().sort(), [2, 3]));
  v5('v5_messages', 'request-response', 'Response Topic and Correlation Data forwarded, the reply delivered');
  v5('v5_messages', 'client-topic-alias', 'set and reused; alias 0, over the maximum, or of a previous connection: DISCONNECT 0x94', (r) => {
    assert.deepEqual(r.aliasZero, ['disconnect', 0x94]);
    assert.deepEqual(r.aliasOverMaximum, ['disconnect', 0x94]);
  });
  v5('v5_messages', 'server-topic-alias', 'the hub aliases repeated topics for a client allowing 1, none for a client allowing 0');
  v5('v5_limits', 'maximum-packet-size', 'a message over the client\'s 64 bytes is not sent to it, others get it', (r) => assert.deepEqual(r.deliveredToSmall, ['small']));

  v5('v5_messages', 'shared-subscriptions', '$share/group/filter: each message once to the group', (r) => assert.equal((r.a as number) + (r.b as number), 10));
  v5('v5_limits', 'receive-maximum', 'with the client\'s Receive Maximum 2 the third QoS 1 waits for a PUBACK', (r) => assert.deepEqual(r.received, ['m0', 'm1', 'm2']));
});

describe('paho MQTT 5: the hub\'s limits (mqtt.keepaliveLimit 60, mqtt.maxPacketSize 4096)', () => {
  let hub: TestHub;
  before(async () => {
    await requirePaho();
    hub = await startHub({ mqtt: { keepaliveLimit: 60, maxPacketSize: 4096 } });
  });
  after(() => hub?.stop());

  it('server keep alive: keepalive 120 (or 0) is answered CONNACK Server Keep Alive 60', async () => {
    const r = await pahoPasses(hub, 'v5_limits', 'server-keep-alive');
    assert.equal(r.keepalive120, 60);
    assert.equal(r.keepalive0, 60);
  });

  it('MQTT 3.1.1 keepalive 120 or 0 over the limit: accepted (held to the limit), not CONNACK 6', async () => {
    const r = await pahoPasses(hub, 'v311', 'keepalive-limit');
    assert.deepEqual(r.rc, { 120: 0, 0: 0 });
  });

  it('maximum packet size: advertised in CONNACK; a larger PUBLISH ends the connection with 0x95 and is not routed', async () => {
    const r = await pahoPasses(hub, 'v5_limits', 'server-packet-size', { extra: { limit: 4096 } });
    assert.deepEqual(r.oversize, ['disconnect', 0x95]);
  });
});

describe('paho MQTT 3.1.1 (protocol=MQTTv311): device firmware\'s protocol stays first class', { concurrency: 3 }, () => {
  let hub: TestHub;
  let device: { username: string; password: string };
  before(async () => {
    await requirePaho();
    hub = await startHub();
    device = await deviceAccount(hub);
  });
  after(() => hub?.stop());

  for (const scenario of ['basic', 'will', 'persistent-session']) {
    it(`${scenario} (admin)`, async () => {
      await pahoPasses(hub, 'v311', scenario);
    });
    it(`${scenario} (device account)`, async () => {
      await pahoPasses(hub, 'v311', scenario, { username: device.username, password: device.password });
    });
  }

  // Wildcard subscriptions: the admin (a device account may subscribe to exact topics and its commands only).
  it('redelivery: unacknowledged QoS 1/2 resent with their ids and DUP, PUBREL resent after PUBREC', async () => {
    const r = await pahoPasses(hub, 'v311', 'redelivery');
    assert.equal((r.resent as unknown[]).length, 2);
  });

  it('mixed: MQTT 5 messages (properties, topic alias) reach 3.1.1 subscribers plainly, and back', async () => {
    await pahoPasses(hub, 'v311', 'mixed');
  });

  it('a wrong password is answered CONNACK return code 4', async () => {
    const r = await pahoPasses(hub, 'v311', 'bad-password');
    assert.equal(r.rc, 4);
  });

  it('a failing scenario is reported with its reason (the runner itself)', async () => {
    const run = await runPaho(hub, 'v311', 'basic', { password: 'wrong' });
    assert.equal(run.result.ok, false);
    assert.match(run.result.error ?? '', /CONNACK reason code 4/);
    assert.notEqual(run.code, 0);
  });
});

describe('paho: sessions with the memory store (mqtt.persistence: memory)', () => {
  let hub: TestHub;
  before(async () => {
    await requirePaho();
    hub = await startHub({ mqtt: { persistence: 'memory' } });
  });
  after(() => hub?.stop());

  for (const [script, scenario] of [['v5_sessions', 'redelivery'], ['v5_sessions', 'offline-queueing'], ['v311', 'redelivery'], ['v311', 'persistent-session']] as const) {
    it(`${script === 'v311' ? 'MQTT 3.1.1' : 'MQTT 5'} ${scenario}`, async () => {
      await pahoPasses(hub, script, scenario);
    });
  }
});
