// The jobs list: one page of 50 from the API (state filter and cursor paging there), live state
// from events, and a search over the page that is loaded.
import { h } from 'preact';
import { useEffect } from 'preact/hooks';
import { newerPage, newestPage, olderPage, setNodeFilter, setSearch, setStateFilter, state } from '../store.js';
import { FINAL, STATES, ago, between, command, count, duration, label, stamp } from '../format.js';

const ACTIVE = ['QUEUED', 'SCHEDULED', 'STARTING', 'RUNNING'];
const same = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

function matches(job, needle) {
  if (!needle) return true;
  const text = `${job.id}\n${job.spec?.name || ''}\n${job.node || ''}\n${command(job.spec?.command)}`.toLowerCase();
  return text.includes(needle);
}

export const stateBadge = (value, attrs = {}) => h('span', { class: `state state-${value}`, 'data-state': value, ...attrs }, label(value));

function Filters() {
  const list = state.list;
  // a tenant's /healthz counts no jobs (they would be every tenant's): no numbers then
  const known = state.health?.jobs != null;
  const counts = state.health?.jobs || {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const activeCount = ACTIVE.reduce((sum, s) => sum + (counts[s] || 0), 0);
  const chip = (text, states, n, title) => h('button', {
    type: 'button',
    class: 'chip' + (same(list.states, states) ? ' on' : ''),
    'data-filter': states.join(',') || 'ALL',
    title,
    onClick: () => setStateFilter(states),
  }, text, n == null ? null : h('span', { class: 'n' }, count(n)));
  return h('div', { class: 'filters' },
    chip('All', [], known ? total : null),
    chip('Active', ACTIVE, known ? activeCount : null, 'queued, scheduled, starting or running'),
    STATES.map((s) => h('button', {
      type: 'button',
      key: s,
      class: `chip chip-${s}` + (list.states.includes(s) ? ' on' : ''),
      'data-filter': s,
      title: 'click to add or remove this state',
      onClick: () => setStateFilter(list.states.includes(s) ? list.states.filter((x) => x !== s) : [...list.states, s]),
    }, label(s), known ? h('span', { class: 'n' }, count(counts[s] || 0)) : null)),
    list.node && h('button', {
      type: 'button',
      class: 'chip on',
      id: 'node-filter',
      title: 'only this node\'s jobs (the counts are every node\'s); click to show every node\'s',
      onClick: () => setNodeFilter(null),
    }, `node ${list.node} ×`));
}

/** A node's name that shows its jobs alone when clicked. */
export function NodeLink({ node }) {
  return h('a', {
    href: '#jobs',
    class: 'node-link',
    title: `show ${node}'s jobs alone`,
    onClick: (e) => {
      e.preventDefault();
      setNodeFilter(node);
      document.getElementById('jobs')?.scrollIntoView();
    },
  }, node);
}

/** The pager; `shownRows`: how many rows of the page the search leaves. */
function Pager({ shownRows }) {
  const list = state.list;
  const first = list.offsets[list.page] + 1;
  // the pager is below the table: turning the page shows the new page from its top
  const turn = (go) => () => {
    go();
    const section = document.getElementById('jobs');
    if (section.getBoundingClientRect().top < 0) section.scrollIntoView();
  };
  return h('div', { class: 'pager' },
    h('button', { type: 'button', disabled: list.page === 0, onClick: turn(newestPage) }, '« Newest'),
    h('button', { type: 'button', disabled: list.page === 0, onClick: turn(newerPage), id: 'newer-page' }, '‹ Newer'),
    h('span', { class: 'muted' }, list.rows.length ? `jobs ${count(first)}–${count(first + list.rows.length - 1)}` : '',
      ` · page ${list.page + 1}`, shownRows != null && shownRows < list.rows.length ? ` · ${count(shownRows)} match the search` : ''),
    h('button', { type: 'button', disabled: !list.next, onClick: turn(olderPage), id: 'older-page' }, 'Older ›'));
}

function JobRow({ job }) {
  const t = job.timings || {};
  const wait = t.runningAt ? between(t.submittedAt, t.runningAt) : FINAL.has(job.state) ? NaN : between(t.submittedAt);
  const run = t.runningAt ? between(t.runningAt, t.finishedAt || undefined) : NaN;
  const href = `#/jobs/${encodeURIComponent(job.id)}`;
  return h('tr', { 'data-job-id': job.id, 'data-state': job.state },
    h('td', { class: 'mono' }, h('a', { href }, job.id)),
    h('td', { class: 'name' }, job.spec?.name || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'mono cmd', title: command(job.spec?.command) }, command(job.spec?.command)),
    h('td', { class: 'state-cell' }, stateBadge(job.state), job.cancelRequested && !FINAL.has(job.state) && h('span', { class: 'muted small' }, ' cancelling'),
      job.state === 'QUEUED' && job.waiting && h('span', { class: 'error-text small job-waits', title: job.waiting }, ' no node takes it')),
    h('td', { class: 'node' }, job.node ? h(NodeLink, { node: job.node }) : h('span', { class: 'muted' }, '—')),
    h('td', null, job.runtime || h('span', { class: 'muted' }, '—')),
    h('td', { title: stamp(t.submittedAt) }, ago(t.submittedAt)),
    t.runningAt || FINAL.has(job.state)
      ? h('td', { class: 'num', title: 'submitted → running' }, duration(wait))
      : h('td', { class: 'num muted waiting', title: 'waiting so far' }, duration(wait), '…'),
    h('td', { class: 'num', title: 'running → finished' }, duration(run)),
    h('td', { class: 'num' }, job.exitCode ?? ''));
}

