// Start latency per runtime (submitted → running) of the latest jobs the dashboard has loaded,
// drawn as one small uPlot bar chart per runtime.
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { state } from '../store.js';
import { duration, percentile } from '../format.js';

const uPlot = window.uPlot;

// upper bounds in ms; the last bucket is open
const BOUNDS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, Infinity];
const LABELS = ['≤5', '10', '20', '50', '100', '200', '500', '1s', '2s', '5s', '>5s'];
const X = BOUNDS.map((_, i) => i);

function buckets(values) {
  const counts = BOUNDS.map(() => 0);
  for (const ms of values) counts[BOUNDS.findIndex((bound) => ms <= bound)] += 1;
  return counts;
}

function Chart({ values }) {
  const box = useRef(null);
  const plot = useRef(null);
  const key = values.length + ':' + values.reduce((a, b) => a + b, 0);
  useEffect(() => {
    if (!uPlot || !box.current) return;
    const data = [X, buckets(values)];
    if (plot.current) {
      plot.current.setData(data);
      return;
    }
    plot.current = new uPlot({
      width: 320,
      height: 150,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.5, BOUNDS.length - 0.5] }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [
        { splits: () => X, values: (u, splits) => splits.map((i) => LABELS[i] ?? ''), size: 28, gap: 2, font: '10px system-ui, sans-serif', grid: { show: false } },
        { size: 34, font: '10px system-ui, sans-serif', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
      ],
      series: [{}, {
        label: 'jobs', fill: 'rgba(37, 99, 235, 0.55)', stroke: 'rgb(37, 99, 235)', width: 1,
        paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false },
      }],
    }, data, box.current);
  }, [key]);
  useEffect(() => () => plot.current?.destroy(), []);
  return h('div', { ref: box, class: 'chart' });
}

const PATHS = ['cold', 'warm', 'restored'];
const rank = (path) => (PATHS.includes(path) ? PATHS.indexOf(path) : PATHS.length); // one not said, or new, last

/** The samples by runtime and by how their sandbox was had, in the order the charts are drawn. */
function groups() {
  const byKey = new Map();
  for (const { runtime, path, ms } of state.samples.values()) {
    const key = `${runtime}|${path}`;
    if (!byKey.has(key)) byKey.set(key, { key, runtime, path, values: [] });
    byKey.get(key).values.push(ms);
  }
  return [...byKey.values()].sort((a, b) => a.runtime.localeCompare(b.runtime) || rank(a.path) - rank(b.path));
}

export function Latency() {
  const charts = groups();
  return h('section', { class: 'card', id: 'latency' },
    h('h2', null, 'Start latency'),
    h('p', { class: 'muted' }, 'Submitted → running, per runtime and per start (cold, warm from a pool, restored from a snapshot),',
      ' of the latest jobs loaded here (it includes time spent queued). Buckets in milliseconds, upper bounds.'),
    !uPlot && h('p', { class: 'error' }, 'The chart library did not load.'),
    charts.length === 0
      ? h('p', { class: 'empty' }, 'No job has started yet.')
      : h('div', { class: 'charts' }, charts.map(({ key, runtime, path, values }) => {
        const sorted = [...values].sort((a, b) => a - b);
        return h('figure', { key, class: 'hist', 'data-runtime': runtime, 'data-path': path },
          h('figcaption', null, h('strong', null, runtime), path && ` · ${path}`,
            h('span', { class: 'muted' }, ` n=${values.length} · p50 ${duration(percentile(sorted, 50))} · p95 ${duration(percentile(sorted, 95))}`)),
          h(Chart, { values }));
      })));
}
