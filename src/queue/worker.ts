// startWorker({ redis }): takes generation and judging units from a run's queue (BullMQ jobs),
// runs them with our engine, returns their results. Any number of workers, on any machine
// that reaches the Redis server. A unit's result depends only on the unit (prompts, policy
// hash, seed), never on which worker ran it or when.
//  - the policy comes by content hash through Redis (policy-store.ts) and is cached on disk;
//    the loaded model is kept while units of the same policy come;
//  - judges: only the spec the job names, and only from builtins or locations given in
//    `allowJudge` (paths: the module file or model directory lies under one of them; URLs: the
//    URL starts with one of them). Nothing received through the queue is ever run as code. The
//    run's judge is loaded once, starting with the first generation unit (which names it), so
//    that it is ready when the judging units come behind the generation units;
//  - a unit that fails for a deterministic reason (its prompts, the judge's answer, a judge
//    the worker does not allow) throws UnrecoverableError: BullMQ fails it at once and the
//    coordinator stops the run with its message. A policy download that fails is retried;
//  - a worker killed mid-unit stops renewing the unit's lock; after `lockMs` BullMQ's stalled
//    check (run by the other workers) gives the unit to another worker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createBackend, type BackendKind } from '../kernels/index.js';
import type { Backend } from '../kernels/backend.js';
import { loadJudge } from '../judge/load.js';
import { judgeMatricesCounted } from '../judge/matrix.js';
import type { Judge } from '../judge/types.js';
import { loadModel } from '../model/load.js';
import { Policy } from '../sppo/policy.js';
import { loadPolicyText } from '../sppo/text.js';
import { connectionOptions, connectionProblem, redisClient, redisTarget, waitReady } from './connection.js';
import { fetchPolicy } from './policy-store.js';
import { statsStart, statsUnit } from './worker-stats.js';
import type { RedisConnection } from './url.js';
import { BULL_PREFIX, dataPrefix, type GenerateJob, type GenerateReturn, type JudgeJob, type JudgeReturn } from './protocol.js';

export interface StartWorkerOptions {
  /** redis://[user:password@]host:port[/db], rediss:// (TLS), or the same as fields */
  redis: string | RedisConnection;
  /** queue name (the run's config "queue.name"; default "sppo") */
  queue?: string;
  /** compute backend for generation (default auto); use the coordinator's for identical bits */
  backend?: BackendKind;
  /** or a backend made by the caller (it is not disposed by close()) */
  be?: Backend;
  /** wasm threads (default: all cores) */
  threads?: number;
  /** units run at once in this process (default 1); generation units take turns on the model */
  concurrency?: number;
  /** where module judges, judge model directories (paths) and HTTP judges (URL prefixes) may come from */
  allowJudge?: string[];
  /** policy cache (default ~/.cache/sppo/policies) */
  cacheDir?: string;
  /** this worker's name in progress and `sppo queue status` (default host:pid) */
  name?: string;
  /** a unit's lock; a worker silent this long loses its unit to another (default 30000 ms) */
  lockMs?: number;
  /** give up when Redis does not answer this long at the start (default 60000 ms) */
  connectMs?: number;
  log?: (msg: string) => void;
}

export interface QueueWorker {
  readonly name: string;
  /** units finished by this worker */
  readonly done: number;
  /** stops taking units, waits for the ones running, disconnects */
  close(): Promise<void>;
}

