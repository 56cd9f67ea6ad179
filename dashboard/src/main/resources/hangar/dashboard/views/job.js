// One job: spec, state, runtime and why, timings, exit, its output followed live, Cancel and Run again.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { cancel, closeDetail, openDetail, reloadDetail, rerun, state } from '../store.js';
import { apiToken, authorization, openRaw, refused } from '../api.js';
import { SILENCE_MS } from '../events.js';
import { FINAL, between, command, duration, label, labels, megabytes, stamp } from '../format.js';
import { stateBadge } from './jobs.js';

const NEEDS = { fork: 'fork', fullSyscalls: 'full Linux syscalls', network: 'network', gpu: 'GPU' };
const LOG_LIMIT = 2 * 1024 * 1024; // characters kept on the page; the rest is in the raw log

const row = (name, value, attrs = {}) => [h('dt', null, name), h('dd', attrs, value ?? h('span', { class: 'muted' }, '—'))];

function decodeBase64(data) {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const hidden = () => document.visibilityState === 'hidden';

/** Resolves once the tab is shown (at once if it is), or the signal aborts. */
function shown(signal) {
  if (!hidden() || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (hidden() && !signal.aborted) return;
      document.removeEventListener('visibilitychange', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    document.addEventListener('visibilitychange', done);
    signal.addEventListener('abort', done);
  });
}

/**
 * Follows GET /v1/jobs/{id}/logs?follow=true&format=ndjson, from the output's tail, with fetch and a stream
 * reader, and appends each chunk to the element, stderr in its own spans. Reconnects after `after=seq` while
 * the job is not final. A hidden tab lets go of its connection and resumes once shown: a browser
 * opens only six connections to one server, and each tab of a job holds two (this and the events).
 */
function followLogs(id, pre, setStatus, signal) {
  let after = 0;
  let attempt = null;
  let delivery = null;
  let decoders = null;
  let shownChars = 0;
  let chunks = 0;
  let trimmed = false;
  /** Why the output could not be read, shown until a read gets through. */
  let error = null;
  const box = pre.parentElement;
  const status = (following) => setStatus({ following, chunks, trimmed, error });

  function appendText(stream, text) {
    if (!text) return;
    let span = pre.lastElementChild;
    if (!span || span.dataset.stream !== stream) {
      span = document.createElement('span');
      span.className = stream === 'STDERR' ? 'stderr' : 'stdout';
      span.dataset.stream = stream;
      pre.append(span);
    }
    span.append(text);
    shownChars += text.length;
    trim();
  }

  /** Keeps the last LOG_LIMIT characters: whole earlier pieces first, then the start of the oldest. */
  function trim() {
    while (shownChars > LOG_LIMIT) {
      const first = pre.firstElementChild;
      const piece = first?.firstChild;
      if (!piece) {
        if (!first || first === pre.lastElementChild) break;
        first.remove();
        continue;
      }
      const excess = shownChars - LOG_LIMIT;
      const length = piece.textContent.length;
      if (length <= excess) {
        piece.remove();
        shownChars -= length;
      } else {
        piece.textContent = piece.textContent.slice(excess);
        shownChars -= excess;
      }
      if (!first.firstChild && first !== pre.lastElementChild) first.remove();
      trimmed = true;
    }
  }

  /** What a decoder still holds (a character cut short at the end of a run) is shown, as U+FFFD. */
  function flush() {
    if (decoders) for (const stream of ['STDOUT', 'STDERR']) appendText(stream, decoders[stream].decode());
  }

  function append(chunk) {
    if (chunk.attempt !== attempt || chunk.delivery !== delivery) {
      if (attempt !== null) {
        flush();
        const marker = document.createElement('span');
        marker.className = 'attempt';
        const newline = pre.lastChild && !pre.lastChild.textContent.endsWith('\n') ? '\n' : '';
        // why: a run whose node stopped answering is run again under the same attempt
        marker.textContent = newline + (chunk.attempt !== attempt
          ? `── attempt ${chunk.attempt} ──\n`
          : `── attempt ${chunk.attempt}, run again: the run above did not finish (its node stopped or stopped answering, its sandbox failed, or its output could not be stored) ──\n`);
        pre.append(marker);
        shownChars += marker.textContent.length;
      }
      attempt = chunk.attempt;
      delivery = chunk.delivery;
      decoders = { STDOUT: new TextDecoder(), STDERR: new TextDecoder() };
    }
    appendText(chunk.stream, decoders[chunk.stream].decode(decodeBase64(chunk.data), { stream: true }));
  }

  async function once() {
    // its own abort: the tab hidden ends this request, not the follow
    const request = new AbortController();
    let quiet;
    const stop = () => request.abort();
    const onHide = () => { if (hidden()) stop(); };
    signal.addEventListener('abort', stop);
    if (signal.aborted) stop(); // the page left already: its abort, before the listener, would never reach this request
    document.addEventListener('visibilitychange', onHide);
    // a follow that hears nothing, not even the server's keep-alive (every 15 s), for as long as the event
    // stream waits is taken for cut, and read again after `after`; so is one whose answer never comes
    const listen = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => request.abort(new Error(`no word from the server for ${SILENCE_MS / 1000} s`)),
        SILENCE_MS);
    };
    try {
      listen();
      // why a tail at first: a long output was read whole to show its end, a gigabyte for minutes; its last
      // LOG_LIMIT bytes hold at most LOG_LIMIT characters, which the page keeps
      const from = after === 0 ? `tail=${LOG_LIMIT}` : `after=${after}`;
      const response = await fetch(`/v1/jobs/${encodeURIComponent(id)}/logs?follow=true&format=ndjson&${from}`,
        { signal: request.signal, headers: authorization() });
      refused(response);
      if (!response.ok) {
        const failure = new Error(`logs: ${response.status}`);
        // e.g. the job removed by retention; but too many streams open (429) or a timeout pass
        failure.permanent = response.status >= 400 && response.status < 500 && response.status !== 408
          && response.status !== 429;
        throw failure;
      }
      if (response.headers.get('Hangar-Log-Skipped') === 'true') trimmed = true;
      if (error) {
        error = null; // through again
        status(true);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        listen();
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const chunk = JSON.parse(line);
          append(chunk);
          after = chunk.seq;
          chunks += 1;
        }
        if (atBottom) box.scrollTop = box.scrollHeight;
        status(true);
      }
    } finally {
      clearTimeout(quiet);
      signal.removeEventListener('abort', stop);
      document.removeEventListener('visibilitychange', onHide);
    }
  }

  /**
   * Reads the output after `after` to the stream's end: 'whole' if it got there; else 'failed',
   * saying why, or 'gone' for an answer no retry can mend.
   */
  async function read() {
    try {
      await once();
      error = null;
      return 'whole';
    } catch (e) {
      // a hidden tab lets go of its stream on purpose
      if (!signal.aborted && !hidden()) error = e.message;
      return e.permanent ? 'gone' : 'failed';
    }
  }

  (async () => {
    status(true);
    let pause = 1000;
    while (!signal.aborted) {
      await shown(signal);
      if (signal.aborted) return;
      if (await read() === 'gone') break;
      // the stream ends when the job is final; otherwise the connection dropped, the server failed
      // or the tab was hidden: go on after `after`
      if (signal.aborted) return;
      if (hidden()) continue;
      if (!FINAL.has(state.detail?.job?.state)) await reloadDetail();
      if (signal.aborted) return; // left while it reloaded: state.detail may be another job's now
      // why read once more: the last chunks; and until a read gets through, the output is not whole
      if (FINAL.has(state.detail?.job?.state) && await read() !== 'failed') break;
      if (signal.aborted) return;
      status(true);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = error ? Math.min(2 * pause, 10_000) : 1000;
    }
    if (!signal.aborted) {
      flush();
      status(false);
    }
  })();
}

