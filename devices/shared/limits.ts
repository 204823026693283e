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

/**
 * Largest value one property's state may hold, measured as characters of its text (a string's length, or the
 * length of an object's or array's JSON). A report over it is refused (the previous value stays) and the reason
 * goes to the device log. The same bound as an HA template's output (template/evaluate.ts MAX_OUTPUT): whatever
 * a device sends, one stored value is at most this big in memory, in rumah.db, in history and on the dashboard.
 */
export const MAX_STATE_VALUE_CHARS = 64 * 1024;

/**
 * All of one device's property values together, measured the same way. With MAX_CAPABILITIES_PER_DEVICE
 * properties at the per-value bound a device could otherwise keep 16 MiB; a report that would take the device
 * past this total is refused property by property (the ones that still fit are kept).
 */
export const MAX_DEVICE_STATE_CHARS = 256 * 1024;

/**
 * All the state of the devices one MQTT account reports, measured the same way: 64 devices at the per-device
 * bound. Without it an account could hold devices.maxPerAccount × MAX_DEVICE_STATE_CHARS (500 × 256 Ki = 128 Mi
 * characters). A Zigbee2MQTT bridge reporting 300 devices holds well under 1 Mi.
 */
export const MAX_ACCOUNT_STATE_CHARS = 16 * 1024 * 1024;

/**
 * Largest payload (characters) given to an HA template as `value` / `value_json`. A template touches its input
 * (split, replace, from_json, comparisons...), and each touch is charged to its budget: bigger input is refused
 * before any template work, with a reason in the device log.
 */
export const MAX_TEMPLATE_INPUT_CHARS = 64 * 1024;
