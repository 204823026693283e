import type { Metric } from '../http/routes/ops.js';
import type { MqttSnGateway } from './gateway.js';

/** The gateway's figures for GET /metrics (server/ops.ts adds them when the gateway runs). */
export function mqttSnMetrics(gateway: MqttSnGateway): Metric[] {
  const t = gateway.stats.total;
  const counter = (name: string, help: string, value: number): Metric => ({ name: `rumah_mqttsn_${name}`, help, type: 'counter', value });
  return [
    { name: 'rumah_mqttsn_clients', help: 'MQTT-SN clients with a session (active, asleep or awake)', type: 'gauge', value: gateway.clients },
    counter('datagrams_total', 'MQTT-SN datagrams received', t.datagrams),
    counter('malformed_total', 'MQTT-SN datagrams refused as malformed (length, type, reserved values)', t.malformed),
    counter('flooded_total', 'MQTT-SN datagrams dropped over mqttsn.datagramRate of their source address', t.flooded),
    counter('refused_total', 'MQTT-SN CONNECTs (and QoS -1 publishes) of client ids or addresses no binding admits', t.refused),
    counter('invalid_topic_id_total', 'MQTT-SN messages naming a topic id never registered or predefined', t.invalidTopicId),
    counter('unsupported_total', 'MQTT-SN messages not supported where they came', t.unsupported),
    counter('no_session_total', 'MQTT-SN messages that need a connection, from a source with none', t.noSession),
  ];
}
