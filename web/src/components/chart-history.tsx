import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { align, type BandRow, type NumericSeries } from '../model/history.js';
import { formatTime, propertyLabel } from '../model/format.js';

// A device's history as Home Assistant draws it: numeric properties as step lines on one chart (an axis per unit),
// binary and enum properties as a timeline of coloured bands with their words, both on the same time axis (the
// chosen range, exactly), a zoom by dragging on either one moving both, and a readout beside the cursor with the time
// and the values in force there. Canvas (uPlot): 30 days of buckets or thousands of changes stay fast.

export interface HistoryChartProps {
  /** The chosen range: the x axis shows exactly this, whatever the data covers. */
  from: number;
  to: number;
  numeric: NumericSeries[];
  rows: BandRow[];
}

const GUTTER = 84; // left axis width in both charts, so their plot areas line up
const RIGHT = 64;
const LABEL = 18;
const ROW_H = 30;
const PALETTE = ['#2f7d5b', '#c0392b', '#2c6fbb', '#b7791f', '#8e44ad', '#16a085'];

interface Colours {
  fg: string;
  grid: string;
  series: string[];
  on: string;
  off: string;
}

function colours(el: HTMLElement): Colours {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--fg', '#222'),
    grid: v('--line', '#ddd'),
    series: PALETTE.map((c, i) => v(`--series-${i}`, c)),
    on: v('--band-on', '#2f7d5b'),
    off: v('--band-off', '#9aa69f'),
  };
}

/** The value a step series holds at `ts` (its last point at or before it), undefined outside the series. */
function valueAt(s: NumericSeries, ts: number): number | null | undefined {
  let lo = 0;
  let hi = s.xs.length - 1;
  if (hi < 0 || ts < s.xs[0]! || ts > s.xs[hi]!) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.xs[mid]! <= ts) lo = mid;
    else hi = mid - 1;
  }
  return s.ys[lo];
}

function number(v: number): string {
  return String(Number(v.toFixed(2)));
}

/** The readout's lines at `ts`: the time, then each numeric value (mean and range for buckets) and each band's word. */
export function readoutLines(ts: number, numeric: NumericSeries[], rows: BandRow[]): string[] {
  const lines = [formatTime(ts)];
  for (const s of numeric) {
    const v = valueAt(s, ts);
    if (v === undefined || v === null) continue;
    let text = `${propertyLabel(s.property)}: ${number(v)}${s.unit ? ` ${s.unit}` : ''}`;
    if (s.mins && s.maxs) {
      const i = s.xs.findIndex((x, k) => x <= ts && (s.xs[k + 1] ?? Infinity) > ts);
      const lo = s.mins[i];
      const hi = s.maxs[i];
      if (lo != null && hi != null && lo !== hi) text += ` (${number(lo)}–${number(hi)})`;
    }
    lines.push(text);
  }
  for (const r of rows) {
    const band = r.bands.find((b) => b.from <= ts && ts < b.to) ?? (r.bands[r.bands.length - 1]?.to === ts ? r.bands[r.bands.length - 1] : undefined);
    if (band) lines.push(`${propertyLabel(r.property)}: ${band.label}`);
  }
  return lines;
}

/** A box inside the plot that follows the cursor; text only (textContent), never markup. */
function readoutPlugin(lines: (ts: number) => string[]): uPlot.Plugin {
  let box: HTMLDivElement | undefined;
  return {
    hooks: {
      init: (u) => {
        box = document.createElement('div');
        box.className = 'chart-readout';
        box.hidden = true;
        u.over.appendChild(box);
      },
      setCursor: (u) => {
        if (!box) return;
        const { left } = u.cursor;
        const top = Math.max(0, u.cursor.top ?? 0);
        if (left === undefined || left < 0) {
          box.hidden = true;
          return;
        }
        const ts = u.posToVal(left, 'x');
        box.replaceChildren(...lines(ts).map((l, i) => {
          const line = document.createElement(i === 0 ? 'strong' : 'span');
          line.textContent = l;
          return line;
        }));
        box.dataset.ts = String(Math.round(ts));
        box.hidden = false;
        // Beside the cursor, on the side with room: left of it past the plot's middle.
        const width = u.over.clientWidth;
        const x = left > width / 2 ? left - box.offsetWidth - 12 : left + 12;
        const y = Math.min(Math.max(0, top - box.offsetHeight / 2), Math.max(0, u.over.clientHeight - box.offsetHeight));
        box.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
      },
    },
  };
}

