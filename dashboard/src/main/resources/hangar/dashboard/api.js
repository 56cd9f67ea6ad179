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

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' }, ...init });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the server does not answer');
  }
  if (!response.ok) throw await problem(response);
  return response.json();
}

export const getJson = (path, init) => send(path, init);

/** DELETE /v1/jobs/{id}: the job as it is after the cancel request. */
export const cancelJob = (id) => send(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** GET /v1/jobs with a state filter and cursor. */
export function listJobs({ states = [], cursor = null, limit = 50 } = {}) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (states.length) query.set('state', states.join(','));
  if (cursor) query.set('cursor', cursor);
  return getJson(`/v1/jobs?${query}`);
}
