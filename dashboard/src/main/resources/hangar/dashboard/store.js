// What the dashboard knows, how it loads it from the REST API, and how it stays live: server-sent
// events from /v1/events when the server has them, a REST refresh every few seconds when not.
import { getJson, listJobs, cancelJob as deleteJob, submitJob, askToDrain, askForLabels, ApiError } from './api.js';
import { EventStream, CLOSED } from './events.js';
import { FINAL, between } from './format.js';

export const PAGE_SIZE = 50;
const POLL_MS = 3000;
const SAMPLE_LIMIT = 200;
const ACTIVE_LIMIT = 500;
const ACTIVE = ['SCHEDULED', 'STARTING', 'RUNNING'];
const FINISHED_OR_RUNNING = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'DEAD'];

export const state = {
  /** 'connecting' | 'live' (SSE) | 'reconnecting' | 'polling' (no /v1/events) */
  conn: 'connecting',
  /** the last REST failure, cleared by the next success */
  error: null,
  health: null,
  healthAt: 0,
  /** nodes from /v1/nodes and SSE node events, by name */
  nodes: new Map(),
  /** whether the server answered /v1/nodes (an older one has none: then /healthz's one node is shown) */
  nodesListed: false,
  /** asks to drain kept, from /v1/nodes/drains: { node, askedAt, up }; [] from a server without them */
  drainAsks: [],
  /** labels asked in place of nodes' own, from /v1/nodes/labels: { node, labels, up }; [] from a server without them */
  labelAsks: [],
  /** a node name seen on jobs: /healthz names none */
  lastNode: null,
  runtimes: null,
  /** null until loaded; [] when the server has no pools: { pool, runtime, image, ready, starting, inUse, target, limitedBy, lastError } */
  pools: null,
  /** why the pools could not be read last time, cleared by the next read */
  poolsError: null,
  /** leased, unfinished jobs by id: the per-node load */
  active: new Map(),
  /** whether the active map holds every leased, unfinished job: the last load of them was not cut at its limit */
  activeComplete: false,
  list: { states: [], node: null, search: '', cursors: [null], offsets: [0], page: 0, rows: [], next: null, loading: false, loaded: false, error: null },
  /** start-latency samples by job id: { runtime, path (cold, warm, restored; '' if not said), ms (submitted → running), startMs (scheduled → running) } */
  samples: new Map(),
  /** what started the page's first load: 'stream open', 'stream late', 'stream failed' or 'no stream' */
  firstLoadBy: null,
  /** the job page: { id, job, error } */
  detail: null,
};

// ---- change notification, coalesced so that a burst of events renders once ----
const listeners = new Set();
let notifyTimer = null;
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
export function changed() {
  if (notifyTimer) return;
  notifyTimer = setTimeout(() => {
    notifyTimer = null;
    for (const listener of listeners) listener();
  }, 100);
}

// ---- REST snapshots versus events -------------------------------------------------------
// why: a REST answer may have been computed before an event that arrived while it was on its
// way; the latest event of each job since the request started wins over the answer.
// An event is kept for RECENT_MS only, no REST answer being on its way longer: a job event carries
// the spec (env, up to a MiB of command), and a busy cluster's would otherwise pile up in the tab.
// A job event leaves out the spec's stdin; a spec never changes, so the REST answer's is kept.
const RECENT_MS = 30_000;
let eventSeq = 0;
const recent = new Map(); // job id -> { seq, at, job }, oldest event first
function remember(job) {
  recent.delete(job.id); // why: so that the map stays in event order and pruning stops at the first young one
  recent.set(job.id, { seq: ++eventSeq, at: Date.now(), job });
  const old = Date.now() - RECENT_MS;
  for (const [id, entry] of recent) {
    if (entry.at >= old && recent.size <= 20_000) break;
    recent.delete(id);
  }
}
const withSpecOf = (known, job) => (known?.spec ? { ...job, spec: known.spec } : job);
// an event's job is as GET /v1/jobs/{id} answers, `waiting` and all: it replaces what a load said, but
// for why a job still queued waits, which the load, asked after the event's change, told later
const fresher = (job, since) => {
  const entry = recent.get(job.id);
  if (!entry || entry.seq <= since) return job;
  const newer = withSpecOf(job, entry.job);
  return newer.state === 'QUEUED' && job.state === 'QUEUED' ? { ...newer, waiting: job.waiting } : newer;
};