function axisBase(c: Colours): uPlot.Axis {
  return { stroke: c.fg, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
}

function numericOptions(p: HistoryChartProps, c: Colours, width: number, units: string[]): { opts: uPlot.Options; data: uPlot.AlignedData } {
  const aligned = align(p.numeric, [p.from, p.to]);
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  p.numeric.forEach((s, i) => {
    const colour = c.series[i % c.series.length]!;
    const scale = `u:${s.unit ?? ''}`;
    const stepped = s.resolution === 'raw' ? uPlot.paths.stepped!({ align: 1 }) : undefined;
    series.push({ label: propertyLabel(s.property), scale, stroke: colour, width: 2, paths: stepped, spanGaps: false, points: { show: false } });
    if (s.mins && s.maxs) {
      const at = series.length;
      series.push({ label: `${s.property} min`, scale, stroke: 'transparent', width: 0, points: { show: false } });
      series.push({ label: `${s.property} max`, scale, stroke: 'transparent', width: 0, points: { show: false } });
      bands.push({ series: [at + 1, at], fill: `${colour}33` });
    }
  });
  const axes: uPlot.Axis[] = [{ ...axisBase(c) }];
  units.forEach((unit, i) => {
    axes.push({
      // The unit's label is part of the axis' width: both charts' plots start at GUTTER and end RIGHT from the edge.
      ...axisBase(c), scale: `u:${unit}`, side: i % 2 === 0 ? 3 : 1, size: (i % 2 === 0 ? GUTTER : RIGHT) - (unit ? LABEL : 0),
      grid: { show: i === 0, stroke: c.grid, width: 1 },
      label: unit || undefined, labelSize: unit ? LABEL : 0,
    });
  });
  const scales: uPlot.Scales = { x: { time: true } };
  for (const unit of units) scales[`u:${unit}`] = {};
  return {
    opts: { width, height: 260, ms: 1, series, bands, axes, scales, legend: { show: false }, cursor: { drag: { x: true, y: false } } },
    data: [aligned.xs, ...aligned.columns] as uPlot.AlignedData,
  };
}

function drawBands(u: uPlot, rows: BandRow[], c: Colours): void {
  const ctx = u.ctx;
  const { left, top, width } = u.bbox;
  const dpr = devicePixelRatio || 1;
  const rowH = ROW_H * dpr;
  const xMin = u.scales.x.min!;
  const xMax = u.scales.x.max!;
  ctx.save();
  ctx.font = `${12 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  rows.forEach((row, r) => {
    const y = top + r * rowH + 3 * dpr;
    const h = rowH - 6 * dpr;
    ctx.fillStyle = c.fg;
    ctx.textAlign = 'right';
    ctx.fillText(propertyLabel(row.property).slice(0, 12), left - 8 * dpr, y + h / 2);
    const others = [...new Set(row.bands.filter((b) => b.on === undefined).map((b) => b.label))];
    for (const b of row.bands) {
      if (b.to < xMin || b.from > xMax) continue;
      const x0 = u.valToPos(Math.max(b.from, xMin), 'x', true);
      const x1 = Math.max(x0 + 1, u.valToPos(Math.min(b.to, xMax), 'x', true));
      ctx.fillStyle = b.on === true ? c.on : b.on === false ? c.off : c.series[(others.indexOf(b.label) + 2) % c.series.length]!;
      ctx.fillRect(x0, y, Math.min(x1, left + width) - x0, h);
      const text = ctx.measureText(b.label).width;
      if (x1 - x0 > text + 8 * dpr) {
        ctx.fillStyle = '#ffffff';
        ctx.textAlign = 'center';
        ctx.fillText(b.label, (x0 + x1) / 2, y + h / 2);
      }
    }
  });
  ctx.restore();
}

function timelineOptions(p: HistoryChartProps, c: Colours, width: number, rightAxis: boolean): { opts: uPlot.Options; data: uPlot.AlignedData } {
  const axes: uPlot.Axis[] = [{ ...axisBase(c) }, { show: true, size: GUTTER, values: () => [], grid: { show: false }, ticks: { show: false } }];
  if (rightAxis) axes.push({ side: 1, size: RIGHT, scale: 'y', values: () => [], grid: { show: false }, ticks: { show: false } });
  return {
    opts: {
      // The x axis takes ~50 px of the height under the plot.
      width, height: p.rows.length * ROW_H + 70, ms: 1, legend: { show: false },
      series: [{}, { scale: 'y', show: false }], axes,
      scales: { x: { time: true }, y: { range: [0, 1] } },
      cursor: { drag: { x: true, y: false }, y: false, points: { show: false } },
      hooks: { draw: [(u) => drawBands(u, p.rows, c)] },
    },
    data: [[p.from, p.to], [null, null]],
  };
}

/** The numeric chart and the timeline, sharing the cursor and the zoom; rebuilt when the data changes. */
export function HistoryChart(props: HistoryChartProps): JSX.Element {
  const numBox = useRef<HTMLDivElement>(null);
  const rowBox = useRef<HTMLDivElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const units = [...new Set(props.numeric.map((s) => s.unit ?? ''))];
  // A zoom survives the rebuilds a moving range makes (a new report, the clock): cleared by a double-click.
  const zoom = useRef<{ min: number; max: number; of: string } | undefined>(undefined);
  const rangeKey = `${props.from}`;

  useEffect(() => {
    const el = root.current!;
    const c = colours(el);
    const width = (): number => Math.max(240, el.clientWidth);
    const syncKey = `history-${Math.random().toString(36).slice(2)}`;
    const lines = (ts: number): string[] => readoutLines(ts, props.numeric, props.rows);
    const plots: uPlot[] = [];
    let syncing = false;
    // Zoom on one moves the other; the x scale's range is also published for tests and screen readers.
    const onScale = (u: uPlot, key: string): void => {
      if (key !== 'x') return;
      const min = u.scales.x.min!;
      const max = u.scales.x.max!;
      el.dataset.xMin = String(Math.round(min));
      el.dataset.xMax = String(Math.round(max));
      if (syncing || building) return;
      zoom.current = min > props.from || max < props.to ? { min, max, of: rangeKey } : undefined;
      syncing = true;
      for (const other of plots) if (other !== u) other.setScale('x', { min: u.scales.x.min!, max: u.scales.x.max! });
      syncing = false;
    };
    const make = (built: { opts: uPlot.Options; data: uPlot.AlignedData }, box: HTMLDivElement): void => {
      const opts = built.opts;
      opts.plugins = [readoutPlugin(lines)];
      opts.cursor = { ...opts.cursor, sync: { key: syncKey } };
      opts.hooks = { ...opts.hooks, setScale: [onScale], draw: [...(opts.hooks?.draw ?? []), (u) => (u.root.dataset.drawn = String(u.data[0].length))] };
      plots.push(new uPlot(opts, built.data, box));
    };
    let building = true;
    if (props.numeric.length) make(numericOptions(props, c, width(), units), numBox.current!);
    if (props.rows.length) make(timelineOptions(props, c, width(), units.length > 1), rowBox.current!);
    building = false;
    const kept = zoom.current;
    if (kept && kept.of === rangeKey) for (const u of plots) u.setScale('x', { min: kept.min, max: kept.max });
    else zoom.current = undefined;
    const resize = new ResizeObserver(() => {
      for (const u of plots) u.setSize({ width: width(), height: u.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      for (const u of plots) u.destroy();
    };
  }, [props.from, props.to, props.numeric, props.rows]);

  // What is drawn, for tests and for anyone reading the page's markup: each series' first and last points.
  const summary = props.numeric.map((s) => ({
    property: s.property, unit: s.unit ?? null, resolution: s.resolution, points: s.xs.length,
    first: [s.xs[0] ?? null, s.ys[0] ?? null], last: [s.xs[s.xs.length - 1] ?? null, s.ys[s.ys.length - 1] ?? null],
  }));
  const bands = props.rows.map((r) => ({ property: r.property, bands: r.bands.length <= 200 ? r.bands.map((b) => [b.from, b.to, b.label]) : r.bands.length }));
  return (
    <div class="history-chart" ref={root} data-from={props.from} data-to={props.to} data-series={JSON.stringify(summary)} data-bands={JSON.stringify(bands)}>
      {props.numeric.length > 0 && (
        <ul class="chart-legend">
          {props.numeric.map((s, i) => (
            <li key={s.property} class={`series-${i % PALETTE.length}`}>{propertyLabel(s.property)}{s.unit ? ` (${s.unit})` : ''}{s.resolution === 'buckets' ? ': mean, min–max shaded' : ''}</li>
          ))}
        </ul>
      )}
      {props.numeric.length > 0 && <div class="chart chart-numeric" ref={numBox} role="img" aria-label={`${props.numeric.map((s) => propertyLabel(s.property)).join(', ')} over time`} />}
      {props.rows.length > 0 && (
        <div class="chart chart-timeline" ref={rowBox} role="img"
          aria-label={props.rows.map((r) => `${propertyLabel(r.property)}: ${r.bands.slice(-3).map((b) => `${b.label} from ${formatTime(b.from)}`).join(', ')}`).join('; ')} />
      )}
    </div>
  );
}
