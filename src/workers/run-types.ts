// What the page (or a Node script) and the run worker say to each other (run-worker.ts).
import type { ModelFiles } from '../model/memory-dir.js';
import type { IterationSummary, ProgressEvent, StepMetrics } from '../sppo/coordinator.js';
import type { EvalStats } from '../sppo/winrate.js';

export interface RunRequest {
  /** the SPPO config (src/sppo/config.ts): "model" names an entry of `models`, "prompts" and "evalPrompts" entries of `texts` */
  config: Record<string, unknown>;
  /** model name → its files, or the URL of a model folder (absolute: the worker has no page to resolve against) */
  models: Record<string, ModelFiles | string>;
  /** text file name → contents (prompts) */
  texts: Record<string, string>;
  /** judge spec loaded in the worker (default: config.judge): builtin:NAME, an absolute module URL, a module path (Node) */
  judge?: string | URL;
  /** judge in a worker of its own, judging ahead of generation (default true) */
  judgeWorker?: boolean;
  /** wasm backend threads (default: every core) */
  threads?: number;
  /** browsers: keep the run directory in the Origin Private File System under this name */
  opfs?: string;
}

/** an iteration's eval.json: the statistics and the sampled answers of the policy and the base */
export interface EvalRecord {
  stats: EvalStats;
  samples: { prompt: string; response: string; baseline: string; p: number }[];
}
/** what the run worker posts, by type (narrow on `type` for a typed `detail`) */
export type RunEvent =
  | { type: 'backend'; detail: { kind: string; description: string; crossOriginIsolated: boolean | null } }
  | { type: 'progress'; detail: ProgressEvent }
  | { type: 'step'; detail: StepMetrics }
  | { type: 'iteration'; detail: { summary: IterationSummary; eval: EvalRecord | null } }
  | { type: 'log'; detail: string };
export type RunEventType = RunEvent['type'];

export interface RunResult {
  summaries: IterationSummary[];
  backend: { kind: string; description: string };
  /** the aligned model: config.json, model.safetensors, tokenizer files */
  model: ModelFiles;
  /** each iteration's eval.json ({stats, samples: [{prompt, response, baseline, p}]}), or null */
  evals: unknown[];
  seconds: number;
}

export interface RunWorkerAPI {
  run(req: RunRequest, onEvent: (e: RunEvent) => void): Promise<RunResult>;
  abort(reason?: string): Promise<void>;
}