function failed(error) {
  if (error?.name === 'AbortError') return;
  state.error = error instanceof ApiError ? error.message : String(error);
  changed();
}
function succeeded() {
  if (state.error) {
    state.error = null;
    changed();
  }
}

function noteJob(job) {
  if (ACTIVE.includes(job.state)) state.active.set(job.id, job);
  else state.active.delete(job.id);
  if (job.node) state.lastNode = job.node;
  const t = job.timings || {};
  // why runningAt asked for: without it `between` measures to now, the time so far of a job yet to run
  const ms = t.runningAt ? between(t.submittedAt, t.runningAt) : NaN;
  if (job.runtime && Number.isFinite(ms)) {
    state.samples.delete(job.id); // the latest last, so that trimming drops the oldest
    state.samples.set(job.id, { runtime: job.runtime, path: t.path || '', ms, startMs: between(t.scheduledAt, t.runningAt) });
    trimSamples();
  }
}

// ---- loads ------------------------------------------------------------------------------
export async function loadHealth() {
  try {
    state.health = await getJson('/healthz');
    state.healthAt = Date.now();
    succeeded();
  } catch (e) {
    failed(e);
  }
  changed();
}

/** `load` a second from the first ask, however often it is asked meanwhile. */
function soon(load) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      load();
    }, 1000);
  };
}

const healthSoon = soon(() => loadHealth());

export async function loadRuntimes() {
  try {
    state.runtimes = await getJson('/v1/runtimes');
    succeeded();
  } catch (e) {
    failed(e);
  }
  changed();
}

// why: a node that joins, leaves or benches a runtime changes what the cluster runs
const runtimesSoon = soon(() => loadRuntimes());

/** How long a node an event said was lost stays on the page, shown as lost: /v1/nodes lists joined nodes only. */
const LOST_SHOWN_MS = 60_000;

/**
 * /v1/nodes where the server has it (an empty list: no node has joined); else the nodes SSE announces, or /healthz's one.
 * A node event since the request started wins over the answer, and a node lost within LOST_SHOWN_MS stays.
 */
export async function loadNodes() {
  const asked = Date.now();
  try {
    const nodes = await getJson('/v1/nodes');
    if (Array.isArray(nodes)) {
      const listed = new Map(nodes.map((node) => [node.name, node]));
      for (const [name, node] of state.nodes) {
        // a node listed again has rejoined, though the event that said so was missed (a reconnect, polling)
        const lostLately = node.state === 'LOST' && node.eventAt > Date.now() - LOST_SHOWN_MS && !listed.has(name);
        if (node.eventAt >= asked || lostLately) {
          listed.set(name, node);
        }
      }
      state.nodes = listed;
      state.nodesListed = true;
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) failed(e); // 404: an older server, without /v1/nodes
  }
  await loadAsks();
  changed();
}

/**
 * The asks kept of nodes, up or not (to drain; labels in place of their own): a node stopped for its
 * maintenance is in no other list, and comes back with them.
 */
async function loadAsks() {
  // both at once: each is a round trip, and neither waits for the other
  [state.drainAsks, state.labelAsks] = await Promise.all([asksFrom('/v1/nodes/drains', state.drainAsks),
    asksFrom('/v1/nodes/labels', state.labelAsks)]);
}

/** One list of asks; the last one read if it cannot be read now, none from a server older than the list (404). */
async function asksFrom(path, last) {
  try {
    const asks = await getJson(path);
    return Array.isArray(asks) ? asks : last;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) failed(e);
    return last;
  }
}

