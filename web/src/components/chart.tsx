import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  /** Milliseconds since the epoch. */
  xs: number[];
  ys: Array<number | null>;
  label: string;
  unit?: string;
  /** Binary values (0/1) are drawn as steps: a light is on or off, never half on. */
  stepped?: boolean;
}

/**
 * A time series drawn with uPlot (canvas: thousands of points stay fast). Drag across the chart to zoom in,
 * double-click to zoom out. Colours come from the page's CSS variables, so the chart follows light and dark.
 */
export function Chart({ xs, ys, label, unit, stepped }: ChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const css = getComputedStyle(el);
    const fg = css.getPropertyValue('--fg').trim() || '#222';
    const accent = css.getPropertyValue('--accent').trim() || '#2f7d5b';
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 260,
      ms: 1,
      series: [
        {},
        {
          label: unit ? `${label} (${unit})` : label,
          stroke: accent,
          width: 2,
          fill: stepped ? `${accent}33` : undefined,
          paths: stepped ? uPlot.paths.stepped!({ align: 1 }) : undefined,
          spanGaps: false,
        },
      ],
      axes: [axis, { ...axis, values: stepped ? (_u, splits) => splits.map((v) => (v === 1 ? 'on' : v === 0 ? 'off' : '')) : undefined }],
      scales: stepped ? { y: { range: [-0.1, 1.1] } } : undefined,
      cursor: { drag: { x: true, y: false } },
    };
    plot.current = new uPlot(opts, [xs, ys], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [label, unit, stepped]);

  useEffect(() => {
    plot.current?.setData([xs, ys]);
  }, [xs, ys]);

  return <div class="chart" ref={box} role="img" aria-label={`${label} over time, ${xs.length} points`} />;
}
