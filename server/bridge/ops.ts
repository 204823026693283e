import type { Health, Metric } from '../http/routes/ops.js';
import type { Bridges } from './service.js';

/**
 * /healthz: one check per outbound bridge, `bridge:<name>`. A remote broker being away is not the hub failing (the
 * house runs on; QoS 1 messages wait in the queue), so a down bridge is reported with its error but stays ok — unless
 * the bridge is marked `required: true`, when /healthz answers 503 while it is not connected.
 */
export function bridgeHealth(bridges: Bridges | undefined): Health['checks'] {
  const checks: Health['checks'] = {};
  for (const b of bridges?.view() ?? []) {
    const up = b.state === 'connected';
    checks[`bridge:${b.name}`] = { ok: up || !b.required, ...(up ? {} : { detail: `${b.state}${b.lastError ? `: ${b.lastError}` : ''}; ${b.queueDepth} messages queued` }) };
  }
  return checks;
}

/** /metrics: per-bridge series, labelled `bridge`. */
export function bridgeMetrics(bridges: Bridges | undefined): Metric[] {
  const links = bridges?.links ?? [];
  if (links.length === 0) return [];
  const per = (pick: (c: ReturnType<Bridges['counters']>) => number) => links.map((l) => ({ labels: { bridge: l.name }, value: pick(bridges!.counters(l)) }));
  return [
    { name: 'rumah_bridge_connected', help: 'Outbound bridge connected (1) or not (0)', type: 'gauge', value: 0, series: links.map((l) => ({ labels: { bridge: l.name }, value: l.state === 'connected' ? 1 : 0 })) },
    { name: 'rumah_bridge_messages_out_total', help: 'Messages an outbound bridge sent to its remote (QoS 1/2: acknowledged)', type: 'counter', value: 0, series: per((c) => c.messagesOut) },
    { name: 'rumah_bridge_messages_in_total', help: 'Messages an outbound bridge brought in from its remote', type: 'counter', value: 0, series: per((c) => c.messagesIn) },
    { name: 'rumah_bridge_queue_depth', help: 'QoS 1/2 messages waiting in an outbound bridge\'s durable queue', type: 'gauge', value: 0, series: per((c) => c.queueDepth) },
    { name: 'rumah_bridge_queue_bytes', help: 'Bytes (topic + payload) waiting in an outbound bridge\'s durable queue', type: 'gauge', value: 0, series: per((c) => c.queueBytes) },
    { name: 'rumah_bridge_queue_dropped_total', help: 'Queued messages dropped (oldest first) past maxQueuedMessages / maxQueuedBytes', type: 'counter', value: 0, series: per((c) => c.queueDropped) },
    { name: 'rumah_bridge_qos0_dropped_total', help: 'QoS 0 messages not sent: the bridge was not connected, or 4 MiB already waited for the remote to take it', type: 'counter', value: 0, series: per((c) => c.qos0Dropped) },
    { name: 'rumah_bridge_refused_total', help: 'Messages the remote acknowledged with an error reason code (dropped)', type: 'counter', value: 0, series: per((c) => c.refused) },
    { name: 'rumah_bridge_too_large_total', help: 'Remote messages larger than mqtt.maxPacketSize, not brought in', type: 'counter', value: 0, series: per((c) => c.tooLarge) },
    { name: 'rumah_bridge_connects_total', help: 'Connections an outbound bridge made (more than one: reconnects)', type: 'counter', value: 0, series: per((c) => c.connects) },
  ];
}