// why: a node asked something that leaves (stopped for its maintenance) is then listed only there
const asksSoon = soon(async () => {
  await loadAsks();
  changed();
});

/**
 * The warm pools from GET /v1/pools (on a cluster's server, its nodes' pools as of their
 * heartbeats); none from an older server without it. A failed read keeps the pools last read.
 */
export async function loadPools() {
  try {
    const answer = await getJson('/v1/pools');
    state.pools = (answer.pools || []).map(poolRow);
    state.poolsError = null;
    succeeded();
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      state.pools = [];
    } else if (e?.name !== 'AbortError') {
      state.poolsError = e.message;
      failed(e);
    }
  }
  changed();
}

/** A pool's row, from its PoolStatus. */
const poolRow = (status) => ({
  pool: status.spec?.name, runtime: status.spec?.runtime, image: status.spec?.image, ready: status.ready,
  starting: status.starting, inUse: status.inUse, target: status.target, limitedBy: status.limitedBy,
  lastError: status.lastError,
});

export async function loadActive() {
  const since = eventSeq;
  try {
    const page = await listJobs({ states: ACTIVE, limit: ACTIVE_LIMIT });
    state.active = new Map();
    state.activeComplete = !page.nextCursor;
    for (const job of page.jobs) noteJob(fresher(job, since));
    // why: a job that became active while the page was asked (QUEUED when the server read it) is in no page
    for (const entry of recent.values()) {
      if (entry.seq > since && ACTIVE.includes(entry.job.state)) state.active.set(entry.job.id, entry.job);
    }
    succeeded();
  } catch (e) {
    failed(e);
  }
  changed();
}

/** The latest jobs that reached RUNNING: the start-latency samples. */
export async function loadSamples() {
  const since = eventSeq;
  try {
    const page = await listJobs({ states: FINISHED_OR_RUNNING, limit: SAMPLE_LIMIT });
    // oldest first: the newest are kept last; an event since the request wins, as a job that ended
    // meanwhile must not be noted running again
    for (const job of [...page.jobs].reverse()) noteJob(fresher(job, since));
  } catch (e) {
    failed(e);
  }
  changed();
}

function trimSamples() {
  const excess = state.samples.size - 4 * SAMPLE_LIMIT;
  if (excess <= 0) return;
  let i = 0;
  for (const id of state.samples.keys()) {
    if (i++ >= excess) break;
    state.samples.delete(id);
  }
}

let listRequest = 0;
/** The current page of the jobs list, with the current state filter. */
export async function loadJobs() {
  const list = state.list;
  const mine = ++listRequest;
  const since = eventSeq;
  list.loading = true;
  changed();
  try {
    const page = await listJobs({ states: list.states, node: list.node, cursor: list.cursors[list.page], limit: PAGE_SIZE });
    if (mine !== listRequest) return;
    list.rows = page.jobs.map((job) => fresher(job, since));
    list.next = page.nextCursor || null;
    list.error = null;
    list.loaded = true;
    for (const job of list.rows) if (job.node) state.lastNode = job.node;
    succeeded();
  } catch (e) {
    if (mine === listRequest) list.error = e.message;
    failed(e);
  } finally {
    if (mine === listRequest) {
      list.loading = false;
      changed();
    }
  }
}