function Logs({ id }) {
  const pre = useRef(null);
  const [status, setStatus] = useState({ following: true, chunks: 0, trimmed: false });
  useEffect(() => {
    const abort = new AbortController();
    pre.current.replaceChildren();
    followLogs(id, pre.current, setStatus, abort.signal);
    return () => abort.abort();
  }, [id]);
  const raw = `/v1/jobs/${encodeURIComponent(id)}/logs?format=raw`;
  const openRawLog = (event) => {
    if (!apiToken()) return; // the link as it is
    event.preventDefault();
    openRaw(raw);
  };
  return h('section', { class: 'card', id: 'logs' },
    h('div', { class: 'card-head' },
      h('h2', null, 'Output'),
      h('span', { class: 'muted small', id: 'log-status' },
        status.following ? h('span', { class: 'live-dot' }, 'following') : status.chunks ? 'end of output' : 'no output'),
      status.error && h('span', { class: 'small error', id: 'log-error' },
        status.following ? `${status.error}; trying again` : status.error),
      status.trimmed && h('span', { class: 'small', id: 'log-trimmed' },
        `earlier output is left out here (the page keeps the last ${LOG_LIMIT / 1024 / 1024} M characters); `,
        h('a', { href: raw, target: '_blank', onClick: openRawLog }, 'the raw log'), ' has it all'),
      h('span', { class: 'legend small' }, h('span', { class: 'stdout' }, 'stdout'), ' ', h('span', { class: 'stderr' }, 'stderr')),
      h('a', { class: 'small', id: 'raw-log', href: raw, target: '_blank', onClick: openRawLog }, 'raw')),
    h('div', { class: 'log-box' }, h('pre', { id: 'job-logs', ref: pre })));
}

