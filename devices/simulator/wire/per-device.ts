import { topicMatches } from '../../../server/mqtt/topics.js';
import type { CommandResult, ConnectionCodec, ConventionName, Message, SimDevice, TickResult } from '../types.js';

/**
 * A convention where each device is its own MQTT client (native, Home Assistant, Tasmota, Shelly, Homie) says
 * everything per device. Several devices may still share one connection (`--connections N`): their messages are
 * concatenated and commands routed by topic, and the connection's will is the first device's.
 */
export interface DeviceCodec {
  clientId(d: SimDevice): string;
  will(d: SimDevice): Message;
  subscriptions(d: SimDevice): string[];
  announce(d: SimDevice): Message[];
  retire(d: SimDevice): Message[];
  telemetry(d: SimDevice, tick: TickResult): Message[];
  confirm(d: SimDevice, properties: readonly string[]): Message[];
  command(d: SimDevice, topic: string, payload: string, retained: boolean): Omit<CommandResult, 'device'> | undefined;
  /** Topics every device of the convention listens to (Home Assistant's birth message): subscribed and handled once per connection. */
  shared?: {
    subscriptions: string[];
    handle(devices: readonly SimDevice[], topic: string, payload: string, retained: boolean): CommandResult | undefined;
  };
}

export function perDeviceConnection(convention: ConventionName, codec: DeviceCodec, devices: readonly SimDevice[], index: number): ConnectionCodec {
  const first = devices[0];
  if (!first) throw new Error('a connection needs at least one device');
  const routes = devices.map((d) => ({ device: d, filters: codec.subscriptions(d) }));
  const shared = codec.shared?.subscriptions ?? [];
  return {
    clientId: devices.length === 1 ? codec.clientId(first) : `sim-${convention}-${index + 1}`,
    devices,
    will: codec.will(first),
    subscriptions: [...shared, ...routes.flatMap((r) => r.filters)],
    announce: () => devices.flatMap((d) => codec.announce(d)),
    retire: () => devices.flatMap((d) => codec.retire(d)),
    telemetry: (d, tick) => codec.telemetry(d, tick),
    confirm: (d, properties) => codec.confirm(d, properties),
    command(topic, payload, retained) {
      if (shared.some((f) => topicMatches(f, topic))) return codec.shared!.handle(devices, topic, payload, retained);
      // Linear, but only commands come this way, and a shared connection is a few hundred devices at most.
      const route = routes.find((r) => r.filters.some((f) => topicMatches(f, topic)));
      if (!route) return undefined;
      const result = codec.command(route.device, topic, payload, retained);
      return result && { ...result, device: route.device };
    },
  };
}