export function setStateFilter(states) {
  state.list.states = states;
  firstPage();
}
/** Only the jobs of this node (its current attempt's), or every node's with null. */
export function setNodeFilter(node) {
  state.list.node = node;
  firstPage();
}
function firstPage() {
  const list = state.list;
  list.cursors = [null];
  list.offsets = [0];
  list.page = 0;
  loadJobs();
}
export function setSearch(text) {
  state.list.search = text;
  changed();
}
let turningOlder = false;
export async function olderPage() {
  const list = state.list;
  // a second click while the first waits for the refresh below, or while the page loads, would use a stale cursor
  if (turningOlder || list.loading) return;
  turningOlder = true;
  try {
    if (refreshTimer) {
      // why first: rows added live pushed the page's last rows out, and its cursor would skip them
      clearTimeout(refreshTimer);
      refreshTimer = null;
      await loadJobs();
    }
  } finally {
    turningOlder = false;
  }
  if (!list.next) return;
  list.cursors = list.cursors.slice(0, list.page + 1).concat([list.next]);
  // a page may hold fewer than PAGE_SIZE jobs and still have a next one (a server's list reads a bounded share)
  list.offsets = list.offsets.slice(0, list.page + 1).concat([list.offsets[list.page] + list.rows.length]);
  list.page += 1;
  loadJobs();
}
export function newerPage() {
  const list = state.list;
  if (list.page === 0) return;
  list.page -= 1;
  loadJobs();
}
export function newestPage() {
  state.list.page = 0;
  loadJobs();
}

// why: rows added live to the first page push its last rows out, so its cursor to the next page
// goes stale; a row of any page may leave its filter, and a node come or gone changes what its
// queued jobs say. The page is fetched again shortly after the last change (at most every 3 s).
let refreshTimer = null;
let refreshDeadline = 0;
function refreshPageSoon() {
  const now = Date.now();
  if (!refreshTimer) refreshDeadline = now + 3000;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    loadJobs();
  }, Math.max(0, Math.min(800, refreshDeadline - now)));
}

const submitted = (job) => Date.parse(job.timings?.submittedAt) || 0;
const newer = (a, b) => submitted(a) > submitted(b) || (submitted(a) === submitted(b) && a.id > b.id);

function applyToList(job) {
  const list = state.list;
  const matches = (!list.states.length || list.states.includes(job.state)) && (!list.node || job.node === list.node);
  const index = list.rows.findIndex((row) => row.id === job.id);
  if (index >= 0) {
    list.rows = list.rows.slice();
    list.rows[index] = job;
    if (!matches) refreshPageSoon();
    return;
  }
  if (!matches || list.page !== 0 || !list.loaded) return;
  let at = list.rows.findIndex((row) => newer(job, row));
  if (at < 0) {
    if (list.rows.length >= PAGE_SIZE) return; // belongs to a later page
    at = list.rows.length;
  }
  list.rows = [...list.rows.slice(0, at), job, ...list.rows.slice(at)].slice(0, PAGE_SIZE);
  refreshPageSoon();
}

// ---- the job page -----------------------------------------------------------------------
export async function openDetail(id) {
  state.detail = { id, job: null, error: null };
  changed();
  await reloadDetail();
}
export function closeDetail() {
  state.detail = null;
}
// why numbered: a poll and the log follow's reload may overlap, and the older answer (RUNNING) must not land
// after the newer (SUCCEEDED), bringing the Cancel button back; without events, fresher() cannot tell
let detailRequest = 0;
export async function reloadDetail() {
  const detail = state.detail;
  if (!detail) return;
  const since = eventSeq;
  const mine = ++detailRequest;
  try {
    const job = fresher(await getJson(`/v1/jobs/${encodeURIComponent(detail.id)}`), since);
    if (state.detail === detail && mine === detailRequest) {
      detail.job = job;
      detail.error = null;
    }
    succeeded();
  } catch (e) {
    if (state.detail === detail && mine === detailRequest) {
      detail.error = e.message;
      detail.gone = e.status === 404; // no such job (removed by retention, say): nothing to try again
    }
  }
  changed();
}

/** Cancels a job (DELETE); the answer, or the error, updates the job page. */
export async function cancel(id) {
  const since = eventSeq;
  const job = fresher(await deleteJob(id), since);
  onJob(job, false);
  return job;
}

/**
 * A job's spec submitted again as a new job, as `hangar rerun` does, under `key` in place of its own
 * idempotency key (under which the server would answer with the job itself): a press sent again after
 * an answer that never came makes no second job. Returns the new job.
 */