/** why `spec` may not run here, or null when it may */
export function judgeRefusal(spec: string, allow: string[]): string | null {
  if (spec.startsWith('builtin:')) return null;
  if (/^https?:\/\//i.test(spec)) {
    return allow.some((a) => /^https?:\/\//i.test(a) && spec.toLowerCase().startsWith(a.toLowerCase())) ? null : `the HTTP judge ${spec.replace(/\?.*$/, '')} is not allowed on this worker: start it with --allow-judge ${new URL(spec).origin}/`;
  }
  if (!path.isAbsolute(spec)) return `judge "${spec}" is neither builtin:NAME, a URL nor an absolute path`;
  const file = spec.replace(/\?.*$/, ''); // a model directory may carry options: DIR?backend=wasm
  let real: string;
  try { real = fs.realpathSync(file); } catch { return `judge ${file} does not exist on this worker: put it at the same path as on the coordinator`; }
  for (const a of allow) {
    if (/^https?:\/\//i.test(a)) continue;
    let ra: string;
    try { ra = fs.realpathSync(a); } catch { continue; }
    if (real === ra || real.startsWith(ra.endsWith(path.sep) ? ra : ra + path.sep)) return null;
  }
  return `judge ${file} is not under a location this worker allows: start it with --allow-judge ${path.dirname(file)} (or the judge itself)`;
}

/** one lock: generation units (and model-directory judges) take turns on the backend */
function mutex() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(f: () => Promise<T>): Promise<T> => {
    const run = last.then(f, f);
    last = run.catch(() => {});
    return run;
  };
}

export async function startWorker(o: StartWorkerOptions): Promise<QueueWorker> {
  const target = redisTarget(o.redis);
  const queue = o.queue ?? 'sppo';
  const name = o.name ?? `${os.hostname()}:${process.pid}`;
  const log = o.log ?? (() => {});
  const allow = o.allowJudge ?? [];
  const cacheDir = o.cacheDir ?? path.join(os.homedir(), '.cache', 'sppo', 'policies');
  const lockMs = o.lockMs ?? 30_000;
  const ownBackend = !o.be;
  const be = o.be ?? await createBackend(o.backend ?? 'auto', o.threads ? { threads: o.threads } : {});
  const redis = redisClient(target, `sppo-worker-${name}`, (e) => log(`redis: ${connectionProblem(e, target)}`));
  try { await waitReady(redis, target, o.connectMs ?? 60_000, `sppo worker ${name}`); } catch (e) {
    if (ownBackend) be.destroy();
    throw e;
  }
  // per-worker throughput for `sppo queue status` (worker-stats.ts): counters from zero
  await statsStart(redis, dataPrefix(queue), name).catch((e) => log(`redis: statistics not reset: ${(e as Error).message}`));
  const engine = mutex();
  let loaded: { key: string; policy: Policy } | null = null;
  const judges = new Map<string, Promise<Judge>>();
  let done = 0;

  async function policyFor(d: GenerateJob): Promise<Policy> {
    const key = `${d.policy}|${JSON.stringify(d.load)}`;
    if (loaded?.key === key) return loaded.policy;
    const dir = await fetchPolicy(redis, dataPrefix(queue), d.policy, cacheDir); // errors here are retried
    try {
      loaded?.policy.model.dispose();
      loaded = null;
      const lm = loadModel(be, dir);
      if (d.load.lora) lm.model.enableLoRA(d.load.lora);
      const text = loadPolicyText(dir, { chat: d.load.chat, config: lm.config });
      loaded = { key, policy: new Policy(lm.model, text) };
      log(`policy ${d.policy.slice(0, 12)} loaded (${path.relative(process.cwd(), dir) || dir})`);
      return loaded.policy;
    } catch (e) {
      throw new UnrecoverableError(`worker ${name}: policy ${d.policy.slice(0, 12)} does not load: ${(e as Error).message}`);
    }
  }

  async function generateUnit(d: GenerateJob): Promise<Omit<GenerateReturn, 'origin'>> {
    // judging units come after the generation units in the queue: load the run's judge now (a
    // judge model takes seconds), so that it is ready then instead of every worker loading it at the end
    if (d.judge && !judges.has(d.judge) && judgeRefusal(d.judge, allow) === null) {
      const shown = d.judge.replace(/\?.*$/, '');
      log(`judge ${shown}: loading while units are generated`);
      judgeFor(d.judge).then(() => log(`judge ${shown} loaded`), () => { /* its judging unit loads it again and reports why it fails */ });
    }
    return engine(async () => {
      const policy = await policyFor(d);
      try {
        const ids = await policy.sample(d.prompts, { k: d.k, maxNewTokens: d.maxNewTokens, seed: BigInt(d.seed), sample: d.sample, stop: d.stop });
        return { responses: ids, texts: ids.map((rs) => rs.map((r) => policy.text.decode(r))) };
      } catch (e) {
        throw new UnrecoverableError(`worker ${name}: ${(e as Error).message}`);
      }
    });
  }

  /** the judge of `spec`, loaded once (a load that failed is tried again by the next unit) */
  function judgeFor(spec: string): Promise<Judge> {
    let jp = judges.get(spec);
    if (!jp) {
      jp = loadJudge(spec);
      judges.set(spec, jp);
      jp.catch(() => judges.delete(spec));
    }
    return jp;
  }

  async function judgeUnit(d: JudgeJob): Promise<Omit<JudgeReturn, 'origin'>> {
    const refusal = judgeRefusal(d.judge, allow);
    if (refusal) throw new UnrecoverableError(`worker ${name}: ${refusal}`);
    try {
      const judge = await judgeFor(d.judge);
      const local = !/^https?:\/\//i.test(d.judge) && !d.judge.startsWith('builtin:') && !/\.(m?js|cjs|ts)$/.test(d.judge);
      const run = () => judgeMatricesCounted(judge, d.items);
      return await (local ? engine(run) : run());
    } catch (e) {
      throw new UnrecoverableError(`worker ${name}: ${(e as Error).message}`);
    }
  }

  const worker = new Worker(queue, async (job: Job) => {
    const t0 = performance.now();
    let out: Omit<GenerateReturn, 'origin'> | Omit<JudgeReturn, 'origin'>;
    if (job.name === 'generate') out = await generateUnit(job.data as GenerateJob);
    else if (job.name === 'judge') out = await judgeUnit(job.data as JudgeJob);
    else throw new UnrecoverableError(`worker ${name}: unknown job kind "${job.name}" (another program on queue ${queue}?)`);
    done++;
    const ms = performance.now() - t0;
    log(`${job.name} unit ${job.data.unit} of iteration ${job.data.iteration} in ${ms.toFixed(0)} ms`);
    const tokens = 'responses' in out ? out.responses.reduce((n, rs) => rs.reduce((m, r) => m + r.length, n), 0) : 0;
    const pairs = 'pairs' in out ? out.pairs.reduce((n, p) => n + p, 0) : 0;
    void statsUnit(redis, dataPrefix(queue), name, { id: String(job.id), kind: job.name, ms, tokens, pairs }).catch((e) => log(`redis: statistics not updated: ${(e as Error).message}`));
    return { ...out, origin: { worker: name, ms } };
  }, {
    connection: connectionOptions(target, `sppo-worker-${name}`),
    prefix: BULL_PREFIX,
    name,
    concurrency: o.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: Math.max(250, Math.floor(lockMs / 2)),
    // a unit whose worker died is given to another; only a unit that kills this many workers fails
    maxStalledCount: 20,
  });
  worker.on('error', (e) => log(`queue: ${connectionProblem(e, target)}`));
  worker.on('active', (job) => log(`${job.name} unit ${job.data.unit} of iteration ${job.data.iteration} started`));
  worker.on('stalled', (id) => log(`unit ${id} stalled (its worker stopped answering): back in the queue for another worker`));
  worker.on('failed', (job, e) => { if (job) log(`${job.name} unit ${job.data.unit} of iteration ${job.data.iteration} failed: ${e.message}`); });
  await worker.waitUntilReady();
  log(`worker ${name} on queue "${queue}" at ${target.shown}, backend ${be.description}`);

  return {
    name,
    get done() { return done; },
    async close() {
      await worker.close();
      redis.disconnect();
      loaded?.policy.model.dispose();
      for (const j of judges.values()) await j.then((x) => x.close?.()).catch(() => {});
      if (ownBackend) be.destroy();
    },
  };
}
