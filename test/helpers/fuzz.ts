import type net from 'node:net';
import type { Hub } from '../../server/hub.js';

/** Open TCP connections of the hub's plain MQTT, MQTT over TLS and web listeners (what a leak would show in). */
export async function listenerConnections(hub: Hub): Promise<{ mqtt: number; mqttTls: number; web: number }> {
  const servers = hub as unknown as { tcp?: net.Server; mqttTls?: net.Server; http?: net.Server };
  const count = (server?: net.Server): Promise<number> => new Promise((resolve, reject) => {
    if (!server) return resolve(0);
    server.getConnections((err, n) => (err ? reject(err) : resolve(n)));
  });
  return { mqtt: await count(servers.tcp), mqttTls: await count(servers.mqttTls), web: await count(servers.http) };
}

/** FUZZ_SECONDS (a longer run by hand) or the suite's short default. */
export function fuzzMs(defaultSeconds: number): number {
  const s = Number(process.env.FUZZ_SECONDS);
  return (Number.isFinite(s) && s > 0 ? s : defaultSeconds) * 1000;
}
