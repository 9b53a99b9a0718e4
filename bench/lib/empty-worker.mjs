// A BullMQ worker for bench/queue.mjs's scheduling figure: it answers every segment job at once
// with an empty segment (nothing listed, nothing walked), so that what is measured is the
// coordinator and Redis: adding, dispatching, results, joining. Usage: empty-worker.mjs REDIS_PORT QUEUE_KEY_HEX
// (each result sealed with the queue key, as trailproof worker does).
import { Worker } from 'bullmq';
import { jobDigest, QueueKey } from '../../dist/distributed/auth.js';
import { QUEUE_NAME, QUEUE_PREFIX } from '../../dist/distributed/bullmq-queue.js';

const port = Number(process.argv[2]);
const key = new QueueKey(Buffer.from(process.argv[3] ?? '', 'hex'));
const part = { last: null, items: [], end: ['fell', 0, false] };
const empty = JSON.stringify({ v: 1, result: { v: 1, listing: null, standard: part, backfill: part }, ref: null });
const worker = new Worker(QUEUE_NAME, async (job) => key.seal('segment result', empty, [String(job.data.run), String(job.id), jobDigest(job.data)]), {
  connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null },
  prefix: QUEUE_PREFIX,
  concurrency: 256,
});
worker.on('error', () => undefined);
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await worker.close();
  process.exit(0);
});
