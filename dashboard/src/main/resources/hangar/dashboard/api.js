// The REST API, as the dashboard uses it: JSON in, problem details turned into readable errors.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function problem(response) {
  let detail = response.statusText;
  try {
    const body = await response.json();
    detail = body.detail || body.title || detail;
  } catch {
    // not a problem document
  }
  return new ApiError(response.status, `${response.status} ${detail}`);
}

// The API token of a server started with --tokens: asked for once a call is refused with 401, and
// kept for this tab alone (sessionStorage), so closing the tab forgets it.
const TOKEN_KEY = 'hangar.token';
export const apiToken = () => sessionStorage.getItem(TOKEN_KEY);
export function setApiToken(value) {
  if (value && value.trim()) sessionStorage.setItem(TOKEN_KEY, value.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
}
/** The headers that carry the token, if one was given. */
export function authorization() {
  const token = apiToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}
let wantsToken = false;
/** Whether the server refused a call for want of a (known) token: the page then asks for one. */
export const tokenWanted = () => wantsToken;
/** Notes a refusal for want of a token, and says so to the page (which may not be drawn yet). */
export function refused(response) {
  if (response.status !== 401) return;
  wantsToken = true;
  window.dispatchEvent(new CustomEvent('hangar:unauthorized'));
}

/**
 * Opens the raw log in a new tab when the page has a token: fetched with the token in its header
 * and shown from memory, as a link carrying the token would leave it in the history and in copied
 * links. Without a token the link's own address serves.
 */
export async function openRaw(path) {
  const tab = window.open('', '_blank');
  if (!tab) return; // a popup blocker said no
  let blob;
  try {
    const response = await fetch(path, { headers: authorization() });
    refused(response);
    blob = response.ok ? await response.blob() : new Blob([`${response.status} ${response.statusText}`]);
  } catch (e) {
    blob = new Blob([`The log could not be read: ${e.message}`]); // said in the tab rather than left blank
  }
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/plain; charset=utf-8' }));
  tab.location = url;
  // the tab has loaded it by then; the page would otherwise hold every log opened for its life
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** How long a call may wait for its answer before it is given up as unanswered. */
const ANSWER_WITHIN_MS = 20_000;

async function send(path, init = {}) {
  let response;
  const late = new AbortController();
  const timer = setTimeout(() => late.abort(), ANSWER_WITHIN_MS);
  const stop = () => late.abort();
  init.signal?.addEventListener('abort', stop);
  // why the body within the deadline too: a server that sends its head and stalls would hold the call for ever
  try {
    response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...authorization(), ...init.headers }, signal: late.signal });
    refused(response);
    if (!response.ok) throw await problem(response);
    if (response.status === 204) return null;
    return await response.json();
  } catch (e) {
    if (e instanceof ApiError || init.signal?.aborted) throw e;
    // why say so: a browser opens six connections to a server at most, and open tabs may hold them all
    if (e.name === 'AbortError') throw new ApiError(0, `no answer within ${ANSWER_WITHIN_MS / 1000} s (other open Hangar tabs may hold the browser's connections)`);
    if (e instanceof SyntaxError) throw new ApiError(response.status, `${response.status} an answer that is not JSON`);
    throw new ApiError(0, 'the server does not answer');
  } finally {
    clearTimeout(timer);
    init.signal?.removeEventListener('abort', stop);
  }
}

export const getJson = (path, init) => send(path, init);

/** POST /v1/jobs: the job the spec made (or its idempotency key's earlier one). */
export const submitJob = (spec) => send('/v1/jobs',
  { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });

/** DELETE /v1/jobs/{id}: the job as it is after the cancel request. */
export const cancelJob = (id) => send(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });

/**
 * PUT /v1/nodes/{name}/drain, or DELETE of it to resume: the node as it is after the ask, or null
 * for a node not up whose ask was taken back.
 */
export const askToDrain = (name, drain) => send(`/v1/nodes/${encodeURIComponent(name)}/drain`,
  { method: drain ? 'PUT' : 'DELETE' });

/**
 * PUT /v1/nodes/{name}/labels with the whole set the node is to have in place of its own, or, with
 * null, DELETE of it (its own again): the node as it is after the ask (it takes them at its next
 * heartbeat), or null for a node not up.
 */
export const askForLabels = (name, labels) => send(`/v1/nodes/${encodeURIComponent(name)}/labels`, labels
  ? { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ labels }) }
  : { method: 'DELETE' });

/** Server pages one listJobs reads at most to fill its page. */
const FILL_CALLS = 5;

/**
 * GET /v1/jobs with a state and node filter and cursor, as one page of up to `limit` jobs: a server
 * page may hold fewer while more follow (large specs, or a filter that looked through many jobs),
 * so it follows `nextCursor` until the page is full, for a few calls at most.
 */
export async function listJobs({ states = [], node = null, cursor = null, limit = 50 } = {}) {
  const jobs = [];
  let next = cursor;
  for (let call = 0; call < FILL_CALLS; call++) {
    const query = new URLSearchParams({ limit: String(limit - jobs.length) });
    if (states.length) query.set('state', states.join(','));
    if (node) query.set('node', node);
    if (next) query.set('cursor', next);
    const page = await getJson(`/v1/jobs?${query}`);
    jobs.push(...page.jobs);
    next = page.nextCursor || null;
    if (!next || jobs.length >= limit) break;
  }
  return { jobs, nextCursor: next };
}
