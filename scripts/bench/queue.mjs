// The job engine's peer: graphile-worker doing what jobs/examples/queue_bench.rs does, on a
// database of its own (DATABASE_URL). Prints one line: backlog processed (jobs/s), enqueued
// one by one while processed (jobs/s), idle enqueue-to-start median (ms).
//   node queue.mjs [jobs] [concurrency]
import { performance } from "node:perf_hooks";
import { EventEmitter } from "node:events";
import { Logger, makeWorkerUtils, run } from "graphile-worker";

// As in queue_bench.rs: clients enqueueing at once, idle samples, the pause before each.
const ENQUEUERS = 16;
const LATENCY_SAMPLES = 100;
const IDLE_PAUSE_MS = 50;

const jobs = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 32);
const connectionString = process.env.DATABASE_URL;
const logger = new Logger(() => () => {});

const utils = await makeWorkerUtils({ connectionString, logger });
await utils.migrate();

// Jobs add themselves one at a time from ENQUEUERS clients, as concurrent API requests would.
async function enqueue(count) {
  const clients = Array.from({ length: ENQUEUERS }, async (_, client) => {
    const share = Math.floor(count / ENQUEUERS) + (client < count % ENQUEUERS ? 1 : 0);
    for (let i = 0; i < share; i++) await utils.addJob("noop", {});
  });
  await Promise.all(clients);
}

let done = 0;
let waiter = null;
const started = new Map();
const latencies = [];
const events = new EventEmitter();
events.on("job:success", () => {
  done += 1;
  if (waiter && done >= waiter.total) waiter.resolve();
});
const waitDone = (total) =>
  done >= total ? Promise.resolve() : new Promise((resolve) => (waiter = { total, resolve }));

const taskList = {
  noop: async (payload) => {
    const t0 = started.get(payload.sample);
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  },
};

// 1. A backlog, enqueued with no worker running, then processed.
await enqueue(jobs);
let t = performance.now();
const runner = await run({
  connectionString,
  concurrency,
  pollInterval: 100,
  noHandleSignals: true,
  logger,
  events,
  taskList,
});
await waitDone(jobs);
const backlog = jobs / ((performance.now() - t) / 1000);

// 2. Enqueued one by one while the worker processes them.
t = performance.now();
await enqueue(jobs);
await waitDone(2 * jobs);
const e2e = jobs / ((performance.now() - t) / 1000);

// 3. Idle latency: one job at a time into an idle worker.
for (let i = 0; i < LATENCY_SAMPLES; i++) {
  await new Promise((resolve) => setTimeout(resolve, IDLE_PAUSE_MS));
  started.set(i, performance.now());
  await utils.addJob("noop", { sample: i });
  await waitDone(2 * jobs + i + 1);
}
latencies.sort((a, b) => a - b);
const median = latencies[Math.round((latencies.length - 1) * 0.5)];

await runner.stop();
await utils.release();
console.log(`${backlog.toFixed(0)} ${e2e.toFixed(0)} ${median.toFixed(1)}`);
