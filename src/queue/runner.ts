// The coordinator's side of the queue: a UnitRunner (src/sppo/units.ts) that adds each unit as
// a BullMQ job with an id of its own (run, iteration, kind, unit) and waits for its result.
//  - results come from QueueEvents 'completed', and from a sweep every second that asks the
//    state of every unit still awaited: a missed event, a job lost because Redis restarted
//    without persistence (the unit is added again) and a resumed coordinator (a unit finished
//    while it was gone is taken as it is) are all covered by the sweep;
//  - a unit is settled once; a late duplicate (a stalled job finished twice) is ignored;
//  - a job that failed (the worker threw UnrecoverableError: a deterministic error, or BullMQ
//    gave up after its attempts) fails the run with that unit's error; a failed job found when
//    the unit is first asked for (left by an earlier attempt of the run) is removed and added anew;
//  - Redis unreachable for longer than `downMs` stops the run with one clear message.
import path from 'node:path';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { configJSON, type SPPOConfig } from '../sppo/config.js';
import { builtinModelDir } from '../sppo/env/package-root.js';
import type { RunStore } from '../sppo/run-store.js';
import type { GenerateUnit, JudgeUnit, UnitRunner } from '../sppo/units.js';
import { connectionOptions, connectionProblem, redisClient, redisTarget, waitReady, type RedisTarget } from './connection.js';
import { publishPolicy, unpublishPolicy } from './policy-store.js';
import { BULL_PREFIX, dataPrefix, jobId, runId, type GenerateJob, type GenerateReturn, type JobName, type JudgeJob, type JudgeReturn } from './protocol.js';

export interface QueueRunnerOptions {
  /** stop when Redis has been unreachable this long (default: SPPO_REDIS_WAIT_S seconds, else 60 s) */
  downMs?: number;
  /** how often every awaited unit's state is asked (default 1000 ms) */
  sweepMs?: number;
}

function defaultDownMs(): number {
  const v = process.env.SPPO_REDIS_WAIT_S;
  if (v === undefined || v === '') return 60_000;
  const s = Number(v);
  if (!(s > 0)) throw new Error(`sppo queue: SPPO_REDIS_WAIT_S=${JSON.stringify(v)} must be a number of seconds > 0`);
  return s * 1000;
}

interface Pending {
  name: JobName; data: GenerateJob | JudgeJob; added: boolean;
  resolve(v: unknown): void; reject(e: Error): void;
}

/** job options: retries for what is not deterministic (a worker's policy download); results kept an hour */
const JOB_OPTS: JobsOptions = { attempts: 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } };

export async function queueUnitRunner(cfg: SPPOConfig, env: { store: RunStore; log(msg: string): void }, o: QueueRunnerOptions = {}): Promise<UnitRunner> {
  if (!cfg.queue) throw new Error('sppo queue: the config has no "queue"');
  const target = redisTarget(cfg.queue.redis);
  const r = new QueueRunner(target, cfg.queue.name, cfg, env, o);
  await r.start();
  return r;
}

class QueueRunner implements UnitRunner {
  readonly where: string;
  private queue: Queue;
  private events: QueueEvents;
  private redis: Redis;
  private pending = new Map<string, Pending>();
  private published = new Map<string, Promise<string>>();
  private run: string;
  private timer: ReturnType<typeof setInterval> | null = null;
  private sweeping = false;
  private downSince: number | null = null;
  private failure: Error | null = null;
  private perWorker = new Map<string, { units: number; ms: number }>();
  /** rejects when the runner fails (Redis gone too long, closed): what waits on Redis races it */
  private failed: Promise<never>;
  private rejectFailed!: (e: Error) => void;
  /** Redis calls being waited for outside the units (policy publication) */
  private waiting = 0;
  /** policies being deleted (close() waits for them, briefly) */
  private deleting = new Set<Promise<void>>();

  constructor(private t: RedisTarget, private name: string, private cfg: SPPOConfig, private env: { store: RunStore; log(msg: string): void }, private o: QueueRunnerOptions) {
    this.where = `queue "${name}" on ${t.shown}`;
    this.failed = new Promise<never>((_, reject) => { this.rejectFailed = reject; });
    this.failed.catch(() => { /* raced by guard() */ });
    this.run = runId(configJSON(cfg));
    const onError = (e: Error) => { this.noteDown(e); };
    this.redis = redisClient(t, 'sppo-coordinator', onError);
    this.redis.on('ready', () => {
      // Redis came back: one without persistence lost the published policies — publish them again
      if (this.downSince !== null) for (const loc of this.published.keys()) void publishPolicy(this.redis, dataPrefix(this.name), this.policyDir(loc)).catch(() => {});
      this.downSince = null;
    });
    this.redis.on('close', () => { this.noteDown(null); });
    this.queue = new Queue(name, { connection: connectionOptions(t, 'sppo-coordinator-queue'), prefix: BULL_PREFIX });
    this.queue.on('error', onError);
    this.events = new QueueEvents(name, { connection: connectionOptions(t, 'sppo-coordinator-events'), prefix: BULL_PREFIX });
    this.events.on('error', onError);
    this.events.on('completed', ({ jobId: id, returnvalue }) => { this.settle(id, returnvalue); });
    this.events.on('failed', ({ jobId: id }) => { if (this.pending.has(id)) void this.check(id).catch(() => {}); });
  }

