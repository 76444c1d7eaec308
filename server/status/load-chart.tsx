import type { LoadSample } from '../registry/load-history.js';
import { countOf, formatLoad } from './format.js';

/** The chart's drawing box (SVG user units); it scales to its column, the labels with it. */
const WIDTH = 480;
const HEIGHT = 190;
const PLOT = { left: 46, right: 12, top: 24, bottom: 30 } as const;
const PLOT_W = WIDTH - PLOT.left - PLOT.right;
const PLOT_H = HEIGHT - PLOT.top - PLOT.bottom;

/** The smallest of 1, 2, 2.5, 5 × a power of ten at or above `v` (at least 1 kB/s): a scale top that reads well. */
export function niceCeiling(v: number): number {
  if (!(v > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

/** The unit `formatLoad` would write `top` in, and its size in kB/s. */
function unitOf(top: number): { unit: string; kBps: number } {
  if (top < 1000) return { unit: 'kB/s', kBps: 1 };
  if (top < 1_000_000) return { unit: 'MB/s', kBps: 1000 };
  return { unit: 'GB/s', kBps: 1_000_000 };
}

export interface ChartGeometry {
  /** `x,y` pairs, oldest first, for the polyline (and the area under it). */
  points: [number, number][];
  /** The load at the top of the scale (kB/s). */
  top: number;
  /** Where the max load's line goes; null when it is above the scale. */
  maxLoadY: number | null;
  /** The y axis's unit (`kB/s`, `MB/s`, `GB/s`, from the top), so its labels stay short numbers. */
  unit: string;
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
}

/**
 * Where each sample goes: time from `nowMs - windowMs` (left) to `nowMs` (right), load from 0 to a
 * rounded top just above the highest sample, so small loads still show their shape; the max load gets its
 * line when it fits under that top.
 */
export function chartGeometry(samples: readonly LoadSample[], options: { nowMs: number; windowMs: number; maxLoad: number }): ChartGeometry {
  const { nowMs, windowMs, maxLoad } = options;
  const top = niceCeiling(Math.max(0, ...samples.map((s) => s.load)) * 1.05);
  const x = (ms: number) => round(PLOT.left + (Math.min(windowMs, Math.max(0, ms - (nowMs - windowMs))) / windowMs) * PLOT_W);
  const y = (load: number) => round(PLOT.top + PLOT_H - (Math.min(load, top) / top) * PLOT_H);
  const minutes = windowMs / 60_000;
  const { unit, kBps } = unitOf(top);
  return {
    points: samples.map((s) => [x(s.atMs), y(s.load)]),
    top,
    maxLoadY: maxLoad <= top ? y(maxLoad) : null,
    unit,
    yTicks: [0, top / 2, top].map((v) => ({ y: y(v), label: String(Number((v / kBps).toPrecision(3))) })),
    xTicks: [1, 0.75, 0.5, 0.25, 0].map((f) => ({ x: x(nowMs - f * windowMs), label: f === 0 ? 'now' : f === 1 ? `−${minutes} min` : `−${Math.round(f * minutes)}` })),
  };
}

const round = (v: number) => Math.round(v * 10) / 10;
const pointsText = (points: readonly [number, number][]) => points.map(([px, py]) => `${px},${py}`).join(' ');

/**
 * The cache's load over the window as an inline SVG, drawn by the server (no script): a line and the area
 * under it, the max load dashed when it fits, labelled axes. No samples: a sentence saying why.
 */
export function LoadChart(props: { samples: readonly LoadSample[]; nowMs: number; windowMs: number; bucketMs: number; maxLoad: number }) {
  const { samples, nowMs, windowMs, maxLoad } = props;
  const bucketS = Math.round(props.bucketMs / 1000);
  if (samples.length === 0) {
    return (
      <p id="load-chart-empty" class="chart-empty">
        No samples yet: this server process has accepted no heartbeat of this cache in the last hour (samples are kept in memory from each heartbeat it
        accepts, one per {bucketS} s at most, and start again after a restart).
      </p>
    );
  }
  const g = chartGeometry(samples, { nowMs, windowMs, maxLoad });
  const baseline = PLOT.top + PLOT_H;
  const first = g.points[0] as [number, number];
  const last = g.points[g.points.length - 1] as [number, number];
  const latest = samples[samples.length - 1] as LoadSample;
  const peak = Math.max(...samples.map((s) => s.load));
  return (
    <figure class="chart">
      <svg id="load-chart" class="load-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="load-chart-title load-chart-desc">
        <title id="load-chart-title">Load over the last hour</title>
        <desc id="load-chart-desc">
          {countOf(samples.length, 'sample')}; latest {formatLoad(latest.load)}, peak {formatLoad(peak)}, max load {formatLoad(maxLoad)}.
        </desc>
        <text class="chart-label" x={2} y={PLOT.top - 10}>
          {g.unit}
        </text>
        {g.yTicks.map((t) => (
          <>
            <line class="chart-grid" x1={PLOT.left} x2={WIDTH - PLOT.right} y1={t.y} y2={t.y} />
            <text class="chart-label" x={PLOT.left - 6} y={t.y + 4} text-anchor="end">
              {t.label}
            </text>
          </>
        ))}
        {g.xTicks.map((t, i) => (
          <text class="chart-label" x={t.x} y={HEIGHT - 8} text-anchor={i === 0 ? 'start' : i === g.xTicks.length - 1 ? 'end' : 'middle'}>
            {t.label}
          </text>
        ))}
        {g.maxLoadY === null ? null : (
          <>
            <line class="chart-max" x1={PLOT.left} x2={WIDTH - PLOT.right} y1={g.maxLoadY} y2={g.maxLoadY} />
            <text class="chart-label chart-max-label" x={WIDTH - PLOT.right - 2} y={g.maxLoadY - 4} text-anchor="end">
              max load
            </text>
          </>
        )}
        <polygon class="chart-area" points={pointsText([[first[0], baseline], ...g.points, [last[0], baseline]])} />
        <polyline id="load-line" class="chart-line" points={pointsText(g.points)} />
        {g.points.length === 1 ? <circle class="chart-dot" cx={first[0]} cy={first[1]} r={3} /> : null}
      </svg>
      <figcaption class="muted">
        {countOf(samples.length, 'sample')} (one per {bucketS} s at most); latest {formatLoad(latest.load)}, peak {formatLoad(peak)}; max load{' '}
        {formatLoad(maxLoad)}
        {g.maxLoadY === null ? ' (above the scale)' : ' (dashed)'}.
      </figcaption>
    </figure>
  );
}