/**
 * A button for one action on the job, at most one at a time, its failure said beside it. Once the action is
 * done it stays busy: the job's next state (cancel requested, a new job's page) takes it away.
 */
function ActionButton({ id, danger, title, idle, working, pending, act }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  return h('span', { class: 'action' },
    h('button', {
      type: 'button', id, class: danger ? 'danger' : null, title, disabled: busy || pending,
      onClick: async () => {
        setBusy(true);
        setError(null);
        try {
          await act();
        } catch (e) {
          setError(e.message);
          setBusy(false);
        }
      },
    }, busy || pending ? working : idle),
    error && h('span', { class: 'error small' }, ' ', error));
}

/** On a job that has not ended; Cancelling… once asked, until it ends. */
function CancelButton({ job }) {
  if (FINAL.has(job.state)) return null;
  return h(ActionButton, {
    id: 'cancel-job', danger: true, idle: 'Cancel job', working: 'Cancelling…', pending: job.cancelRequested,
    act: () => cancel(job.id),
  });
}

/** On a job that ended: its spec again as a new job, whose page is then shown; the job itself stays as it ended. */
function RerunButton({ job }) {
  // one key for this page's presses: one sent again after no answer came makes no second job
  const [key] = useState(() => `rerun-${job.id}-${[...crypto.getRandomValues(new Uint8Array(6))]
    .map((b) => b.toString(16).padStart(2, '0')).join('')}`);
  if (!FINAL.has(job.state)) return null;
  return h(ActionButton, {
    id: 'rerun-job', title: 'Submit this job\'s spec again, as a new job', idle: 'Run again', working: 'Submitting…',
    act: async () => {
      const made = await rerun(job.id, key);
      location.hash = `#/jobs/${encodeURIComponent(made.id)}`;
    },
  });
}

const SANDBOX_PATH = { cold: 'cold: made for the job', warm: 'warm: taken READY from a pool', restored: 'restored: from a snapshot' };

function Timings({ job }) {
  const t = job.timings || {};
  const final = FINAL.has(job.state);
  // the end of a span: its instant; now while the job goes on; none once it is final without one
  const until = (iso) => iso || (final ? null : undefined);
  return h('section', { class: 'card' },
    h('h2', null, 'Timings'),
    h('dl', { class: 'kv', id: 'job-timings' },
      // a job that ended before any node took it (cancelled, or refused) waited until it ended
      row('Queued', t.submittedAt ? duration(between(t.submittedAt, until(t.scheduledAt ?? t.finishedAt))) : null, { title: 'submitted → scheduled on a node' }),
      row('Start', t.scheduledAt ? duration(between(t.scheduledAt, until(t.runningAt))) : null, { title: 'scheduled → running: the sandbox start' }),
      row('Sandbox', t.path ? SANDBOX_PATH[t.path] || t.path : null, { id: 'job-start-path', title: 'how the sandbox of this attempt was had' }),
      row('Run', t.runningAt ? duration(between(t.runningAt, until(t.finishedAt))) : null, { title: 'running → finished' }),
      row('Submitted', stamp(t.submittedAt)),
      row('Scheduled', t.scheduledAt && stamp(t.scheduledAt)),
      row('Starting', t.startingAt && stamp(t.startingAt)),
      row('Running', t.runningAt && stamp(t.runningAt)),
      row('Finished', t.finishedAt && stamp(t.finishedAt))));
}

function Selection({ job }) {
  const s = job.selection;
  return h('section', { class: 'card', id: 'job-selection' },
    h('h2', null, 'Runtime selection'),
    !s ? h('p', { class: 'empty' }, 'Not chosen yet: the job has not been scheduled.')
      : [
        h('p', null, s.runtime ? h('strong', null, s.runtime) : h('strong', { class: 'error' }, 'no runtime'), ': ', s.reason),
        s.rejected?.length > 0 && h('table', { class: 'grid' },
          h('thead', null, h('tr', null, h('th', null, 'Not chosen'), h('th', null, 'Rule'), h('th', null, 'Why'))),
          h('tbody', null, s.rejected.map((r) => h('tr', { key: r.runtime },
            h('td', null, r.runtime), h('td', { class: 'mono' }, r.rule), h('td', null, r.reason))))),
      ]);
}

