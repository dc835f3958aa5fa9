// What the page (or a Node script) and the run worker say to each other (run-worker.ts).
import type { ModelFiles } from '../model/memory-dir.js';
import type { IterationSummary } from '../sppo/coordinator.js';

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

export type RunEventType = 'backend' | 'progress' | 'step' | 'iteration' | 'log';
export interface RunEvent { type: RunEventType; detail: any }

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
