import type { Registry } from '../core/registry.js';
import type { StateStore } from '../core/state-store.js';
import type { Metric } from '../http/routes/ops.js';

// Device states as Prometheus gauges beside the hub's own metrics (opt-in: exports.prometheus.deviceStates).
// Labels as the line-protocol tags (server/export/influx-line.ts), so a Grafana board can use either source.
// Numbers as they are, binary states 1/0; text and enum states have no number and are left out.

function labelsOf(d: { id: string; name: string; floor?: string; room?: string }): Record<string, string> {
  return { id: d.id, name: d.name, floor: d.floor ?? '', room: d.room ?? '' };
}

export function deviceMetrics(registry: Registry, states: StateStore): Metric[] {
  // A family's samples must be one group in the text format: availability first, then the states.
  const out: Metric[] = [];
  const values: Metric[] = [];
  for (const device of registry.list()) {
    const labels = labelsOf(device);
    out.push({ name: 'rumah_device_available', help: 'Device availability: 1 online, 0 offline or unknown', type: 'gauge', value: device.availability === 'online' ? 1 : 0, labels });
    const state = states.get(device.id);
    if (!state) continue;
    for (const [property, s] of Object.entries(state)) {
      const v = s.value;
      const value = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : undefined;
      if (value === undefined || !Number.isFinite(value)) continue;
      const unit = device.capabilities.find((c) => c.property === property)?.unit ?? '';
      values.push({ name: 'rumah_device_state', help: 'Last reported value of a device property (binary: 1 on, 0 off)', type: 'gauge', value, labels: { ...labels, property, unit } });
    }
  }
  return out.concat(values);
}
