// The SPPO run configuration: every key, its default and its meaning. Unknown keys are an
// error (a typo must not silently fall back to a default).
import { evalPromptsSpec, promptsSpec, type EvalPromptsSpec, type PromptsSpec } from './prompt-sets.js';
import { LOSSES, type LossName } from '../train/preference.js';
import { isJudgeValue, judgeSpecName, type JudgeSpec } from '../judge/value.js';

export interface SPPOConfig {
  /** model directory (Hugging Face layout) or `builtin:NAME` */
  model: string;
  /** prompts file: JSONL ({"prompt"} or {"messages"}), a JSON array, or plain text (one per line);
   *  or a list of files (iteration t takes entry t, the last repeats); or {"file", "split": "iteration"}
   *  (one file cut into disjoint seeded parts, one per iteration): src/sppo/prompt-sets.ts */
  prompts: PromptsSpec;
  /** field holding the prompt text in JSON prompts */
  promptField: string;
  /** field holding chat messages in JSON prompts */
  messagesField: string;
  /** use at most this many prompts (0 = all) */
  maxPrompts: number;
  /** prompts longer than this many tokens are cut ('left' keeps the end) or dropped */
  maxPromptTokens: number;
  truncation: 'left' | 'right' | 'drop';
  /** apply the tokenizer's chat template to prompts */
  chat: boolean;
  /**
   * judge spec: module path, http(s) URL, model directory or builtin:NAME — or, from code, a
   * judge value: `async (pairs) => number[]` or an object with such a compare method
   */
  judge: JudgeSpec;
  /** run directory */
  out: string;
  iterations: number;
  /** samples per prompt (K ≥ 2) */
  k: number;
  loss: LossName;
  /** η = 1/β; give eta or beta (beta wins when both are given) */
  eta: number;
  beta: number | null;
  labelSmoothing: number;
  perTokenAverage: boolean;
  /** magnetic SPPO: magnet strength α (0 = plain SPPO) and refresh period M in iterations */
  magnet: number;
  magnetEvery: number;
  /** train on prepared preference data (JSONL, src/sppo/offline.ts) instead of generating and judging ('' = off) */
  offline: string;
  optimizer: 'adamw' | 'rmsprop' | 'sgd';
  lr: number;
  lrSchedule: 'constant' | 'linear' | 'cosine';
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  /** passes over the iteration's records */
  epochs: number;
  /** prompt groups per optimizer step */
  batchSize: number;
  /** micro-batches accumulated per step */
  gradAccum: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  /** stop generation at these strings (besides EOS) */
  stop: string[];
  seed: number;
  backend: 'webgpu' | 'wasm' | 'auto';
  /** prompts per generation unit (a unit's samples are saved together; resume restarts at a unit) */
  generateUnit: number;
  /** optimizer steps per training unit (a checkpoint is saved after each) */
  trainUnit: number;
  /** LoRA adapters instead of full fine-tuning (0 = off): rank, alpha, target projections */
  loraRank: number;
  loraAlpha: number;
  loraTargets: string[];
  /** evaluate each iterate against the base model on these prompts ('' = iteration 1's training prompts): a file, or {texts: [...]} from code */
  evalPrompts: EvalPromptsSpec;
  /** number of prompts used for evaluation (0 = skip evaluation) */
  evalSize: number;
  /** judge used for evaluation ('' = the training judge); a spec string or a judge value */
  evalJudge: JudgeSpec;
  /** largest share of an iteration's judged pairs the judge may fail on (answered as ties) before the run stops */
  judgeFailureLimit: number;
  /** generation and judging units as jobs on a Redis queue (src/queue/), or null: in this process.
   *  Not part of the run's identity: config.json of the run directory never holds it. */
  queue: QueueConfig | null;
}

export interface QueueConfig {
  /** redis://[user:password@]host:port[/db] or rediss:// (TLS) */
  redis: string;
  /** queue name (workers take units from the queue of this name) */
  name: string;
}

export const DEFAULTS: SPPOConfig = {
  model: '', prompts: '', promptField: 'prompt', messagesField: 'messages', maxPrompts: 0,
  maxPromptTokens: 512, truncation: 'left', chat: false,
  judge: '', out: 'sppo-run', iterations: 3, k: 5, loss: 'sppo', eta: 1000, beta: null, labelSmoothing: 0, perTokenAverage: false,
  magnet: 0, magnetEvery: 1, offline: '',
  optimizer: 'rmsprop', lr: 5e-7, lrSchedule: 'linear', warmupSteps: 0, weightDecay: 0, maxGradNorm: 1,
  epochs: 1, batchSize: 8, gradAccum: 1,
  maxNewTokens: 64, temperature: 0.7, topP: 0.9, topK: 0, stop: [],
  seed: 0, backend: 'auto', generateUnit: 16, trainUnit: 4,
  loraRank: 0, loraAlpha: 16, loraTargets: ['q', 'v'],
  evalPrompts: '', evalSize: 0, evalJudge: '', judgeFailureLimit: 0.01,
  queue: null,
};

