import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Capability, StateValue } from '../../../server/core/model.js';
import { api, errorText } from '../api.js';
import type { ViewDevice } from '../live/store.js';
import { onOff, propertyLabel } from '../model/format.js';
import { Chart } from './chart.js';

const ranges = { '1h': 3600e3, '24h': 86_400e3, '7d': 7 * 86_400e3, '30d': 30 * 86_400e3 } as const;
type Range = keyof typeof ranges | 'custom';

/** Properties worth a chart: numbers, and binaries drawn as on/off steps. */
export function chartable(device: ViewDevice): Capability[] {
  return device.capabilities.filter((c) => c.kind === 'numeric' || c.kind === 'binary');
}

function toNumber(cap: Capability, value: StateValue): number | null {
  if (cap.kind === 'binary') {
    const on = onOff(value);
    return on === undefined ? null : on ? 1 : 0;
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** datetime-local wants local time without a zone: "2026-05-01T14:30". */
function localInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A property's history with a range picker; a relative range keeps growing with the device's live reports. */
export function History({ device }: { device: ViewDevice }): JSX.Element {
  const caps = chartable(device);
  const [property, setProperty] = useState(caps[0]?.property ?? '');
  const [range, setRange] = useState<Range>('24h');
  const [custom, setCustom] = useState(() => ({ from: Date.now() - 86_400e3, to: Date.now() }));
  const [points, setPoints] = useState<{ xs: number[]; ys: Array<number | null> } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const cap = caps.find((c) => c.property === property);

  useEffect(() => {
    if (!cap) return;
    let cancelled = false;
    const to = range === 'custom' ? custom.to : Date.now();
    const from = range === 'custom' ? custom.from : to - ranges[range];
    setError(undefined);
    api<{ points: Array<{ ts: number; value: StateValue }> }>('GET',
      `/api/devices/${encodeURIComponent(device.id)}/history?property=${encodeURIComponent(cap.property)}&from=${Math.floor(from)}&to=${Math.ceil(to)}&limit=20000`)
      .then((res) => {
        if (cancelled) return;
        setPoints({ xs: res.points.map((p) => p.ts), ys: res.points.map((p) => toNumber(cap, p.value)) });
      }, (err) => !cancelled && setError(errorText(err)));
    return () => void (cancelled = true);
  }, [device.id, cap?.property, range, custom.from, custom.to]);

  // Live: a new report extends a relative range without another request.
  const latest = cap ? device.state[cap.property] : undefined;
  const shown = useMemo(() => {
    if (!points || !latest || !cap || range === 'custom') return points;
    if (points.xs.length > 0 && points.xs[points.xs.length - 1]! >= latest.ts) return points;
    return { xs: [...points.xs, latest.ts], ys: [...points.ys, toNumber(cap, latest.value)] };
  }, [points, latest?.ts]);

  if (caps.length === 0) return <p>This device reports nothing to chart.</p>;
  return (
    <div class="history">
      <div class="history-controls">
        <label>Property{' '}
          <select value={property} onChange={(e) => setProperty(e.currentTarget.value)}>
            {caps.map((c) => <option key={c.property} value={c.property}>{propertyLabel(c.property)}</option>)}
          </select>
        </label>
        <fieldset class="ranges">
          <legend>Range</legend>
          {(['1h', '24h', '7d', '30d', 'custom'] as const).map((r) => (
            <label key={r} class="range"><input type="radio" name="range" value={r} checked={range === r} onChange={() => setRange(r)} />{r === 'custom' ? 'Custom' : r}</label>
          ))}
        </fieldset>
        {range === 'custom' && (
          <span class="custom-range">
            <label>From <input type="datetime-local" value={localInput(custom.from)} onChange={(e) => setCustom({ ...custom, from: new Date(e.currentTarget.value).getTime() || custom.from })} /></label>
            <label>To <input type="datetime-local" value={localInput(custom.to)} onChange={(e) => setCustom({ ...custom, to: new Date(e.currentTarget.value).getTime() || custom.to })} /></label>
          </span>
        )}
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      {shown && cap && <Chart xs={shown.xs} ys={shown.ys} label={propertyLabel(cap.property)} unit={cap.unit} stepped={cap.kind === 'binary'} />}
      {shown && <p class="hint">{shown.xs.length} changes in this range. Drag across the chart to zoom in; double-click to zoom out.</p>}
    </div>
  );
}
