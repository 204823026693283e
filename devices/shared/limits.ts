// Limits every convention applies to what devices send, so one broken or hostile device cannot exhaust the hub.
// They are checked before any parsing: a payload over the limit is rejected without being read.

/** Largest payload a convention parses (discovery configs, JSON state, RPC notifications). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Zigbee2MQTT's retained `bridge/devices` lists every device with its exposes: ~5 KB per device, so a large
 * network (300+ devices) legitimately exceeds the general limit. It comes from the bridge, not from a device.
 */
export const MAX_BRIDGE_DEVICES_BYTES = 8 * 1024 * 1024;

/** Entities (HA), properties (Homie, Tasmota sensors, Shelly fields) per device: a flood beyond this is refused. */
export const MAX_CAPABILITIES_PER_DEVICE = 256;

/** HA discovery configs under one `<node_id>`: the same cap as per device, for configs that name no device. */
export const MAX_ENTITIES_PER_NODE = 256;

/** Devices one convention keeps in memory (Homie devices, Shelly prefixes, Tasmota MACs...). */
export const MAX_DEVICES_PER_CONVENTION = 10_000;

/** Longest text quoted back in a rejection reason. */
export const MAX_QUOTE = 60;
