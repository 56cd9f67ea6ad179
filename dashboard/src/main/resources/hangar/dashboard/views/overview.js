// Nodes, pools and the runtimes' capability table.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { drainNode, relabelNode, state } from '../store.js';
import { NodeLink } from './jobs.js';
import { count, duration, isoDurationMs, label, labelPairs, labels, megabytes, parseLabels, percentile, stamp } from '../format.js';

const RUNNING = new Set(['STARTING', 'RUNNING']);

/** Nodes from /v1/nodes and SSE node events; from an older server without them, the one node /healthz describes. */
function nodeRows() {
  const runtimes = (state.runtimes || []).filter((r) => r.probe?.available).map((r) => r.name);
  // a tenant's /healthz counts no jobs: its own running ones are those the active map holds
  const jobs = state.health?.jobs;
  const counted = () => (jobs.RUNNING || 0) + (jobs.STARTING || 0);
  const activeOn = (name) => [...state.active.values()]
    .filter((job) => (!name || job.node === name) && RUNNING.has(job.state)).length;
  // per node: the jobs the tab follows, when it follows them all; else what the node's last heartbeat
  // said (a lost node's jobs go back to the queue: its last count is stale)
  const runningOn = (node) => (state.activeComplete || node.load?.runningJobs == null || node.state === 'LOST'
    ? activeOn(node.name) : node.load.runningJobs);
  if (state.nodes.size) {
    const one = state.nodes.size === 1 && jobs;
    return [...state.nodes.values()].map((node) => ({
      name: node.name,
      // a node asked to drain (ASKED, DRAINING, DRAINED) takes no more jobs once it has seen the ask
      state: node.state === 'JOINED' && node.drain ? (node.drain === 'DRAINED' ? 'DRAINED' : 'DRAINING') : node.state,
      drainAsked: node.drain === 'ASKED',
      capacity: node.capacity || {},
      // why: /healthz counts every job, and is live; with one node they are all its own
      running: one ? counted() : runningOn(node),
      runtimes: node.runtimes || [],
      network: node.networkAllowed,
      labels: node.labels || {},
      // a cluster's node, up: one-JVM mode's node has no heartbeat, and cannot be drained or relabelled
      clustered: node.state === 'JOINED' && node.heartbeatAt != null,
      drain: node.drain,
    }));
  }
  if (state.nodesListed || !state.health) return [];
  return [{
    name: state.lastNode || 'this node',
    state: state.health.status === 'ok' ? 'UP' : state.health.status,
    capacity: state.health.capacity || {},
    running: jobs ? counted() : activeOn(),
    runtimes,
  }];
}

/** The asks of nodes that are not up, one line; a node the table shows as lost is named too: it comes back with them. */
function asksNotUp(asks, id, lead, shown, tail) {
  const notUp = asks.filter((ask) => !ask.up && state.nodes.get(ask.node)?.state !== 'JOINED');
  if (!notUp.length) return null;
  return h('p', { class: 'small muted', id }, lead, notUp.map((ask) => `${ask.node} (${shown(ask)})`).join(', '), tail);
}

