import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { connect, deviceAccount, end, nextMessage, subscribe, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';

test('MQTT-SN discovery: ADVERTISE every advertiseInterval to the configured address, SEARCHGW answered GWINFO (§6.1)', async (t) => {
  const listener = dgram.createSocket('udp4');
  t.after(() => listener.close());
  await new Promise<void>((r) => listener.bind(0, '127.0.0.1', () => r()));
  const advertised: Buffer[] = [];
  listener.on('message', (m) => advertised.push(m));
  const hub = await snHub({ gatewayId: 7, advertiseInterval: 1, advertiseAddress: '127.0.0.1', advertisePort: listener.address().port });
  t.after(() => hub.stop());
  // §5.4.1: 0x05 0x00 GwId Duration(2): gateway 7, next one in 1 s. One at start, one a second later.
  await waitFor(() => advertised.length >= 2, 10_000, 'two ADVERTISE');
  assert.deepEqual([...advertised[0]!], [0x05, 0x00, 0x07, 0x00, 0x01]);

  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  await sn.send([0x03, 0x01, 0x01]); // §5.4.2 SEARCHGW radius 1
  const gwinfo = await sn.next('gwinfo');
  assert.equal(gwinfo.gwId, 7);
});

test('MQTT-SN over IPv6 (::1): the same gateway port, a client connects and publishes', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const sn = await SnClient.open(hub.snPort, '::1').catch(() => undefined);
  if (!sn) return t.skip('no IPv6 loopback on this machine');
  t.after(() => sn.close());
  const account = await deviceAccount(hub, 'v6-sn');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#']);
  await hub.bindings.bind('v6', account.username, ['::1']);
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(sub));
  await subscribe(sub, 'sn/#', 0);
  assert.equal(await sn.connect('v6'), 0);
  const id = await sn.register('sn/v6');
  const got = nextMessage(sub, (tp) => tp === 'sn/v6');
  await sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId: 1, data: Buffer.from('over v6') });
  assert.equal((await sn.next('puback')).returnCode, 0);
  assert.equal((await got).payload, 'over v6');
});

test('MQTT-SN discovery over IPv6: ADVERTISE goes to mqttsn.advertiseAddress6 from the gateway\'s IPv6 socket (its port)', async (t) => {
  const listener = dgram.createSocket('udp6');
  t.after(() => listener.close());
  const bound = await new Promise<boolean>((r) => {
    listener.once('error', () => r(false));
    listener.bind(0, '::1', () => r(true));
  });
  if (!bound) return t.skip('no IPv6 loopback on this machine');
  const advertised: Array<{ bytes: number[]; from: string; port: number }> = [];
  listener.on('message', (m, rinfo) => advertised.push({ bytes: [...m], from: rinfo.address, port: rinfo.port }));
  // Unicast to ::1 here (the loopback has no multicast); on a LAN it is ff02::1 (%iface), the same send.
  const hub = await snHub({ gatewayId: 9, advertiseInterval: 1, advertiseAddress: '127.0.0.1', advertiseAddress6: '::1', advertisePort: listener.address().port });
  t.after(() => hub.stop());
  await waitFor(() => advertised.length >= 2, 10_000, 'two ADVERTISE over IPv6');
  // §5.4.1: 0x05 0x00 GwId Duration(2).
  assert.deepEqual(advertised[0], { bytes: [0x05, 0x00, 0x09, 0x00, 0x01], from: '::1', port: hub.snPort });
});