function Spec({ job }) {
  const spec = job.spec || {};
  const res = spec.resources || {};
  const needs = spec.profile?.needs || {};
  const env = Object.entries(spec.env || {});
  return h('section', { class: 'card', id: 'job-spec' },
    h('h2', null, 'Spec'),
    h('dl', { class: 'kv' },
      row('Command', h('code', null, command(spec.command))),
      row('Image', spec.image || (job.runtime === 'process' ? 'host /usr' : null)),
      row('Pinned runtime', spec.runtime),
      row('Trust', label(spec.profile?.trust)),
      row('Needs', Object.entries(needs).filter(([, v]) => v).map(([k]) => NEEDS[k] || k).join(', ') || 'nothing special'),
      row('Resources', `${res.cpus ?? '—'} CPU · ${megabytes(res.memoryMb)} · ${res.pids ?? '—'} pids · ${megabytes(res.diskMb)} disk` +
        (res.gpus ? ` · ${res.gpus} GPU` : '')),
      row('Timeout', spec.timeoutSeconds != null ? `${spec.timeoutSeconds} s` : null),
      row('Retry', spec.retry ? `${spec.retry.maxAttempts} attempt(s), backoff ${spec.retry.backoffSeconds} s … ${spec.retry.maxBackoffSeconds} s` : null),
      row('Priority', spec.priority),
      row('Environment', env.length ? h('code', null, env.map(([k, v]) => `${k}=${v}`).join(' ')) : null),
      row('Stdin', spec.stdin != null ? `${spec.stdin.length} characters` : null),
      row('Node selector', spec.nodeSelector ? h('code', { class: 'node-selector' }, labels(spec.nodeSelector)) : null),
      row('Mounts', spec.mounts?.length ? spec.mounts.map((m) => `${m.hostPath} → ${m.sandboxPath}${m.readOnly ? ' (ro)' : ''}`).join(', ') : null),
      row('Idempotency key', spec.idempotencyKey)),
    h('details', null, h('summary', null, 'JSON'), h('pre', { class: 'json' }, JSON.stringify(job, null, 2))));
}

export function JobPage({ id }) {
  useEffect(() => {
    openDetail(id);
    return closeDetail;
  }, [id]);
  const detail = state.detail;
  const job = detail?.id === id ? detail.job : null;
  useEffect(() => {
    document.title = `${job?.spec?.name || id} · Hangar`;
    return () => { document.title = 'Hangar'; };
  }, [id, job?.spec?.name]);
  const head = h('div', { class: 'job-head' },
    h('a', { href: '#/', class: 'back' }, '← All jobs'),
    h('h1', null, job?.spec?.name || id, ' ', job && stateBadge(job.state, { id: 'job-state' })),
    job && h(CancelButton, { job }),
    job && h(RerunButton, { job }));
  if (!job) {
    return h('main', { class: 'job-page' }, head,
      h('p', { class: detail?.error ? 'error' : 'empty' }, detail?.error ? `Job ${id}: ${detail.error}` : 'Loading…'));
  }
  const attempts = job.spec?.retry?.maxAttempts ?? 1;
  return h('main', { class: 'job-page' }, head,
    h('p', { class: 'mono muted' }, job.id, ' · ', command(job.spec?.command)),
    h('div', { class: 'cards3' },
      h('section', { class: 'card' },
        h('h2', null, 'Status'),
        h('dl', { class: 'kv', id: 'job-status' },
          row('State', label(job.state) + (job.cancelRequested && !FINAL.has(job.state) ? ' (cancel requested)' : '')),
          row('Exit code', job.exitCode, { id: 'job-exit' }),
          row('Error', job.error, { class: 'error-text' }),
          job.state === 'QUEUED' && job.waiting && row('Waiting', job.waiting, { id: 'job-waiting', class: 'error-text' }),
          row('Runtime', job.runtime),
          row('Node', job.node),
          row('Attempt', job.attempt ? `${job.attempt} of ${attempts}` : 'not started'),
          row('Deliveries', job.deliveries),
          job.outputTruncated && row('Output', 'truncated: cut at its output limit, or on a Redis queue its oldest chunks dropped past logMaxLen'))),
      h(Timings, { job }),
      h(Selection, { job })),
    h(Logs, { id }),
    h(Spec, { job }));
}
