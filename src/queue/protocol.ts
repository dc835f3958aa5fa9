// What travels through the queue: job names, ids and data. Plain JSON only — never code: a
// judge is named by its spec and a worker runs it only from a location it allows.
import crypto from 'node:crypto';
import type { CountedMatrices } from '../judge/matrix.js';
import type { SampleConfig } from '../sampling/index.js';
import type { PromptItem } from '../sppo/prompts.js';
import type { UnitOrigin } from '../sppo/units.js';

/** BullMQ's key prefix for sppo queues: keys are sppo:{queue}:... */
export const BULL_PREFIX = 'sppo';
/** our own keys (policy chunks) beside the queue's */
export const dataPrefix = (queue: string) => `sppo-data:${queue}`;

/** how a worker loads a policy so that it computes exactly what the coordinator would */
export interface PolicyLoad {
  chat: boolean;
  /** LoRA adapters as the coordinator enables them (zero-initialised B: the output is the base model's) */
  lora: { rank: number; alpha: number; targets: string[]; seed: number } | null;
}

export interface GenerateJob {
  run: string; iteration: number; unit: number;
  /** sha256 of the policy's files (src/queue/policy-store.ts) */
  policy: string;
  load: PolicyLoad;
  prompts: { item: PromptItem; ids: number[] }[];
  k: number; maxNewTokens: number; seed: string; sample: SampleConfig; stop: string[];
  /** the run's judge spec (as JudgeJob.judge), so that a worker loads it while it generates; absent: the judge is a JavaScript value */
  judge?: string;
}
export interface JudgeJob {
  run: string; iteration: number; unit: number;
  /** the judge spec of the run's config: builtin:NAME, an http(s) URL, or an absolute path */
  judge: string;
  items: { prompt: string; responses: string[] }[];
}
export interface GenerateReturn { responses: number[][][]; texts: string[][]; origin: UnitOrigin }
/** matrices with the pairs asked and the pairs the judge failed on (counted toward judgeFailureLimit) */
export interface JudgeReturn extends CountedMatrices { origin: UnitOrigin }

export type JobName = 'generate' | 'judge';

/** a run's id on the queue: the hash of its config (resuming it finds its units again) */
export function runId(configText: string): string {
  return crypto.createHash('sha256').update(configText).digest('hex').slice(0, 16);
}

/** one job per unit: adding it again while it exists is a no-op (BullMQ ids; ':' is not allowed in them) */
export const jobId = (run: string, name: JobName, iteration: number, unit: number) => `${run}.${iteration}.${name === 'generate' ? 'gen' : 'judge'}.${unit}`;
