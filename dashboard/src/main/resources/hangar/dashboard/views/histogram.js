// Start latency per runtime (submitted → running) of the latest jobs the dashboard has loaded,
// drawn as one small uPlot bar chart per runtime.
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { state } from '../store.js';
import { duration } from '../format.js';

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

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
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

export function Latency() {
  const byRuntime = new Map();
  for (const { runtime, ms } of state.samples.values()) {
    if (!byRuntime.has(runtime)) byRuntime.set(runtime, []);
    byRuntime.get(runtime).push(ms);
  }
  const runtimes = [...byRuntime.keys()].sort();
  return h('section', { class: 'card', id: 'latency' },
    h('h2', null, 'Start latency'),
    h('p', { class: 'muted' }, 'Submitted → running, per runtime, of the latest jobs loaded here (it includes time spent queued). ',
      'Buckets in milliseconds, upper bounds.'),
    !uPlot && h('p', { class: 'error' }, 'The chart library did not load.'),
    runtimes.length === 0
      ? h('p', { class: 'empty' }, 'No job has started yet.')
      : h('div', { class: 'charts' }, runtimes.map((runtime) => {
        const values = byRuntime.get(runtime);
        const sorted = [...values].sort((a, b) => a - b);
        return h('figure', { key: runtime, class: 'hist', 'data-runtime': runtime },
          h('figcaption', null, h('strong', null, runtime),
            h('span', { class: 'muted' }, ` n=${values.length} · p50 ${duration(percentile(sorted, 50))} · p95 ${duration(percentile(sorted, 95))}`)),
          h(Chart, { values }));
      })));
}