export function Nodes() {
  const rows = nodeRows();
  // one-JVM mode's node cannot be drained: no column for it
  const drains = rows.some((node) => node.clustered);
  return h('section', { class: 'card', id: 'nodes' },
    h('h2', null, 'Nodes'),
    asksNotUp(state.drainAsks, 'drain-asks', 'Asked to drain, not up: ', (ask) => `since ${stamp(ask.askedAt)}`,
      '. Each comes back drained until it is resumed (hangar nodes resume NODE).'),
    asksNotUp(state.labelAsks, 'label-asks', 'Labels set in place of their own, not up: ', (ask) => labels(ask.labels),
      '. Each comes back with them until they are reset (hangar nodes label NODE --reset).'),
    rows.length === 0
      ? h('p', { class: 'empty' }, state.nodesListed ? 'No node has joined: no agent sends heartbeats.'
        : state.error ? 'Not loaded: ' + state.error : 'Loading…')
      // a wide table scrolls in its card rather than run over the card beside it
      : h('div', { class: 'scroll-x' }, h('table', { class: 'grid' },
        h('thead', null, h('tr', null,
          h('th', null, 'Name'), h('th', null, 'State'), h('th', { class: 'num' }, 'CPUs'),
          h('th', { class: 'num' }, 'Memory'), h('th', { class: 'num' }, 'GPUs'),
          h('th', { class: 'num', title: 'jobs starting or running: those this tab follows (a tenant\'s own), or, past the'
            + ' 500 it follows, what the node\'s last heartbeat counted (every tenant\'s)' }, 'Running jobs'), h('th', null, 'Runtimes'),
          h('th', { title: 'whether a job that asks for a network gets one here' }, 'Network'),
          h('th', { title: 'its operator\'s labels (hangar agent --label), or those an admin set in their place, by which a'
            + ' job\'s nodeSelector picks nodes' }, 'Labels'),
          drains && h('th', { title: 'drain: take no more jobs while those it runs finish (before its maintenance; an admin\'s'
            + ' token); resume: take jobs again' }, 'Drain'))),
        h('tbody', null, rows.map((node) => h('tr', { key: node.name, 'data-node': node.name },
          // a node of the list has its jobs; the one an older server's /healthz describes may have no name
          h('td', { class: 'mono' }, state.nodes.has(node.name) ? h(NodeLink, { node: node.name }) : node.name),
          h('td', null, h('span', { class: `pill node-${String(node.state).toLowerCase()}`,
            title: node.drainAsked ? 'asked to drain; its heartbeat has not yet seen the ask: it may still take a job' : null },
          label(node.state))),
          h('td', { class: 'num' }, node.capacity.cpus ?? '—'),
          h('td', { class: 'num' }, megabytes(node.capacity.memoryMb)),
          h('td', { class: 'num' }, node.capacity.gpus ?? '—'),
          h('td', { class: 'num load' }, count(node.running)),
          h('td', null, node.runtimes.join(', ') || '—'),
          h('td', { class: 'network' }, node.network === undefined ? '—' : node.network ? 'allowed' : 'none'),
          h(LabelsCell, { node }),
          drains && h('td', { class: 'drain' }, node.clustered ? h(DrainButton, { node }) : null)))))));
}

/** An ask of a node from its row: busy while it is sent, the server's refusal kept to show beside. */
function useAsk() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (send) => {
    setBusy(true);
    setError(null);
    try {
      await send();
    } catch (e) {
      setError(e.message);
    }
    setBusy(false);
  };
  return { busy, error, setError, run };
}

/**
 * A node's labels; a cluster's node's may be set in place of its own (an admin's token), the whole
 * set at once, or given back. The node takes them at its next heartbeat, and the row follows.
 */
function LabelsCell({ node }) {
  const [text, setText] = useState(null); // while edited
  const { busy, error, setError, run } = useAsk();
  const ask = (asked) => run(async () => {
    await relabelNode(node.name, asked);
    setText(null);
  });
  const shown = error && h('span', { class: 'error small' }, ' ', error);
  // a node lost while edited has no labels to set: the cell shows its last ones again
  if (text == null || !node.clustered) {
    return h('td', { class: 'labels' }, h('span', { class: 'mono' }, labels(node.labels)),
      node.clustered && h('button', { type: 'button', class: 'edit-labels', title: 'set its labels in place of its own',
        onClick: () => setText(labelPairs(node.labels)) }, 'Edit'), shown);
  }
  const submit = (e) => {
    e.preventDefault();
    let asked;
    try {
      asked = parseLabels(text);
    } catch (bad) {
      setError(bad.message);
      return;
    }
    if (Object.keys(asked).length === 0) {
      // an empty set would stand in place of its own labels: rarely meant, and not what a cleared field says
      setError('labels: give at least one KEY=VALUE; Own labels gives the node its own again');
      return;
    }
    ask(asked);
  };
  return h('td', { class: 'labels' }, h('form', { onSubmit: submit },
    h('input', { class: 'mono', value: text, placeholder: 'zone=r2, gpu-model=a100', 'aria-label': `labels of ${node.name}`,
      onInput: (e) => setText(e.target.value) }),
    h('button', { type: 'submit', class: 'set-labels', disabled: busy, title: 'these labels, all of them, in place of its own' }, 'Set'),
    h('button', { type: 'button', class: 'own-labels', disabled: busy, title: 'its own labels (--label) again',
      onClick: () => ask(null) }, 'Own labels'),
    h('button', { type: 'button', disabled: busy, onClick: () => { setText(null); setError(null); } }, 'Cancel')), shown);
}