export async function rerun(id, key) {
  const since = eventSeq;
  // why read again: the page's job may have come from an event, and events leave a spec's stdin out
  const { spec } = await getJson(`/v1/jobs/${encodeURIComponent(id)}`);
  const made = fresher(await submitJob({ ...spec, idempotencyKey: key }), since);
  onJob(made, false);
  return made;
}

/**
 * Asks a node of a cluster to drain (take no more jobs while those it runs finish), or to take jobs
 * again; the node as the answer has it is shown at once, and the asks kept are read again.
 */
export async function drainNode(name, drain) {
  noteAsked(name, await askToDrain(name, drain));
  await loadAsks();
  changed();
}

/** Asks a node to have these labels in place of its own, or its own again (null); it takes them at its next heartbeat. */
export async function relabelNode(name, labels) {
  noteAsked(name, await askForLabels(name, labels));
  changed();
}

/** The node as the server answered an ask of it. */
function noteAsked(name, node) {
  if (node) state.nodes.set(node.name, { ...node, eventAt: Date.now() });
  // none (204): no node of that name is up; shown lost, as its LOST event (not come yet) will
  else if (state.nodes.has(name)) state.nodes.set(name, { ...state.nodes.get(name), state: 'LOST', eventAt: Date.now() });
}

// ---- live updates -----------------------------------------------------------------------
function knownState(id) {
  return recent.get(id)?.job.state ?? state.list.rows.find((row) => row.id === id)?.state
    ?? state.active.get(id)?.state ?? (state.detail?.id === id ? state.detail.job?.state : undefined);
}

/** Moves the /healthz counts along with an event at once; the refresh that follows corrects them. */
function recount(job) {
  const counts = state.health?.jobs;
  const before = knownState(job.id);
  if (!counts || before === job.state) return;
  if (before) {
    counts[before] = Math.max(0, (counts[before] || 0) - 1);
    counts[job.state] = (counts[job.state] || 0) + 1;
  } else if (job.state === 'QUEUED' && !job.attempt) {
    counts.QUEUED = (counts.QUEUED || 0) + 1; // a new job
  }
}

/** A job's event, or a REST answer about it (exported for the page's browser test). */
export function onJob(job, fromEvent = true) {
  recount(job);
  if (fromEvent) remember(job);
  // why: the event of the change a REST answer told must count from this state, not from the one before again
  else if (recent.has(job.id)) recent.get(job.id).job = job;
  noteJob(job);
  applyToList(job);
  if (state.detail?.id === job.id) state.detail.job = withSpecOf(state.detail.job, job);
  healthSoon();
  changed();
}

/** A node event (exported for the page's browser test, which has no cluster to lose a node of). */
export function onNode(node) {
  state.nodes.set(node.name, { ...node, eventAt: Date.now() });
  runtimesSoon();
  asksSoon();
  // a node come or gone changes which queued jobs no node up can run, which no job event says
  refreshPageSoon();
  if (state.detail?.job?.state === 'QUEUED') reloadDetail();
  changed();
}

/** A pool's status, as GET /v1/pools gives it (the event is reserved: no server sends it yet). */
function onPool(status) {
  if (!status?.spec) return;
  const pool = poolRow(status);
  const key = (p) => `${p.pool}|${p.runtime}`;
  state.pools = [...(state.pools || []).filter((p) => key(p) !== key(pool)), pool];
  changed();
}

/** Everything from REST again: at start, on an SSE `reset`, after a fresh SSE connection. */
export function reloadAll() {
  firstLoad.done = true;
  clearTimeout(firstLoad.timer);
  loadHealth();
  loadJobs();
  loadRuntimes();
  loadNodes();
  loadActive();
  loadPools();
  reloadDetail();
  setTimeout(loadSamples, 50);
}

