import { scryptEngine } from './auth/scrypt-kdf.js';
import type { Hub } from './hub.js';
import type { Health, Metric } from './http/routes/ops.js';
import { bridgeHealth, bridgeMetrics } from './bridge/ops.js';
import { mqttSnMetrics } from './mqttsn/metrics.js';

export function hubHealth(hub: Hub): Health {
  const history = hub.store.writer;
  const checks: Health['checks'] = {
    broker: { ok: !hub.broker.aedes.closed },
    history: { ok: history.healthy, detail: history.healthy ? undefined : 'history writes are failing; see the log (disk full?)' },
  };
  const persistence = hub.persistence;
  if (persistence) {
    checks.brokerStore = {
      ok: persistence.healthy,
      detail: persistence.healthy ? undefined : `broker.db writes are failing (${persistence.lastError?.message ?? 'unknown'}); QoS 1/2 and retained publishes are not acknowledged until they succeed. Free disk space`,
    };
  }
  Object.assign(checks, bridgeHealth(hub.bridges));
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}

export function hubMetrics(hub: Hub): Metric[] {
  const b = hub.broker.counters;
  const h = hub.store.writer;
  const mem = process.memoryUsage();
  return [
    { name: 'rumah_mqtt_clients', help: 'Connected MQTT clients', type: 'gauge', value: hub.broker.connectedClients },
    { name: 'rumah_mqtt_messages_in_total', help: 'Publishes received from clients', type: 'counter', value: b.messagesIn },
    { name: 'rumah_mqtt_messages_out_total', help: 'Publishes delivered to subscribers', type: 'counter', value: b.messagesOut },
    { name: 'rumah_mqtt_refused_logins_total', help: 'MQTT logins refused', type: 'counter', value: b.refusedLogins },
    { name: 'rumah_mqtt_oversize_packets_total', help: 'Packets refused for exceeding mqtt.maxPacketSize', type: 'counter', value: b.oversizePackets },
    { name: 'rumah_mqtt_slow_readers_dropped_total', help: 'Subscribers dropped for falling more than mqtt.maxBufferedBytes behind', type: 'counter', value: b.slowReadersDropped },
    { name: 'rumah_mqtt_publishes_held_total', help: 'Publishes held back by flow control (mqtt.publishRate, or too many being routed)', type: 'counter', value: hub.broker.heldPublishes },
    {
      name: 'rumah_mqtt_account_publishes_held_total', help: 'Publishes that waited for their account\'s budget (mqtt.accountPublishRate/adminPublishRate/addressPublishRate), each a pause in reading that socket', type: 'counter',
      value: hub.broker.budget.pausesTotal, series: [...hub.broker.budget.pauses].map(([account, value]) => ({ labels: { account }, value })),
    },
    { name: 'rumah_mqtt_connections_waiting', help: 'New MQTT connections waiting in line, unread, while many logins are being checked (a restart storm)', type: 'gauge', value: hub.broker.login.line.waiting },
    { name: 'rumah_mqtt_connections_waited_total', help: 'New MQTT connections that waited in line for their login\'s turn', type: 'counter', value: hub.broker.login.line.counts.waited },
    { name: 'rumah_mqtt_connections_expired_total', help: 'New MQTT connections closed unread after waiting mqtt.connectTimeout in line (the device retries)', type: 'counter', value: hub.broker.login.line.counts.expired },
    { name: 'rumah_mqtt_logins_busy_total', help: 'MQTT logins refused (CONNACK 3) because too many were waiting to be checked', type: 'counter', value: hub.broker.login.gate.refused },
    {
      name: 'rumah_password_scrypt_info', help: 'Which scrypt hashes passwords with 32-byte salts: libsodium (the optional sodium-native), or OpenSSL without it', type: 'gauge',
      value: 1, series: [{ labels: { engine: scryptEngine() }, value: 1 }],
    },
    {
      name: 'rumah_password_hashes_resalted_total', help: 'Password hashes stored with 16-byte salts rewritten with 32-byte ones after a login, so that libsodium hashes them', type: 'counter',
      value: hub.store.accounts.resalt.done + hub.store.users.resalt.done,
    },
    { name: 'rumah_mqtt_client_id_refused_total', help: 'MQTT logins refused: the client id is connected or holds a session under another account', type: 'counter', value: b.clientIdRefused },
    { name: 'rumah_mqtt_session_quota_refused_total', help: 'MQTT logins refused: the account holds mqtt.maxSessionsPerAccount persistent sessions', type: 'counter', value: b.sessionQuotaRefused },
    { name: 'rumah_mqtt_retained_quota_refused_total', help: 'Retained publishes refused: the account is over its retained quota', type: 'counter', value: b.retainedQuotaRefused },
    { name: 'rumah_mqtt_queued_dropped_total', help: 'Queued messages dropped (oldest first) to keep a session within mqtt.maxQueuedPerSession / maxQueuedBytesPerSession', type: 'counter', value: b.queuedDropped },
    { name: 'rumah_mqtt_inbound_qos2_quota_exceeded_total', help: 'Clients disconnected: their account held more than mqtt.maxInflightInboundBytesPerAccount of QoS 2 messages awaiting PUBREL', type: 'counter', value: b.inboundQos2QuotaExceeded },
    { name: 'rumah_devices', help: 'Devices in the registry', type: 'gauge', value: hub.registry.size },
    { name: 'rumah_devices_online', help: 'Devices in the registry that are online', type: 'gauge', value: hub.registry.online },
    { name: 'rumah_devices_stale', help: 'Devices silent for longer than their usual reporting interval', type: 'gauge', value: hub.registry.count('stale') },
    { name: 'rumah_device_messages_rejected_total', help: 'Device messages a convention refused', type: 'counter', value: hub.registry.counters.rejected },
    { name: 'rumah_device_messages_foreign_total', help: 'Messages of one account about another account\'s device, refused', type: 'counter', value: hub.registry.counters.foreign },
    { name: 'rumah_state_changes_total', help: 'State changes applied', type: 'counter', value: hub.states.changes },
    { name: 'rumah_history_queue_depth', help: 'State changes waiting to be written to history', type: 'gauge', value: h.depth },
    { name: 'rumah_history_written_total', help: 'History rows written', type: 'counter', value: h.written },
    { name: 'rumah_history_dropped_total', help: 'History rows dropped because the queue was full', type: 'counter', value: h.dropped },
    { name: 'rumah_history_write_seconds', help: 'Duration of the last history batch write', type: 'gauge', value: h.lastBatchMs / 1000 },
    { name: 'rumah_rules_backlog', help: 'Rule fires waiting for a busy run of their rule to end (rules/engine/backlog.ts)', type: 'gauge', value: hub.rules.backlog.length },
    { name: 'rumah_rules_backlog_waited_total', help: 'Rule fires that waited in the backlog instead of being skipped', type: 'counter', value: hub.rules.backlog.counters.waited },
    { name: 'rumah_rules_backlog_full_total', help: 'Rule fires skipped because the backlog was full', type: 'counter', value: hub.rules.backlog.counters.full },
    { name: 'rumah_process_resident_memory_bytes', help: 'Resident set size', type: 'gauge', value: mem.rss },
    { name: 'rumah_process_heap_used_bytes', help: 'V8 heap in use (RSS minus this is native: SQLite caches, buffers)', type: 'gauge', value: mem.heapUsed },
    { name: 'rumah_event_loop_lag_p99_seconds', help: 'Event-loop lag p99 over the last complete minute', type: 'gauge', value: hub.loopLag.p99Ms / 1000 },
    { name: 'rumah_event_loop_lag_max_seconds', help: 'Event-loop lag maximum over the last complete minute', type: 'gauge', value: hub.loopLag.maxMs / 1000 },
    ...bridgeMetrics(hub.bridges),
    ...(hub.mqttsn ? mqttSnMetrics(hub.mqttsn) : []),
    ...(hub.exports?.metrics() ?? []),
    ...(hub.logbook?.metrics() ?? []),
  ];
}
