import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Capability } from '../../../server/core/model.js';
import { api, errorText } from '../api.js';
import type { ViewDevice } from '../live/store.js';
import { propertyLabel } from '../model/format.js';
import { bandRow, numericSeries, type HistoryAnswer, type Sample } from '../model/history.js';
import { HistoryChart } from './chart-history.js';

const ranges = { '1h': 3600e3, '24h': 86_400e3, '7d': 7 * 86_400e3, '30d': 30 * 86_400e3 } as const;
type Range = keyof typeof ranges | 'custom';

/** Properties worth a chart: numbers as lines, binaries and enums as timeline bands. */
export function chartable(device: ViewDevice): Capability[] {
  return device.capabilities.filter((c) => c.kind === 'numeric' || c.kind === 'binary' || c.kind === 'enum');
}

/** Shown at first: the first number, and every binary and enum (a light's on/off beside its brightness). */
function defaultSelection(caps: Capability[]): string[] {
  const firstNumber = caps.find((c) => c.kind === 'numeric');
  const picked = caps.filter((c) => c === firstNumber || c.kind !== 'numeric').map((c) => c.property);
  return picked.length ? picked : caps.slice(0, 1).map((c) => c.property);
}

/** datetime-local wants local time without a zone: "2026-05-01T14:30". */
function localInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function duration(ms: number): string {
  return ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

interface Loaded {
  from: number;
  to: number;
  answers: HistoryAnswer[];
}

/**
 * A device's history: which properties (numbers overlaid on one chart, binaries as bands), over which range (the
 * presets or a custom one, honoured exactly); a relative range keeps growing with the device's live reports.
 */
export function History({ device }: { device: ViewDevice }): JSX.Element {
  const caps = chartable(device);
  const [selected, setSelected] = useState<string[]>(() => defaultSelection(caps));
  // `?range=7d` in the address opens that range (a link to a week of a sensor; the benchmark opens 30 d this way).
  const [range, setRange] = useState<Range>(() => {
    const asked = new URLSearchParams(location.search).get('range');
    return asked && asked in ranges ? (asked as Range) : '24h';
  });
  const [custom, setCustom] = useState(() => ({ from: Date.now() - 86_400e3, to: Date.now() }));
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const live = useRef<Record<string, Sample[]>>({});
  const shown = caps.filter((c) => selected.includes(c.property));

  useEffect(() => {
    if (shown.length === 0) return;
    let cancelled = false;
    const to = Math.ceil(range === 'custom' ? custom.to : Date.now());
    const from = Math.floor(range === 'custom' ? custom.from : to - ranges[range]);
    if (!(from < to)) {
      setError('The range must start before it ends.');
      return;
    }
    setError(undefined);
    const id = encodeURIComponent(device.id);
    Promise.all(shown.map((c) => api<HistoryAnswer>('GET', `/api/devices/${id}/history?property=${encodeURIComponent(c.property)}&from=${from}&to=${to}`)))
      .then((answers) => {
        if (cancelled) return;
        live.current = {};
        setLoaded({ from, to, answers });
      }, (err) => !cancelled && setError(errorText(err)));
    return () => void (cancelled = true);
  }, [device.id, selected.join('\n'), range, custom.from, custom.to]);

  // A relative range moves with the clock: its end (and every series' last value, carried to it) advances every
  // 1/1000 of the range (about a pixel: 86 s for 24 h), at least every 5 s, without asking the hub again.
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    if (range === 'custom') return;
    const timer = setInterval(() => setTick(Date.now()), Math.max(5000, ranges[range] / 1000));
    return () => clearInterval(timer);
  }, [range]);

  // Live: reports newer than the answer extend a relative range without another request.
  let end = loaded?.to ?? 0;
  if (loaded && range !== 'custom') {
    end = Math.max(end, tick);
    for (const a of loaded.answers) {
      const latest = device.state[a.property];
      const seen = (live.current[a.property] ??= []);
      if (latest && latest.ts > a.to && latest.ts > (seen[seen.length - 1]?.ts ?? 0)) seen.push({ ts: latest.ts, value: latest.value });
      end = Math.max(end, seen[seen.length - 1]?.ts ?? 0);
    }
  }
  const capOf = (p: string) => caps.find((c) => c.property === p);
  const answers = loaded?.answers.filter((a) => selected.includes(a.property)) ?? [];
  // Rebuilt only when the answers or the live points change: a new chart would lose the zoom.
  const liveKey = Object.values(live.current).map((l) => l.length).join(',');
  const endAt = range === 'custom' ? undefined : end;
  const { numeric, rows } = useMemo(() => ({
    numeric: answers.filter((a) => capOf(a.property)?.kind === 'numeric').map((a) => numericSeries(a, capOf(a.property), live.current[a.property], endAt)),
    rows: answers.filter((a) => capOf(a.property)?.kind !== 'numeric').map((a) => bandRow(a, capOf(a.property), live.current[a.property], endAt)),
  }), [loaded, liveKey, selected.join('\n'), endAt]);
  const changes = numeric.reduce((n, s) => n + s.samples, 0) + rows.reduce((n, r) => n + r.samples, 0);
  const bucketed = answers.find((a) => a.resolution !== 'raw');
  const toggle = (property: string, on: boolean): void =>
    setSelected(on ? caps.filter((c) => c.property === property || selected.includes(c.property)).map((c) => c.property) : selected.filter((p) => p !== property));

  if (caps.length === 0) return <p>This device reports nothing to chart.</p>;
  return (
    <div class="history">
      <div class="history-controls">
        <fieldset class="history-properties">
          <legend>Show</legend>
          {caps.map((c) => (
            <label key={c.property} class="range">
              <input type="checkbox" name="property" value={c.property} checked={selected.includes(c.property)} onChange={(e) => toggle(c.property, e.currentTarget.checked)} />
              {propertyLabel(c.property)}{c.unit ? ` (${c.unit})` : ''}
            </label>
          ))}
        </fieldset>
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
      {shown.length === 0 && <p class="hint">Pick at least one property to chart.</p>}
      {loaded && shown.length > 0 && !error && <HistoryChart from={loaded.from} to={Math.max(loaded.to, end)} numeric={numeric} rows={rows} />}
      {loaded && shown.length > 0 && (
        <p class="hint">
          {changes} changes in this range{bucketed?.bucketMs ? `, drawn as ${duration(bucketed.bucketMs)} buckets` : ''}.
          {' '}Drag across the chart to zoom in; double-click to zoom out.
        </p>
      )}
    </div>
  );
}
