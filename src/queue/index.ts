// The distributed face of the coordinator (layer 6): generation and judging units as BullMQ
// jobs on Redis, taken by `sppo worker`s. Importing this module registers the queue with the
// coordinator, so a config with "queue" distributes its units.
import { registerUnitRunnerFactory } from '../sppo/units.js';
import { queueUnitRunner } from './runner.js';

registerUnitRunnerFactory((cfg, env) => queueUnitRunner(cfg, env));

export { queueUnitRunner, type QueueRunnerOptions } from './runner.js';
export { startWorker, judgeRefusal, type StartWorkerOptions, type QueueWorker } from './worker.js';
export { queueStatus, formatStatus, type QueueStatus } from './status.js';
export type { WorkerThroughput } from './worker-stats.js';
export { redactURL, type RedisConnection } from './url.js';
