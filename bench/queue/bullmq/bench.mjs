// BullMQ side of Hangar's queue benchmark (see bench/queue/run and docs/benchmarks.md).
//
// The same work as `hangar bench queue`, in one process: P producers each add jobs one at a time
// with Queue.add (one round trip per job, as Hangar's producers enqueue one at a time; addBulk would
// batch and is not what Hangar's enqueue does), and one Worker with concurrency W whose processor
// returns at once. Completed jobs are kept (BullMQ's default), as Hangar keeps finished jobs.
// Latency is measured in-process with performance.now(): add() called -> the worker's 'active'
// event (the job is leased) and -> its 'completed' event (moveToCompleted committed).
//
// usage: node bench.mjs [--host H] [--port P] [--jobs N] [--producers P] [--workers W] [--warmup N] [--json]
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '6379' },
    jobs: { type: 'string', default: '20000' },
    producers: { type: 'string', default: '4' },
    workers: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2000' },
    queue: { type: 'string', default: 'bench' },
    json: { type: 'boolean', default: false },
  },
});
const jobs = Number(opts.jobs);
const producers = Number(opts.producers);
const workers = Number(opts.workers);
const warmup = Number(opts.warmup);

// BullMQ needs maxRetriesPerRequest: null on connections a Worker blocks on
// BullMQ leaves connections it is handed open, so they are kept here and closed at the end.
const connections = [];
const connect = () => {
  const connection = new IORedis({ host: opts.host, port: Number(opts.port), maxRetriesPerRequest: null });
  connections.push(connection);
  return connection;
};

let round = null;

const worker = new Worker(opts.queue, async () => undefined, {
  connection: connect(),
  concurrency: workers,
});
worker.on('active', (job) => {
  if (round && job.data.r === round.id) round.leased[job.data.i] = performance.now();
});
worker.on('completed', (job) => {
  if (!round || job.data.r !== round.id) return;
  round.finished[job.data.i] = performance.now();
  if (++round.done === round.count) round.resolve();
});
worker.on('failed', (job, err) => {
  console.error(`job ${job?.id} failed: ${err}`);
  process.exitCode = 1;
  // a round with a failed job never completes all its jobs: it ends now, with no figure
  if (round) round.reject(new Error(`job ${job?.id} failed: ${err}`));
});
worker.on('error', (err) => console.error(`worker error: ${err}`));
await worker.waitUntilReady();

const queues = Array.from({ length: producers }, () => new Queue(opts.queue, { connection: connect() }));
await Promise.all(queues.map((q) => q.waitUntilReady()));

async function runRound(id, count) {
  const r = {
    id,
    count,
    done: 0,
    addStart: new Float64Array(count),
    added: new Float64Array(count),
    leased: new Float64Array(count),
    finished: new Float64Array(count),
  };
  const allDone = new Promise((resolve, reject) => { r.resolve = resolve; r.reject = reject; });
  allDone.catch(() => {}); // rejected while the producers still add: said once awaited, below
  // as `hangar bench queue` does: a round in which no job completes for a minute has stalled
  let seen = 0;
  const stallWatch = setInterval(() => {
    if (r.done === seen) r.reject(new Error(`no job completed in 60 s (${r.done} of ${count} done)`));
    seen = r.done;
  }, 60_000);
  round = r;
  // jobs first, first + P, ... so producers interleave, as in `hangar bench queue`
  const adds = Promise.all(queues.map(async (queue, first) => {
    for (let i = first; i < count; i += producers) {
      r.addStart[i] = performance.now();
      await queue.add('true', { r: id, i });
      r.added[i] = performance.now();
    }
  }));
  try {
    // an add that never returns (Redis gone: ioredis retries for ever) must not outlast a stall
    await Promise.race([adds, allDone]);
    await allDone;
  } finally {
    clearInterval(stallWatch);
  }
  return r;
}

function stats(name, ms) {
  const sorted = Float64Array.from(ms).sort();
  const at = (p) => sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
  return { name, samples: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] };
}

if (warmup > 0) await runRound(1, warmup);
const cpuStart = process.cpuUsage();
const r = await runRound(2, jobs);
const cpu = process.cpuUsage(cpuStart); // this process's user and system time while the measured jobs ran

let first = Infinity;
let lastAdded = -Infinity;
let lastFinished = -Infinity;
const toLeased = new Float64Array(jobs);
const toFinished = new Float64Array(jobs);
for (let i = 0; i < jobs; i++) {
  first = Math.min(first, r.addStart[i]);
  lastAdded = Math.max(lastAdded, r.added[i]);
  lastFinished = Math.max(lastFinished, r.finished[i]);
  toLeased[i] = r.leased[i] - r.addStart[i];
  toFinished[i] = r.finished[i] - r.addStart[i];
}
const wallSeconds = (lastFinished - first) / 1000;
const result = {
  benchmark: 'queue',
  backend: 'bullmq',
  bullmq: (await import('bullmq/package.json', { with: { type: 'json' } }).catch(() => null))?.default?.version,
  jobs,
  producers,
  workers,
  warmup,
  throughput: jobs / wallSeconds,
  wallSeconds,
  enqueueRate: jobs / ((lastAdded - first) / 1000),
  clientCpuMicrosPerJob: (cpu.user + cpu.system) / jobs,
  latency: [stats('add -> active (leased)', toLeased), stats('add -> completed committed', toFinished)],
};

await worker.close();
await Promise.all(queues.map((q) => q.close()));
await Promise.all(connections.map((c) => c.quit()));

if (opts.json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`bullmq ${result.bullmq ?? ''}: ${jobs} jobs (after ${warmup} warm-up), ${producers} producers (Queue.add), worker concurrency ${workers}`);
  console.log(`CPU of this process: ${result.clientCpuMicrosPerJob.toFixed(0)} us per job`);
  console.log(`throughput: ${result.throughput.toFixed(0)} jobs/s completed (${wallSeconds.toFixed(2)} s from first add to last completed); added at ${result.enqueueRate.toFixed(0)} jobs/s`);
  for (const s of result.latency) {
    console.log(`  ${s.name.padEnd(28)} n=${String(s.samples).padEnd(5)} p50=${s.p50.toFixed(2).padStart(8)} ms  p90=${s.p90.toFixed(2).padStart(8)} ms  p99=${s.p99.toFixed(2).padStart(8)} ms  max=${s.max.toFixed(2).padStart(8)} ms`);
  }
}