/** Drain or resume one node; the server's refusal (no admin token, an agent too old to drain) is shown beside it. */
function DrainButton({ node }) {
  const { busy, error, run } = useAsk();
  const draining = node.drain != null;
  return h('span', null,
    h('button', {
      type: 'button', class: draining ? 'resume' : 'drain danger', disabled: busy,
      title: draining ? 'take jobs again' : 'take no more jobs while those it runs finish',
      onClick: () => run(() => drainNode(node.name, !draining)),
    }, draining ? 'Resume' : 'Drain'),
    error && h('span', { class: 'error small' }, ' ', error));
}

export function Pools() {
  const pools = state.pools;
  return h('section', { class: 'card', id: 'pools' },
    h('h2', null, 'Pools'),
    state.poolsError && h('p', { class: 'small error', id: 'pools-error' }, `Not read: ${state.poolsError}`),
    pools == null ? h('p', { class: 'empty' }, state.poolsError ? 'Not loaded.' : 'Loading…')
      : pools.length === 0
        ? h('div', { class: 'empty' },
          h('p', null, h('strong', null, 'No pools configured.')),
          h('p', { class: 'muted' }, 'Warm pools keep READY sandboxes per runtime and image so a job skips the boot. Every job starts cold today.'))
        : h('table', { class: 'grid' },
          h('thead', null, h('tr', null, h('th', null, 'Pool'), h('th', null, 'Runtime'), h('th', null, 'Image'),
            h('th', { class: 'num' }, 'READY'), h('th', { class: 'num' }, 'Starting'), h('th', { class: 'num' }, 'In use'),
            h('th', { class: 'num', title: 'how many it keeps now' }, 'Target'),
            h('th', { title: 'why it holds fewer than it should, or its last failure to make a sandbox' }, 'Note'))),
          h('tbody', null, pools.map((pool) => h('tr', { key: `${pool.pool}|${pool.runtime}`, 'data-pool': pool.pool },
            h('td', null, pool.pool), h('td', null, pool.runtime), h('td', null, pool.image || '—'),
            h('td', { class: 'num ready' }, count(pool.ready)), h('td', { class: 'num' }, count(pool.starting)),
            h('td', { class: 'num' }, count(pool.inUse)), h('td', { class: 'num' }, count(pool.target)),
            h('td', { class: 'small note' }, pool.limitedBy || pool.lastError
              ? h('span', { class: pool.lastError ? 'error' : 'muted' }, [pool.limitedBy, pool.lastError].filter(Boolean).join('; '))
              : '—'))))));
}

const ISOLATION = { PROCESS: 'process', NAMESPACE: 'namespaces', SOFTWARE_KERNEL: 'software kernel', HARDWARE: 'hardware (VM)' };
const BOOT = { INSTANT: 'instant (<10 ms)', FAST: 'fast (<500 ms)', SLOW: 'slow (seconds)' };
const yes = (flag) => h('span', { class: flag ? 'yes' : 'no' }, flag ? '✓' : '—');

function order(a, b) {
  const avail = Number(b.probe?.available) - Number(a.probe?.available);
  if (avail) return avail;
  const ms = (r) => isoDurationMs(r.probe?.measuredStart);
  return (ms(a) || Infinity) - (ms(b) || Infinity) || a.name.localeCompare(b.name);
}

/** The median start (scheduled → running) of the loaded jobs of a runtime whose sandbox was had by `path`. */
function startCell(runtime, path, pools) {
  const starts = [...state.samples.values()]
    .filter((sample) => sample.runtime === runtime && sample.path === path && Number.isFinite(sample.startMs))
    .map((sample) => sample.startMs).sort((a, b) => a - b);
  const ready = pools.reduce((sum, pool) => sum + (pool.ready || 0), 0);
  const held = pools.length ? ` Pools: ${pools.map((pool) => pool.pool).join(', ')}; ${count(ready)} READY now.` : '';
  if (!starts.length) {
    return h('td', { class: `num muted ${path}-start`, title: `no ${path} start among the loaded jobs.${held}` }, '—');
  }
  return h('td', { class: `num measured ${path}-start`, title: `median start (scheduled → running) of the ${starts.length}`
      + ` ${path} starts among the loaded jobs.${held}` }, duration(percentile(starts, 50)));
}

