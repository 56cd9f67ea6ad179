// The dashboard: an overview at #/ and a page per job at #/jobs/{id}.
import { h, render } from 'preact';
import { useEffect, useReducer, useState } from 'preact/hooks';
import { loadJobs, start, state, subscribe } from './store.js';
import { apiToken, setApiToken, tokenWanted } from './api.js';
import { count } from './format.js';
import { Nodes, Pools, Runtimes } from './views/overview.js';
import { Jobs } from './views/jobs.js';
import { Latency } from './views/histogram.js';
import { JobPage } from './views/job.js';

function route() {
  const match = /^#\/jobs\/([^/?#]+)/.exec(location.hash);
  if (!match) return { view: 'overview' };
  try {
    return { view: 'job', id: decodeURIComponent(match[1]) };
  } catch {
    return { view: 'job', id: match[1] }; // broken %-escapes: the job page says there is no such job
  }
}

const CONNECTION = {
  connecting: ['connecting…', 'warn', 'opening /v1/events'],
  live: ['live', 'ok', 'server-sent events from /v1/events'],
  reconnecting: ['reconnecting…', 'warn', 'the event stream dropped; refreshing over REST meanwhile'],
  polling: ['polling', 'warn', 'no event stream (/v1/events): refreshing over REST every 3 s'],
  paused: ['paused', 'warn', 'the tab is hidden: it holds no connection until it is shown'],
};

/** Asks for the API token once the server refused a call for want of one; the page starts again with it. */
function TokenForm() {
  const [value, setValue] = useState('');
  const use = (event) => {
    event.preventDefault();
    setApiToken(value);
    location.reload();
  };
  return h('form', { class: 'token-form', id: 'token-form', onSubmit: use },
    h('label', { for: 'token' }, apiToken() ? 'This token is not known here; API token:' : 'This server needs an API token:'),
    h('input', { id: 'token', type: 'password', autocomplete: 'off', value, onInput: (e) => setValue(e.target.value) }),
    h('button', { type: 'submit' }, 'Use token'));
}

function Header() {
  const counts = state.health?.jobs;
  const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : null;
  const [text, tone, title] = CONNECTION[state.conn];
  return h('header', { class: 'top' },
    h('a', { href: '#/', class: 'brand' }, 'Hangar'),
    counts && h('span', { class: 'summary' },
      `${count(total)} ${total === 1 ? 'job' : 'jobs'} · ${count((counts.RUNNING || 0) + (counts.STARTING || 0))} running · ${count(counts.QUEUED || 0)} queued`),
    h('span', { class: 'spacer' }),
    tokenWanted() && h(TokenForm),
    state.error && h('span', { class: 'pill bad', title: state.error }, 'server: ' + state.error),
    h('span', { class: `pill ${tone}`, id: 'connection', 'data-state': state.conn, title }, h('span', { class: 'dot' }), text),
    h('a', { class: 'small', href: '/openapi.yaml', target: '_blank' }, 'API'));
}

function Overview() {
  useEffect(() => {
    // back from a job page: without events the list was not refreshed meanwhile
    if (state.list.loaded && state.conn !== 'live') loadJobs();
  }, []);
  return h('main', { class: 'overview' },
    h('div', { class: 'row' }, h(Nodes), h(Pools)),
    h(Jobs),
    h(Latency),
    h(Runtimes));
}

let shownView = route().view;
let overviewScroll = 0;

function App() {
  const [, rerender] = useReducer((n) => n + 1, 0);
  const [where, setWhere] = useState(route);
  useEffect(() => subscribe(rerender), []);
  useEffect(() => {
    window.addEventListener('hangar:unauthorized', rerender);
    return () => window.removeEventListener('hangar:unauthorized', rerender);
  }, []);
  useEffect(() => {
    const onHash = () => {
      const next = route();
      // back from a job to the list: where the list was left, not its top
      if (shownView === 'overview') overviewScroll = window.scrollY;
      shownView = next.view;
      setWhere(next);
      setTimeout(() => window.scrollTo(0, next.view === 'overview' ? overviewScroll : 0));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return [
    h(Header),
    where.view === 'job' ? h(JobPage, { id: where.id, key: where.id }) : h(Overview),
    h('footer', null, 'Read-only, except a job\'s Cancel and Run again, and a cluster node\'s Drain, Resume and labels. Built with Preact and uPlot.'),
  ];
}

start();
const root = document.getElementById('app');
root.replaceChildren(); // the boot message
render(h(App), root);
