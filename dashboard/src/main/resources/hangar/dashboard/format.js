// Formatting of API values for people: durations, times, sizes, commands.

export const STATES = ['QUEUED', 'SCHEDULED', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'DEAD'];
export const FINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'DEAD']);
export const isFinal = (job) => FINAL.has(job?.state);

const time = (iso) => (iso ? Date.parse(iso) : NaN);

/** Milliseconds from one ISO instant to another (or to now), NaN when the first is missing. */
export function between(fromIso, toIso) {
  const from = time(fromIso);
  const to = toIso === undefined ? Date.now() : time(toIso);
  return to - from;
}

/** The p-th percentile (nearest rank) of numbers sorted ascending; NaN for none. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** "7 ms", "1.24 s", "3m 05s", "2h 03m"; "—" for no value. */
export function duration(ms) {
  if (ms == null || Number.isNaN(ms)) return '—';
  if (ms < 0) ms = 0;
  // each unit from the figure as it will be rounded: 999.6 ms is "1.00 s", not "1000 ms"
  if (ms < 9.95) return `${ms.toFixed(1).replace(/\.0$/, '')} ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.round(ms / 10) < 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.round(ms / 100) < 600) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** An ISO-8601 duration as Java writes it (PT0.138269107S, PT1M2.5S) in milliseconds. */
export function isoDurationMs(text) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(text || '');
  if (!m) return NaN;
  return ((+m[1] || 0) * 3600 + (+m[2] || 0) * 60 + (+m[3] || 0)) * 1000;
}

/** "12 s ago", "4 min ago", else the local date and time. */
export function ago(iso) {
  const ms = Date.now() - time(iso);
  if (Number.isNaN(ms)) return '—';
  if (ms < 5_000) return 'just now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return new Date(iso).toLocaleString();
}

export const stamp = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { hour12: false }) + `.${String(new Date(iso).getMilliseconds()).padStart(3, '0')}` : '—');

export function megabytes(mb) {
  if (mb == null) return '—';
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${mb} MiB`;
}

export const count = (n) => (n == null ? '—' : Number(n).toLocaleString('en-US'));

/** A command as a shell would need it typed. */
export function command(argv) {
  return (argv || []).map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Node labels (or a job's node selector) as KEY=VALUE by key, or a dash. */
export function labels(map) {
  const pairs = labelPairs(map);
  return pairs.length ? pairs : '—';
}

/** A node's labels as `KEY=VALUE` pairs joined by commas, sorted; empty for none. */
export const labelPairs = (map) => Object.keys(map || {}).sort().map((key) => `${key}=${map[key]}`).join(', ');

/**
 * Labels typed as `KEY=VALUE` pairs, by commas or spaces; throws, naming the pair, for one that is not
 * such a pair or a key given twice. The server checks what a key and a value may be.
 */
export function parseLabels(text) {
  const parsed = Object.create(null); // no inherited keys: 'constructor' is a label key like any other
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1 || eq === pair.length - 1) throw new Error(`labels: '${pair}' is not KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (key in parsed) throw new Error(`labels: '${key}' is given twice`);
    parsed[key] = pair.slice(eq + 1);
  }
  return parsed;
}

export const label = (constant) => (constant || '').toLowerCase().replace(/_/g, ' ');