  async start(): Promise<void> {
    // a first connection that never comes is the same failure as one lost later; a wrong password fails at once
    try { await waitReady(this.redis, this.t, this.o.downMs ?? defaultDownMs(), 'sppo queue'); } catch (e) { await this.close(); throw e; }
    await this.queue.waitUntilReady();
    await this.events.waitUntilReady();
    this.env.log(`units go to ${this.where} (run ${this.run}); start workers with: sppo worker --redis URL --queue ${this.name}`);
    this.timer = setInterval(() => { void this.sweep(); }, this.o.sweepMs ?? 1000);
  }

  private lastError: Error | null = null;
  private noteDown(e: Error | null): void {
    if (e) this.lastError = e;
    if (this.redis.status === 'ready') return;
    this.downSince ??= Date.now();
  }

  /** fail every awaited unit (and every later one) with `e` */
  private failAll(e: Error): void {
    this.failure ??= e;
    this.rejectFailed(this.failure);
    for (const [id, p] of this.pending) { this.pending.delete(id); p.reject(this.failure); }
  }

  private settle(id: string, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return; // not ours, or a late duplicate of a unit already settled
    if (value === null || typeof value !== 'object') return; // not a result (e.g. a job emptied by a restart): the sweep asks again
    this.pending.delete(id);
    const origin = (value as GenerateReturn).origin;
    if (origin?.worker) {
      const w = this.perWorker.get(origin.worker) ?? { units: 0, ms: 0 };
      w.units++; w.ms += origin.ms;
      this.perWorker.set(origin.worker, w);
    }
    p.resolve(value);
    void this.queue.remove(id).catch(() => { /* removeOnComplete cleans up later */ });
  }

  /** look at one unit's job: take its result or its failure, or add it when it is missing */
  private async check(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    const state = await this.queue.getJobState(id);
    if (!this.pending.has(id)) return;
    if (state === 'completed') {
      const job = await this.queue.getJob(id);
      if (job) this.settle(id, job.returnvalue);
    } else if (state === 'failed') {
      const job = await this.queue.getJob(id);
      if (!p.added) {
        // left failed by an earlier attempt of this run: give it a fresh start
        await job?.remove().catch(() => {});
        await this.add(id, p);
      } else if (this.pending.has(id)) {
        this.pending.delete(id);
        const d = p.data;
        p.reject(new Error(`sppo: ${p.name === 'generate' ? 'generation' : 'judging'} unit ${d.unit} of iteration ${d.iteration} failed on a worker: ${job?.failedReason ?? 'no reason recorded'}`));
      }
    } else if (state === 'unknown') {
      await this.add(id, p);
    }
  }

  private async add(id: string, p: Pending): Promise<void> {
    await this.queue.add(p.name, p.data, { ...JOB_OPTS, jobId: id });
    p.added = true;
  }