let marked = false;

export function Jobs() {
  const list = state.list;
  const needle = list.search.trim().toLowerCase();
  const rows = list.rows.filter((job) => matches(job, needle));
  useEffect(() => {
    // why: the browser test reads this mark to time "the jobs table has rows" from navigation start
    if (!marked && rows.length) {
      marked = true;
      performance.mark('hangar:jobs-rendered');
    }
  });
  let body;
  if (!list.loaded && list.error) body = h('p', { class: 'empty' }, 'Could not load jobs: ', list.error);
  else if (!list.loaded) body = h('p', { class: 'empty' }, 'Loading jobs…');
  else if (!list.rows.length) {
    // an empty page with a cursor: the server looked through many jobs and found none of the filter's yet
    const none = ['No', list.states.map(label).join(' or '), 'jobs', list.node && `of node ${list.node}`].filter(Boolean).join(' ');
    body = h('div', { class: 'empty' }, list.states.length || list.node
      ? h('p', null, list.next ? `${none} among the jobs looked through so far; Older › looks further.` : `${none}.`)
      : [h('p', null, 'No jobs yet.'), h('p', { class: 'muted' }, 'Submit one: ', h('code', null, './hangar run -- echo hello'))]);
  } else {
    body = h('div', { class: 'scroll-x' }, h('table', { class: 'grid jobs', id: 'jobs-table' },
      h('thead', null, h('tr', null,
        h('th', null, 'ID'), h('th', null, 'Name'), h('th', null, 'Command'), h('th', null, 'State'),
        h('th', null, 'Node'), h('th', null, 'Runtime'), h('th', null, 'Submitted'), h('th', { class: 'num' }, 'Start latency'),
        h('th', { class: 'num' }, 'Run time'), h('th', { class: 'num' }, 'Exit'))),
      h('tbody', null, rows.map((job) => h(JobRow, { key: job.id, job })))),
      rows.length === 0 && h('p', { class: 'empty' }, `No job on this page matches “${list.search}”.`));
  }
  return h('section', { class: 'card', id: 'jobs' },
    h('div', { class: 'card-head' },
      h('h2', null, 'Jobs'),
      list.loading && h('span', { class: 'muted small spinner' }, 'loading…'),
      h('input', {
        type: 'search', id: 'job-search', placeholder: 'Search this page: id, name, node, command',
        value: list.search, onInput: (e) => setSearch(e.currentTarget.value),
      })),
    h(Filters),
    list.error && list.loaded && h('p', { class: 'error' }, list.error),
    body,
    h(Pager, { shownRows: list.loaded ? rows.length : null }));
}
