import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IConnackPacket } from 'mqtt-packet';
import { hubFor, portOf, RawClient } from '../helpers/mqtt5.js';

// An MQTT 5 client that ends its session on DISCONNECT (Session Expiry Interval 0) and connects again at once with
// Clean Start 0 has no session to resume: CONNACK Session Present 0 [MQTT-3.1.2-23, MQTT-3.2.2-2]. The hub deletes the
// old session in the background (its subscriptions from broker.db), and the new CONNECT may arrive first; it must not
// be told the old session is there (seen as a flake of the Paho session-expiry scenario).
test('a session ended by DISCONNECT with Session Expiry Interval 0 is not reported present to a CONNECT right after', async (t) => {
  const hub = await hubFor(t);
  const port = portOf(hub.mqttUrl);
  const present: boolean[] = [];
  const kept: boolean[] = [];
  for (let i = 0; i < 20; i++) {
    const clientId = `ends-${i}`;
    const { raw: first } = await RawClient.connect(t, port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `ends/${i}/#`, qos: 1 }] });
    await first.next('suback');
    first.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    first.socket.end();
    const { raw: second, connack } = await RawClient.connect(t, port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
    present.push((connack as IConnackPacket).sessionPresent);
    // This new session is kept (SEI 300) and has no subscription (aedes alone would answer 0: session-present.ts):
    // back again, it is there. The old connection's end, seen late, must not mark it ended.
    second.send({ cmd: 'disconnect', reasonCode: 0 });
    await second.closed;
    const { connack: third } = await RawClient.connect(t, port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
    kept.push((third as IConnackPacket).sessionPresent);
  }
  assert.equal(present.filter(Boolean).length, 0, `Session Present on ${present.filter(Boolean).length} of 20 reconnects right after a session end`);
  assert.equal(kept.filter((p) => !p).length, 0, `Session Present 0 on ${kept.filter((p) => !p).length} of 20 reconnects to a kept session`);
});
