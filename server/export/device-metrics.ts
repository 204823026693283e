import type { Registry } from '../core/registry.js';
import type { StateStore } from '../core/state-store.js';
import type { Metric } from '../http/routes/ops.js';

// Device states as Prometheus gauges beside the hub's own metrics (opt-in: exports.prometheus.deviceStates).
// Labels as the line-protocol tags (server/export/influx-line.ts), so a Grafana board can use either source.
// Numbers as they are, binary states 1/0; text and enum states have no number and are left out.

export function deviceMetrics(registry: Registry, states: StateStore): Metric[] {
  const available: NonNullable<Metric['series']> = [];
  const values: NonNullable<Metric['series']> = [];
  for (const device of registry.list()) {
    const labels = { id: device.id, name: device.name, floor: device.floor ?? '', room: device.room ?? '' };
    available.push({ labels, value: device.availability === 'online' ? 1 : 0 });
    for (const [property, s] of Object.entries(states.get(device.id) ?? {})) {
      const v = s.value;
      const value = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : undefined;
      if (value === undefined || !Number.isFinite(value)) continue;
      const unit = device.capabilities.find((c) => c.property === property)?.unit ?? '';
      values.push({ labels: { ...labels, property, unit }, value });
    }
  }
  return [
    { name: 'rumah_device_available', help: 'Device availability: 1 online, 0 offline, stale or unknown', type: 'gauge', value: 0, series: available },
    { name: 'rumah_device_state', help: 'Last reported value of a device property (binary: 1 on, 0 off)', type: 'gauge', value: 0, series: values },
  ];
}