/** one line per key, for --help and the README */
export const DOCS: Record<keyof SPPOConfig, string> = {
  model: 'policy model directory (HF layout, or llama2.c model.bin + tokenizer.bin, or the .bin) or builtin:NAME',
  prompts: 'prompts file: JSONL with "prompt" or "messages", a JSON array, or plain text lines; or a list of files, one per iteration (the last repeats); or {"file": F, "split": "iteration"}: F cut into one disjoint seeded part per iteration',
  promptField: 'JSON field with the prompt text', messagesField: 'JSON field with chat messages',
  maxPrompts: 'use at most this many prompts (0 = all)', maxPromptTokens: 'longest prompt in tokens',
  truncation: "what to do with longer prompts: 'left' keeps the end, 'right' keeps the start, 'drop' skips them",
  chat: "apply the tokenizer's chat template to prompts",
  judge: 'preference judge: module path, http(s) URL, model directory or builtin:NAME', out: 'run directory',
  iterations: 'SPPO iterations T', k: 'samples per prompt K (≥ 2)', loss: `loss: ${LOSSES.join(' | ')}`,
  eta: 'η = 1/β, the step size of the multiplicative-weights update', beta: 'β (overrides eta: η = 1/β)',
  labelSmoothing: 'DPO label smoothing ε', perTokenAverage: 'IPO: per-token-averaged log-probs',
  magnet: 'magnetic SPPO: magnet strength α ≥ 0 toward μ (0 = plain SPPO; SPPO losses only)',
  magnetEvery: 'magnetic SPPO: μ = the base model, then the policy every M iterations',
  offline: 'prepared preference data (JSONL: the original\'s chosen/rejected/chosen_probs_win/chosen_probs_lose, or prompt/responses/winrates) to train on instead of generating and judging',
  optimizer: 'adamw | rmsprop (the original) | sgd', lr: 'learning rate', lrSchedule: 'constant | linear | cosine (per iteration)',
  warmupSteps: 'linear warmup steps', weightDecay: 'weight decay', maxGradNorm: 'global gradient-norm clip (0 = off)',
  epochs: 'passes over each iteration’s records', batchSize: 'prompts per optimizer step', gradAccum: 'micro-batches per optimizer step',
  maxNewTokens: 'longest response in tokens', temperature: 'sampling temperature', topP: 'nucleus sampling p', topK: 'top-k (0 = off)',
  stop: 'stop strings', seed: 'seed of sampling, shuffling and initialisation', backend: 'webgpu | wasm | auto',
  generateUnit: 'prompts per saved generation unit', trainUnit: 'optimizer steps per saved training unit',
  loraRank: 'LoRA rank (0 = full fine-tuning); each iteration trains fresh adapters and saves the merged model',
  loraAlpha: 'LoRA α (scale α/r)', loraTargets: 'LoRA target projections: q k v o gate up down (llama) or q k v o fc proj (gpt2)',
  evalPrompts: 'evaluation prompts file (default: the training prompts)', evalSize: 'evaluation prompts (0 = no evaluation)',
  evalJudge: 'evaluation judge (default: the training judge)',
  judgeFailureLimit: 'largest share of an iteration’s pairs the judge may fail on (unparseable answers, counted as ties) before the run stops',
  queue: 'distribute generation and judging to `sppo worker`s: {"redis": "redis://HOST:PORT", "name": "sppo"} (null = this process)',
};

const ENUMS: Partial<Record<keyof SPPOConfig, readonly string[]>> = {
  loss: LOSSES, optimizer: ['adamw', 'rmsprop', 'sgd'], lrSchedule: ['constant', 'linear', 'cosine'],
  truncation: ['left', 'right', 'drop'], backend: ['webgpu', 'wasm', 'auto'],
};

/**
 * The range of every numeric key (one table: a new key adds its line here). int: an integer;
 * min/max inclusive unless minExclusive/maxExclusive. Bounds are what the run can hold: K ≤ 1024
 * (each (prompt, sample) has its own random stream, prompt·1024 + k), token counts ≤ 2²⁰ (no
 * model here has a longer context), steps and sizes well inside what an array can index.
 */
