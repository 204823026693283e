import mqttPacket from 'mqtt-packet';
import { fuzzMqtt, type MqttFuzzOptions, type MqttFuzzStats } from './mqtt-fuzzer.js';
import { mutate, type Credentials } from './mqtt-packets.js';
import { anyPacketV5, connectV5, generatedPacket, mutateProperties } from './mqtt5-packets.js';
import type { Prng } from './prng.js';

/**
 * The packets of one MQTT 5 fuzz connection: a v5 CONNECT with random properties (broken in one in four, none in
 * one in ten), then up to 30 packets of every type a client sends, properties valid or not, some built by
 * mqtt-packet and cut up in their property block, some broken anywhere by the 3.1.1 fuzzer's mutations.
 */
export function v5Session(r: Prng, creds: Credentials): Buffer[] {
  const kind = r.int(0, 9);
  const packets: Buffer[] = [];
  if (kind <= 6) packets.push(connectV5(r, creds, false));
  else if (kind <= 8) packets.push(connectV5(r, creds, true));
  for (let i = r.int(1, 30); i > 0; i--) {
    const roll = r.next();
    if (roll < 0.5) packets.push(anyPacketV5(r, creds));
    else if (roll < 0.65) packets.push(generatedPacket(r));
    else if (roll < 0.9) packets.push(mutateProperties(r, r.chance(0.5) ? generatedPacket(r) : anyPacketV5(r, creds)));
    else packets.push(mutate(r, anyPacketV5(r, creds)));
  }
  return packets;
}

export interface Mqtt5FuzzStats extends MqttFuzzStats {
  /** What the hub answered the fuzz connections: 'CONNACK 0x82', 'DISCONNECT 0x81'… and how often. */
  answers: Record<string, number>;
}

/**
 * The MQTT fuzzer (mqtt-fuzzer.ts) with MQTT 5 sessions. What the hub sends back is parsed as MQTT 5 and its
 * CONNACK and DISCONNECT reason codes counted: a run shows which spec answers the fuzz reached.
 */
export async function fuzzMqtt5(opts: Omit<MqttFuzzOptions, 'session'>): Promise<Mqtt5FuzzStats> {
  const answers: Record<string, number> = {};
  const count = (what: string): void => {
    answers[what] = (answers[what] ?? 0) + 1;
  };
  const stats = await fuzzMqtt({
    ...opts,
    session: v5Session,
    // Most connections wait for their CONNACK: the property checks that matter are those of a logged-in client.
    waitForConnack: 0.7,
    dial: (n) => {
      const socket = opts.dial(n);
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      parser.on('packet', (p: mqttPacket.Packet) => {
        if (p.cmd === 'connack' || p.cmd === 'disconnect') count(`${p.cmd.toUpperCase()} 0x${(p.reasonCode ?? 0).toString(16).padStart(2, '0')}`);
      });
      parser.on('error', () => count('unparsable answer'));
      socket.on('data', (b: Buffer) => parser.parse(b));
      return socket;
    },
  });
  return { ...stats, answers };
}