export function Runtimes() {
  const runtimes = state.runtimes;
  return h('section', { class: 'card', id: 'runtimes' },
    h('h2', null, 'Runtimes'),
    h('p', { class: 'muted' }, 'Capabilities of each driver. Cold start: a trial job start to exit, measured by the probe',
      ' when the node started. Warm and restored starts: the median scheduled → running of the latest jobs loaded here',
      ' that took a pool\'s READY sandbox or one restored from a snapshot; /metrics has them all.'),
    runtimes == null ? h('p', { class: 'empty' }, 'Loading…')
      : h('div', { class: 'scroll-x' }, h('table', { class: 'grid', id: 'runtimes-table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Runtime'), h('th', null, 'Status'), h('th', null, 'Isolation'), h('th', null, 'Boot class'),
          h('th', { class: 'num' }, 'Memory floor'), h('th', null, 'Threading'), h('th', null, 'Fork'), h('th', null, 'GPU'),
          h('th', null, 'Snapshot'), h('th', { title: 'the whole Linux syscall surface, not an emulated subset' }, 'Full syscalls'),
          h('th', null, 'virtio-fs'), h('th', { title: 'freed disk blocks given back to the host' }, 'Discard'),
          h('th', { title: 'freed guest memory given back to the host' }, 'Free page reporting'), h('th', null, 'Network modes'),
          h('th', { class: 'num', title: 'whole start-to-exit time of a trial `true`, measured by the probe' }, 'Cold start'),
          h('th', { class: 'num', title: 'from a READY sandbox of a pool: the median scheduled → running of the loaded jobs' }, 'Warm start'),
          h('th', { class: 'num', title: 'from a snapshot: the median scheduled → running of the loaded jobs' }, 'Restored start'))),
        h('tbody', null, [...runtimes].sort(order).map((runtime) => {
          const caps = runtime.capabilities || {};
          const probe = runtime.probe || {};
          const attributes = Object.entries(probe.attributes || {});
          return h('tr', { key: runtime.name, 'data-runtime': runtime.name, class: probe.available ? '' : 'unavailable' },
            h('td', null,
              h('div', { class: 'rt-name' }, runtime.name),
              h('div', { class: 'muted small' }, runtime.description),
              attributes.length > 0 && h('details', { class: 'small' }, h('summary', null, 'probe details'),
                h('dl', { class: 'attrs' }, attributes.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
                  h('dt', null, 'probed at'), h('dd', null, stamp(probe.probedAt))))),
            h('td', { class: 'status' },
              // in a cluster, a runtime only nodes lost a while ago, or drained, have: its jobs wait
              runtime.waiting ? h('span', { class: 'pill warn runtime-waits', title: runtime.waiting }, 'no node takes its jobs')
                : probe.available ? h('span', { class: 'pill ok' }, 'available') : h('span', { class: 'pill bad' }, 'unavailable'),
              runtime.waiting && h('div', { class: 'reason small' }, `jobs for it wait: ${runtime.waiting}`),
              probe.apiTestedOnly && h('span', { class: 'pill warn', title: 'this driver has only run against a simulator of its runtime\'s API' }, 'API-tested only'),
              !probe.available && h('div', { class: 'reason small' }, probe.reason)),
            h('td', null, ISOLATION[caps.isolation] || label(caps.isolation)),
            h('td', null, BOOT[caps.bootClass] || label(caps.bootClass)),
            h('td', { class: 'num' }, caps.memoryFloorMb == null ? '—' : `${caps.memoryFloorMb} MiB`),
            h('td', null, label(caps.threading)),
            h('td', null, yes(caps.fork)), h('td', null, yes(caps.gpu)), h('td', null, yes(caps.snapshot)),
            h('td', null, yes(caps.fullSyscalls)), h('td', null, yes(caps.virtioFs)), h('td', null, yes(caps.discard)),
            h('td', null, yes(caps.freePageReporting)),
            h('td', null, (caps.networkModes || []).map(label).sort().join(', ')),
            h('td', { class: 'num measured' }, probe.available ? duration(isoDurationMs(probe.measuredStart)) : '—'),
            startCell(runtime.name, 'warm', (state.pools || []).filter((pool) => pool.runtime === runtime.name)),
            startCell(runtime.name, 'restored', []));
        })))));
}