type Range = { int?: boolean; min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean; /** the range in words, when plainer than the bounds */ text?: string };
const BIG = 2 ** 31 - 1;
const RANGES: Partial<Record<keyof SPPOConfig, Range>> = {
  maxPrompts: { int: true, min: 0, max: BIG }, maxPromptTokens: { int: true, min: 1, max: 2 ** 20 },
  iterations: { int: true, min: 1, max: 1e6 }, k: { int: true, min: 2, max: 1024 },
  eta: { min: 0, max: 1e12, minExclusive: true }, beta: { min: 0, max: 1e12, minExclusive: true },
  labelSmoothing: { min: 0, max: 0.5, maxExclusive: true },
  lr: { min: 0, max: Number.MAX_VALUE }, warmupSteps: { int: true, min: 0, max: 1e6 },
  weightDecay: { min: 0, max: 1e6 }, maxGradNorm: { min: 0, max: Number.MAX_VALUE },
  epochs: { int: true, min: 1, max: 1e6 }, batchSize: { int: true, min: 1, max: 65536 }, gradAccum: { int: true, min: 1, max: 65536 },
  maxNewTokens: { int: true, min: 1, max: 2 ** 20 }, temperature: { min: 0, max: 1e6 },
  topP: { min: 0, max: 1, minExclusive: true }, topK: { int: true, min: 0, max: BIG },
  seed: { int: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  generateUnit: { int: true, min: 1, max: 1e6 }, trainUnit: { int: true, min: 1, max: 1e9 },
  loraRank: { int: true, min: 0, max: 65536 }, loraAlpha: { min: 0, max: 1e6, minExclusive: true },
  evalSize: { int: true, min: 0, max: BIG },
  magnet: { min: 0, max: Number.MAX_VALUE, text: 'a finite number ≥ 0' }, magnetEvery: { int: true, min: 1, max: 1e6 },
  judgeFailureLimit: { min: 0, max: 1, text: 'in [0, 1] (a share of the pairs, e.g. 0.01)' },
};

/** keys holding lists, and what each element must be */
const LISTS: Partial<Record<keyof SPPOConfig, { of: string; allowed?: readonly string[]; max: number }>> = {
  stop: { of: 'a non-empty string', max: 64 },
  loraTargets: { of: 'a projection name', allowed: ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'fc', 'proj'], max: 7 },
};

/** keys that must be non-empty strings */
const REQUIRED_TEXT: Partial<Record<keyof SPPOConfig, string>> = {
  out: 'the run directory', promptField: 'a JSON field name', messagesField: 'a JSON field name',
};

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function rangeText(r: Range): string {
  if (r.text) return r.text;
  const lo = `${r.min}${r.minExclusive ? ' <' : ' ≤'}`, hi = `${r.maxExclusive ? '<' : '≤'} ${r.max === Number.MAX_VALUE ? 'finite' : r.max}`;
  return r.int ? `an integer ≥ ${r.min} and ≤ ${r.max}` : `a number with ${lo} x ${hi}`;
}

/**
 * Merge a user config over the defaults, checking every key before any work starts: names (own
 * keys of the defaults only: "constructor" or "__proto__" are unknown keys), types, integer-ness
 * and ranges. Each error names `where` (the file), the key and what is allowed.
 */