let pollTimer = null;
let pollRound = 0;
let polling = false;
function startPolling() {
  if (pollTimer) return;
  pollTimer = setInterval(async () => {
    // why: a slow server must not pile rounds up; they would hold the browser's six connections
    if (polling) return;
    polling = true;
    pollRound += 1;
    try {
      const loads = [loadHealth()];
      if (state.detail) {
        if (!FINAL.has(state.detail.job?.state)) loads.push(reloadDetail());
      } else {
        loads.push(loadActive(), loadJobs());
        if (pollRound % 5 === 0) loads.push(loadSamples());
        if (pollRound % 10 === 0) loads.push(loadPools(), loadRuntimes(), loadNodes());
      }
      await Promise.allSettled(loads);
    } finally {
      polling = false;
    }
  }, POLL_MS);
}
function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

/**
 * The page's first load waits for its event stream to open, which loads everything anyway (what
 * changed before the stream opened is in no event), so that a page open loads once; it waits
 * FIRST_LOAD_WAIT_MS at most, and not at all without a stream.
 */
const FIRST_LOAD_WAIT_MS = 1000;
const firstLoad = { done: false, timer: null };
function loadFirst(by) {
  if (firstLoad.done) return;
  state.firstLoadBy = by;
  reloadAll();
}

let events = null;
function connectEvents() {
  if (events || document.visibilityState === 'hidden') return;
  // ?events=off: REST polling only, as against a server without /v1/events (the browser test uses it)
  if (new URLSearchParams(location.search).get('events') === 'off') {
    state.conn = 'polling';
    startPolling();
    return;
  }
  const source = new EventStream('/v1/events');
  events = source;
  let opened = false;
  const data = (event) => JSON.parse(event.data);
  source.onopen = () => {
    state.conn = 'live';
    stopPolling();
    if (!opened) {
      opened = true;
      if (!firstLoad.done) state.firstLoadBy = 'stream open';
      // why: what changed between the first REST load and this subscription is in no event
      reloadAll();
    }
    changed();
  };
  source.addEventListener('job', (event) => onJob(data(event).job));
  source.addEventListener('node', (event) => onNode(data(event).node));
  source.addEventListener('pool', (event) => onPool(data(event).pool));
  source.addEventListener('reset', () => reloadAll());
  source.onerror = () => {
    loadFirst('stream failed');
    if (source.readyState === CLOSED) {
      // no /v1/events on this server (404), or it refused: REST every few seconds, and try again later
      events = null;
      state.conn = 'polling';
      setTimeout(connectEvents, 30_000);
    } else {
      state.conn = 'reconnecting'; // the stream tries again by itself, sending Last-Event-ID
    }
    startPolling();
    changed();
  };
}

/**
 * A hidden tab lets go of its event stream (and polls nothing) until it is shown again, when a new
 * stream reloads everything: a browser opens only six connections to one server, which a few
 * open tabs would otherwise hold for good, leaving a new tab or a Cancel waiting.
 */
function onVisibility() {
  if (document.visibilityState === 'hidden') {
    if (events) {
      events.close();
      events = null;
    }
    stopPolling();
    state.conn = 'paused';
    changed();
  } else if (!events && !pollTimer) {
    // paused when hidden, or never connected: a tab opened in the background connects once shown
    state.conn = 'connecting';
    connectEvents();
    changed();
  }
}

export function start() {
  connectEvents();
  if (!events) loadFirst('no stream'); // a hidden tab, or ?events=off
  else firstLoad.timer = setTimeout(() => loadFirst('stream late'), FIRST_LOAD_WAIT_MS);
  document.addEventListener('visibilitychange', onVisibility);
  setInterval(changed, 1000); // relative times and running durations
  // pool counts change with every job a pool serves, a runtime is benched or back, and a node's load
  // changes with its heartbeats, which no event tells; a lost node leaves /v1/nodes
  setInterval(() => {
    if (state.conn !== 'live') return;
    loadPools();
    loadRuntimes();
    loadNodes();
    // why: while the stream is live nothing else reads them again, and a load that failed (a busy browser, the
    // queue away a moment) would leave its error on the page for good
    if (state.list.error && !state.list.loading) loadJobs();
    if (state.detail?.error && !state.detail.gone) reloadDetail();
  }, 10_000);
}

export const connection = () => (events ? events.readyState : -1);