  private async sweep(): Promise<void> {
    // (before the guard: a sweep in flight may hang on a Redis that is gone)
    const downMs = this.o.downMs ?? defaultDownMs();
    if (this.downSince !== null && Date.now() - this.downSince > downMs && (this.pending.size || this.waiting)) {
      this.failAll(new Error(`sppo: Redis at ${this.t.shown} unreachable for ${Math.round((Date.now() - this.downSince) / 1000)} s${this.lastError ? ` (${connectionProblem(this.lastError, this.t)})` : ''}: start it again, then continue with \`sppo train --config FILE --resume\` (finished units are kept)`));
      return;
    }
    if (this.sweeping || this.redis.status !== 'ready') return;
    this.sweeping = true;
    try {
      // a hundred at a time: ioredis pipelines the commands of one batch
      const ids = [...this.pending.keys()];
      for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => this.check(id)));
    } catch { /* Redis went away mid-sweep: the next one tries again */ } finally { this.sweeping = false; }
  }

  private submit<T>(name: JobName, data: GenerateJob | JudgeJob, signal?: AbortSignal): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = jobId(this.run, name, data.iteration, data.unit);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (this.pending.get(id) !== p) return;
        this.pending.delete(id);
        reject(new Error(`sppo: run aborted${signal?.reason ? ` (${String(signal.reason)})` : ''}`));
      };
      const p: Pending = {
        name, data, added: false,
        resolve: (v) => { signal?.removeEventListener('abort', onAbort); resolve(v as T); },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      };
      const old = this.pending.get(id);
      if (old) old.reject(new Error(`sppo queue: unit ${id} asked for twice`));
      this.pending.set(id, p);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.check(id).catch(() => { /* the sweep tries again */ });
    });
  }

  /** the model directory of a policy location, as the coordinator's environment resolves it */
  private policyDir(location: string): string {
    if (location.startsWith('run:')) {
      const d = this.env.store.localPath(location.slice(4));
      if (!d) throw new Error(`sppo queue: ${this.env.store.where} has no local directories: workers need the policy from a run directory on disk`);
      return d;
    }
    return location.startsWith('builtin:') ? builtinModelDir(location) : path.resolve(location);
  }

  /** `p`, unless the runner fails first (a command to a Redis that is gone waits for it forever) */
  private async guard<T>(p: Promise<T>): Promise<T> {
    this.waiting++;
    try { return await Promise.race([p, this.failed]); } finally { this.waiting--; }
  }

  private publish(location: string): Promise<string> {
    let p = this.published.get(location);
    if (!p) {
      p = publishPolicy(this.redis, dataPrefix(this.name), this.policyDir(location));
      this.published.set(location, p);
      p.catch(() => this.published.delete(location));
    }
    return p;
  }

  async generate(u: GenerateUnit, signal?: AbortSignal) {
    const c = this.cfg;
    if (this.failure) throw this.failure;
    const hash = await this.guard(this.publish(u.policy));
    const data: GenerateJob = {
      run: this.run, iteration: u.iteration, unit: u.unit, policy: hash,
      load: { chat: c.chat, lora: c.loraRank > 0 ? { rank: c.loraRank, alpha: c.loraAlpha, targets: c.loraTargets, seed: c.seed } : null },
      prompts: u.prompts, k: u.k, maxNewTokens: u.maxNewTokens, seed: u.seed, sample: u.sample, stop: u.stop,
      ...(typeof c.judge === 'string' ? { judge: judgeSpec(c.judge) } : {}),
    };
    return this.submit<GenerateReturn>('generate', data, signal);
  }

  async judge(u: JudgeUnit, signal?: AbortSignal) {
    const spec = this.cfg.judge;
    if (typeof spec !== 'string') {
      throw new Error('sppo queue: the judge is a JavaScript value (a function or object), which cannot travel to workers on other machines: name a judge module file, a builtin:NAME, an http(s):// endpoint or a model directory in "judge"');
    }
    return this.submit<JudgeReturn>('judge', { run: this.run, iteration: u.iteration, unit: u.unit, judge: judgeSpec(spec), items: u.items }, signal);
  }

  async generated(iteration: number, location: string): Promise<void> {
    const p = this.published.get(location);
    this.published.delete(location);
    const workers = [...this.perWorker].map(([w, s]) => `${w} ${s.units} units (${(s.units / Math.max(1e-3, s.ms / 1000)).toFixed(2)} units/s busy)`);
    if (workers.length) this.env.log(`iteration ${iteration}: units so far by worker — ${workers.join(', ')}`);
    // not awaited: the iteration goes on while Redis deletes (or, when it is gone, the keys expire)
    if (p) {
      const d = p.then((hash) => unpublishPolicy(this.redis, dataPrefix(this.name), hash)).catch(() => {}).finally(() => this.deleting.delete(d));
      this.deleting.add(d);
    }
  }

  /** units done per worker and the time they spent on them */
  workerStats(): Map<string, { units: number; ms: number }> { return new Map(this.perWorker); }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.failAll(new Error('sppo queue: closed'));
    // a Redis that is gone would keep BullMQ's close waiting: give it two seconds, then cut
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.deleting, this.events.close(), this.queue.close()]), new Promise((r) => { timer = setTimeout(r, 2000); })]);
    clearTimeout(timer);
    this.redis.disconnect();
    for (const c of [this.queue, this.events]) void c.disconnect().catch(() => {});
  }
}

/** a judge spec as workers see it: local paths made absolute (workers resolve nothing against their own directory) */
export function judgeSpec(spec: string): string {
  if (spec.startsWith('builtin:') || /^https?:\/\//i.test(spec)) return spec;
  return path.resolve(spec);
}