export function resolveConfig(user: Record<string, unknown>, where = 'config'): SPPOConfig {
  if (user === null || typeof user !== 'object' || Array.isArray(user)) throw new Error(`${where}: a config is one JSON object, got ${JSON.stringify(user)}`);
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(DEFAULTS)) out[k] = structuredClone((DEFAULTS as any)[k]);
  for (const key of Object.keys(user)) {
    const value = user[key];
    if (key.startsWith('//') || key === '$comment') continue;
    if (!own(DEFAULTS, key)) {
      throw new Error(`${where}: unknown key "${key}" — known keys: ${Object.keys(DEFAULTS).join(', ')}`);
    }
    if (key === 'queue') { out.queue = queueConfig(value, where); continue; }
    if (key === 'prompts') { out.prompts = promptsSpec(value, where); continue; }
    const def = (DEFAULTS as any)[key];
    if ((key === 'judge' || key === 'evalJudge') && isJudgeValue(value)) { out[key] = value; continue; }
    if (key === 'evalPrompts') { out.evalPrompts = evalPromptsSpec(value, where); continue; }
    const ok = def === null ? value === null || typeof value === 'number' : Array.isArray(def) ? Array.isArray(value) : typeof value === typeof def;
    if (!ok && (key === 'judge' || key === 'evalJudge')) throw new Error(`${where}: "${key}" must be a judge spec string (builtin:NAME, a module path, an http(s) URL, a model directory) or, from code, a function async (pairs) => number[] or an object with such a compare method; got ${typeof value === 'object' ? JSON.stringify(value) : typeof value}`);
    if (!ok) throw new Error(`${where}: "${key}" must be ${Array.isArray(def) ? 'an array' : def === null ? 'a number or null' : `a ${typeof def}`}, got ${JSON.stringify(value)}`);
    const allowed = own(ENUMS, key) ? ENUMS[key as keyof SPPOConfig] : undefined;
    if (allowed && !allowed.includes(value as string)) throw new Error(`${where}: "${key}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  if (!out.model) throw new Error(`${where}: "model" is required (a model directory or builtin:NAME)`);
  if (!out.prompts && !out.offline) throw new Error(`${where}: "prompts" is required (a prompts file), or "offline" (prepared preference data)`);
  if (!out.judge && !out.offline) throw new Error(`${where}: "judge" is required (module path, URL, model directory or builtin:NAME)`);
  for (const [key, what] of Object.entries(REQUIRED_TEXT)) {
    if (!out[key]) throw new Error(`${where}: "${key}" is required (${what})`);
  }
  for (const [key, r] of Object.entries(RANGES) as [string, Range][]) {
    const v = out[key];
    if (v === null && (DEFAULTS as any)[key] === null) continue;
    const okRange = typeof v === 'number' && Number.isFinite(v) && (!r.int || Number.isInteger(v))
      && (r.minExclusive ? v > r.min : v >= r.min) && (r.maxExclusive ? v < r.max : v <= r.max);
    if (!okRange) throw new Error(`${where}: "${key}" must be ${rangeText(r)}, got ${JSON.stringify(v) ?? String(v)}`);
  }
  for (const [key, l] of Object.entries(LISTS) as [string, { of: string; allowed?: readonly string[]; max: number }][]) {
    const a = out[key] as unknown[];
    if (a.length > l.max) throw new Error(`${where}: "${key}" holds ${a.length} entries, at most ${l.max}`);
    a.forEach((x, i) => {
      if (typeof x !== 'string' || !x || (l.allowed && !l.allowed.includes(x))) {
        throw new Error(`${where}: "${key}"[${i}] must be ${l.of}${l.allowed ? ` (${l.allowed.join(', ')})` : ''}, got ${JSON.stringify(x)}`);
      }
    });
  }
  const c = { ...out } as unknown as SPPOConfig;
  if (c.magnet > 0 && !c.loss.startsWith('sppo')) throw new Error(`${where}: "magnet" (magnetic SPPO) works with the SPPO losses, not "${c.loss}": set "magnet": 0 or an sppo loss`);
  if (c.offline && c.evalSize > 0 && !(c.evalPrompts || c.prompts)) throw new Error(`${where}: evaluation ("evalSize" > 0) of an offline run needs "evalPrompts" (or "prompts")`);
  if (c.offline && c.evalSize > 0 && !(c.evalJudge || c.judge)) throw new Error(`${where}: evaluation ("evalSize" > 0) of an offline run needs "evalJudge" (or "judge")`);
  if (c.beta !== null) c.eta = 1 / c.beta;
  if (c.optimizer === 'adamw' && c.lr * c.weightDecay > 1) {
    throw new Error(`${where}: "weightDecay" ${c.weightDecay} with "lr" ${c.lr}: AdamW scales weights by 1 − lr·weightDecay each step, which must stay ≥ 0 (lr·weightDecay ≤ 1)`);
  }
  return c;
}

function queueConfig(v: unknown, where: string): QueueConfig | null {
  if (v === null) return null;
  const o = typeof v === 'string' ? { redis: v } : v;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${where}: "queue" must be {"redis": "redis://HOST:PORT", "name": "NAME"} or null`);
  for (const k of Object.keys(o)) if (k !== 'redis' && k !== 'name') throw new Error(`${where}: "queue" has no key "${k}": its keys are redis, name`);
  const { redis, name = 'sppo' } = o as { redis?: unknown; name?: unknown };
  if (typeof redis !== 'string' || !/^rediss?:\/\//i.test(redis)) throw new Error(`${where}: "queue.redis" must be a redis:// or rediss:// URL`);
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`${where}: "queue.name" must be 1–64 letters, digits, _ . or -, got ${JSON.stringify(name)}`);
  return { redis, name };
}

/** the config as the run directory keeps it (config.json): judge values are named
 *  ("function:NAME", "object:NAME"), and "queue" is left out — where units run is not part of a
 *  run (a run may be resumed in one process or on workers), and a Redis URL may hold a password */
export function configJSON(c: SPPOConfig): string {
  const { queue: _queue, ...kept } = c;
  return JSON.stringify({ ...kept, judge: judgeSpecName(c.judge), evalJudge: judgeSpecName(c.evalJudge) }, null, 2) + '\n';
}

/** the loss hyper-parameter the device op takes: η for the SPPO family is 1/β → pass β */
export function lossBeta(c: SPPOConfig): number { return 1 / c.eta; }
