/**
 * MQTT 3.1.1 has no way to tell a client to use another keepalive, and aedes refuses one above `keepaliveLimit` (or
 * with none) with CONNACK 6, a return code 3.1.1 reserves, which clients show as "unknown reason". Such a client is
 * accepted and held to the limit instead: silent for 1.5 × the limit, it is disconnected (its will published), as an
 * MQTT 5 client told the limit by Server Keep Alive would be. Keepalive 0 in particular ("no keepalive", [MQTT-3.1.2-
 * 10]) would leave a half-open connection, and the device shown online, forever.
 */
export function keepaliveWithinLimit(packet: { protocolVersion?: number; keepalive?: number }, limit: number): void {
  if (!limit || packet.protocolVersion === 5) return;
  if (!packet.keepalive || packet.keepalive > limit) packet.keepalive = limit;
}
