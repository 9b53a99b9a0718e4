/** The distributed audit, loaded by the CLI only when --queue is given (bullmq and ioredis with it). */
export { QueueKey } from './auth.js';
export { BullJobQueue } from './bullmq-queue.js';
export { Coordinator } from './coordinator.js';
export { parseRedisUrl } from './redis-url.js';
export { localResults, s3Results } from './results.js';
export { startWorker } from './worker.js';
