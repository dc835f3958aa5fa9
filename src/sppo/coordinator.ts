// The SPPO coordinator: iterations of generate → judge → records → train → evaluate, each
// stage writing its artifacts atomically into the run directory, long stages in units, so a
// resumed run restarts at the first unit without its artifact and — seeded — ends with the
// same weights as a run that never stopped.
//
// OUT/config.json                the resolved config
// OUT/iter-N/gen/unit-XXXX.json  samples of one unit of prompts     → samples.jsonl
// OUT/iter-N/judge/unit-XXXX.json K×K matrices and P̂ of one unit    → judgments.jsonl
// OUT/iter-N/records.jsonl       training records with reference log-probs (π_t, frozen; with a
//                                magnet also μ's: magnetLogp)
// (offline runs: samples.jsonl and judgments.jsonl are written from the "offline" file)
// OUT/iter-N/train/ckpt.*        parameters + optimizer state after the last finished unit
// OUT/iter-N/metrics.jsonl       one line per optimizer step
// OUT/iter-N/model/              π_{N}: the policy after iteration N (Hugging Face layout)
// OUT/iter-N/eval.json           win rate against the base model (when evalSize > 0)
// OUT/summary.json, OUT/report.html
import type { Backend } from '../kernels/backend.js';
import { JudgeError, type Judge } from '../judge/types.js';
import { judgeMatrices, judgeMatricesCounted, winRates, type CountedMatrices } from '../judge/matrix.js';
import type { Transformer } from '../model/transformer.js';
import { shuffle } from '../sampling/rng.js';
import { Optimizer, scheduleLR } from '../train/optimizer.js';
import { assertFiniteWeights, TrainingGuard } from '../train/guard.js';
import { buildRecords, preferenceBackward, sequenceLogprobs, type JudgedGroup, type LossConfig, type TrainRecord } from '../train/preference.js';
import { configJSON, lossBeta, resolveConfig, type SPPOConfig } from './config.js';
import { Policy, type PolicyText } from './policy.js';
import { WorkerTally, type WorkerRate } from './worker-tally.js';
import { parsePrompts, truncatePrompt, type PromptItem } from './prompts.js';
import { iterationPrompts, promptFiles, type EvalPromptsSpec } from './prompt-sets.js';
import { fromJSONL, toJSONL, type RunStore } from './run-store.js';
import { evalStats, type EvalStats } from './winrate.js';
import { parseOffline } from './offline.js';
import { renderReport, type EvalFile } from './report.js';
import { makeUnitRunner, type UnitRunner } from './units.js';

/** Builds a run's environment from its resolved config, at run() (src/sppo/env/node-sppo.ts). */
export type DepsFactory = (cfg: SPPOConfig) => Promise<SPPODeps>;

/** What the coordinator needs from its environment (Node, Deno or a browser). */
export interface SPPODeps {
  store: RunStore;
  backend: Backend;
  /** read a prompts file (path from the config) */
  readPrompts(path: string): Promise<string>;
  /** load the policy from a model location: the base model, or a checkpoint of this run */
  loadPolicy(be: Backend, location: string): Promise<{ model: Transformer; text: PolicyText }>;
  /** save a policy as a model directory at `dir` (a store-relative path) */
  savePolicy(model: Transformer, dir: string, store: RunStore): Promise<void>;
  /** training checkpoints (parameters + optimizer state) — store-relative path */
  saveTrainState(path: string, state: { params: Map<string, Float32Array>; opt: Map<string, Float32Array>; meta: Record<string, unknown> }, store: RunStore): Promise<void>;
  loadTrainState(path: string, store: RunStore): Promise<{ params: Map<string, Float32Array>; opt: Map<string, Float32Array>; meta: Record<string, unknown> } | null>;
  judge: Judge;
  evalJudge?: Judge;
  /**
   * Start judging each generated unit at once, while the next unit generates (the judge runs
   * elsewhere: a worker over comlink, a server). Off by default: a judge that shares the
   * policy's backend (a reward model) must not run while the policy generates.
   */
  judgeAhead?: boolean;
  /**
   * Run generation and judging units elsewhere (src/queue/: BullMQ workers). Without it, and
   * with config "queue" set, run() makes one through the registered factory (src/sppo/units.ts).
   * All units of a stage are then in flight at once; each unit is judged as soon as it is generated.
   */
  units?: UnitRunner;
}

export type Stage = 'generate' | 'judge' | 'records' | 'train' | 'eval';
export interface ProgressEvent {
  iteration: number; stage: Stage; done: number; total: number; unit?: string;
  /** the worker that ran the unit (remote units) */ worker?: string; ms?: number;
  /** remote units: per worker, the units of this stage so far and the rates (items: tokens generated, or pairs judged) */
  workers?: WorkerRate[];
}
export interface StepMetrics {
  iteration: number; step: number; lr: number; loss: number;
  /** SPPO square losses: loss / η², the scale-free square loss (comparable across η); null for dpo/ipo/hinge */
  lossScaled?: number | null;
  chosenLogratio: number | null; rejectedLogratio: number | null; meanLogratio: number;
  chosenWinrate: number | null; rejectedWinrate: number | null;
  /** KL(π_t ‖ π_θ) estimated as −mean r over the step's records (samples of π_t) */
  klEstimate: number; responseLength: number; tokensPerSecond: number;
}
export interface IterationSummary {
  iteration: number; prompts: number; samples: number; meanResponseLength: number;
  meanWinrateChosen: number | null; meanWinrateRejected: number | null;
  finalLoss: number; steps: number; eval?: EvalStats; seconds: number;
  /** pairs the judge was asked this iteration, and those it failed on (answered as ties) */
  judgePairs: number; judgeFailedPairs: number;
  /** whether the judge was asked both orders of each pair (every judge not declared order-free) */
  judgeBothOrders: boolean;
  /** finalLoss / η² for the SPPO square losses (null for dpo/ipo/hinge) */
  finalLossScaled?: number | null;
}

/** loss / η² for the SPPO family (square losses around targets η(P̂ − ½)); null for the others */
export function scaledLoss(cfg: SPPOConfig, loss: number): number | null {
  return cfg.loss.startsWith('sppo') ? loss / (cfg.eta * cfg.eta) : null;
}

/**
 * The events of a run and what `e.detail` holds:
 *   progress   a stage advanced (generate / judge / records / train / eval units)
 *   step       one optimizer step's metrics
 *   iteration  an iteration finished (with its evaluation when evalSize > 0)
 *   log        a message for the user
 */
export interface SPPOEventMap {
  progress: CustomEvent<ProgressEvent>;
  step: CustomEvent<StepMetrics>;
  iteration: CustomEvent<IterationSummary>;
  log: CustomEvent<string>;
}
/** 'progress' | 'step' | 'iteration' | 'log' */
export type SPPOEventType = keyof SPPOEventMap;
/** every event of a run as one union: narrow on `type` to get the typed detail */
export type SPPOEvent = { [K in SPPOEventType]: SPPOEventMap[K] & { readonly type: K } }[SPPOEventType];

const pad = (n: number) => String(n).padStart(4, '0');

export class SPPO extends EventTarget {
  // typed listeners: run.addEventListener('step', (e) => e.detail.loss)
  addEventListener<K extends SPPOEventType>(type: K, listener: ((e: SPPOEventMap[K]) => void) | null, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: any, options?: boolean | AddEventListenerOptions): void { super.addEventListener(type, listener, options); }
  removeEventListener<K extends SPPOEventType>(type: K, listener: ((e: SPPOEventMap[K]) => void) | null, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: any, options?: boolean | EventListenerOptions): void { super.removeEventListener(type, listener, options); }

  readonly cfg: SPPOConfig;
  private depsGiven: SPPODeps | null;
  /** builds the environment at run() when none was given (the entry points pass one: nodeDeps) */
  private makeDeps: DepsFactory | null;
  /** judge unit path → its matrices, started during generation when deps.judgeAhead */
  private judging = new Map<string, Promise<CountedMatrices | null>>();
  /** where generation and judging units run when not here (deps.units or config "queue") */
  private units: UnitRunner | null = null;
  /** remote units' per-worker throughput, by `${iteration} ${stage}` */
  private tallies = new Map<string, WorkerTally>();
  private tally(t: number, stage: 'generate' | 'judge'): WorkerTally {
    const key = `${t} ${stage}`;
    let x = this.tallies.get(key);
    if (!x) { x = new WorkerTally(); this.tallies.set(key, x); }
    return x;
  }
  private rates(t: number, stage: 'generate' | 'judge'): { workers?: WorkerRate[] } {
    const x = this.tallies.get(`${t} ${stage}`);
    return x?.size ? { workers: x.rates() } : {};
  }
  /**
   * `new SPPO({model, prompts, judge, ...}, deps).run(signal)`: the config is checked and completed
   * with the defaults (src/sppo/config.ts). `deps` is the environment (src/sppo/env/), or a
   * function that builds it at run(); the Node and Deno entry points' SPPO (env/node-sppo.ts)
   * builds nodeDeps when none is given. The coordinator itself imports no environment.
   */
  constructor(cfg: Partial<SPPOConfig> | SPPOConfig, deps?: SPPODeps | DepsFactory) {
    super();
    this.cfg = resolveConfig(cfg as Record<string, unknown>);
    this.promptLimit = this.cfg.maxPromptTokens;
    this.depsGiven = typeof deps === 'function' ? null : deps ?? null;
    this.makeDeps = typeof deps === 'function' ? deps : null;
  }
  get deps(): SPPODeps {
    if (!this.depsGiven) throw new Error('SPPO: run() has not set up its environment yet');
    return this.depsGiven;
  }

  private emit<K extends SPPOEventType>(type: K, detail: SPPOEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
  private progress(p: ProgressEvent): void { this.emit('progress', p); }
  private log(msg: string): void { this.emit('log', msg); }

  /** Run (or resume) every iteration; resolves with the per-iteration summaries. */
  async run(signal?: AbortSignal): Promise<IterationSummary[]> {
    if (!this.depsGiven) {
      if (!this.makeDeps) throw new Error("SPPO: no environment to run in: pass one as new SPPO(config, deps) (nodeDeps(config, backend), memoryDeps(config, ...)), or import SPPO from 'sppo' (Node, Deno), which sets up nodeDeps itself");
      this.depsGiven = await this.makeDeps(this.cfg);
    }
    const lock = await this.deps.store.lock?.();
    try {
      return await this.runLocked(signal);
    } finally {
      await lock?.release();
    }
  }

  private async runLocked(signal?: AbortSignal): Promise<IterationSummary[]> {
    const { cfg, deps } = this;
    const st = deps.store;
    const cfgText = configJSON(cfg);
    const fresh = !(await st.exists('config.json'));
    if (!fresh) {
      const old = await st.readText('config.json');
      if (old !== cfgText) throw new Error(`${st.where}/config.json holds a different config: resume with the same config, or choose a new "out" directory`);
    }
    // an offline run reads its judged samples from cfg.offline; it needs prompts only to evaluate
    // every prompts file once; iteration t's set from them (a file, a list, or one file split: prompt-sets.ts)
    const promptSets = new Map<string, PromptItem[]>();
    for (const f of promptFiles(cfg.prompts)) promptSets.set(f, parsePrompts(await deps.readPrompts(f), f, { promptField: cfg.promptField, messagesField: cfg.messagesField }));
    const promptsOf = (t: number) => iterationPrompts(cfg.prompts, t, cfg.iterations, promptSets, (n) => shuffle(n, BigInt(cfg.seed) ^ 0x5eed5917n), cfg.maxPrompts);
    for (let t = 1; t <= cfg.iterations; t++) promptsOf(t); // a split too small for the iterations fails before any work
    // evaluation prompts: their own file when given (held out from training), else iteration 1's training prompts
    const evalPrompts = cfg.evalPrompts && cfg.evalSize > 0 ? await this.evalPromptSet(cfg.evalPrompts) : promptsOf(1);
    // a fresh run checks all it can before its first file: the base model (config, weights,
    // tokenizer), its context against maxNewTokens, the prompts' encodings
    let preloaded: { model: Transformer; text: PolicyText } | null = null;
    if (fresh && !(await st.exists('iter-1/summary.json'))) {
      preloaded = await deps.loadPolicy(deps.backend, cfg.model);
      try {
        this.checkContext(preloaded.model);
        if (!cfg.offline) for (let t = 1; t <= cfg.iterations; t++) this.encodePrompts(promptsOf(t), preloaded.text);
      } catch (e) { preloaded.model.dispose(); throw e; }
    }
    if (fresh) await st.writeText('config.json', cfgText);
    const summaries: IterationSummary[] = [];
    const ownUnits = !deps.units && cfg.queue ? await makeUnitRunner(cfg, { store: st, log: (m) => this.log(m) }) : null;
    this.units = deps.units ?? ownUnits;
    try {
      for (let t = 1; t <= cfg.iterations; t++) {
        if (signal?.aborted) throw abortError(signal);
        const done = `iter-${t}/summary.json`;
        if (await st.exists(done)) {
          summaries.push(JSON.parse(await st.readText(done)));
          continue;
        }
        const t0 = Date.now();
        const location = t === 1 ? cfg.model : `run:iter-${t - 1}/model`;
        const { model, text } = t === 1 && preloaded ? preloaded : await deps.loadPolicy(deps.backend, location);
        preloaded = null;
        try {
          this.checkContext(model);
          const policy = new Policy(model, text);
          const samples = cfg.offline ? await this.stageOffline(t, text)
            : this.units ? await this.generateRemote(t, location, this.encodePrompts(promptsOf(t), text), signal)
            : await this.stageGenerate(t, policy, this.encodePrompts(promptsOf(t), text), signal);
          const groups = await this.stageJudge(t, samples, signal);
          const records = await this.stageRecords(t, model, groups);
          const metrics = await this.stageTrain(t, model, records, signal);
          await deps.savePolicy(model, `iter-${t}/model`, st);
          const summary: IterationSummary = {
            iteration: t, prompts: samples.length, samples: samples.reduce((n, s) => n + s.responses.length, 0),
            judgePairs: sum(groups.map((g) => g.pairs)), judgeFailedPairs: sum(groups.map((g) => g.failedPairs)),
            judgeBothOrders: cfg.offline ? false : deps.judge.orderSensitive,
            meanResponseLength: mean(samples.flatMap((s) => s.responses.map((r) => r.length))),
            meanWinrateChosen: meanOrNull(records.filter((r) => r.role === 'chosen').map((r) => r.winrate)),
            meanWinrateRejected: meanOrNull(records.filter((r) => r.role === 'rejected').map((r) => r.winrate)),
            finalLoss: metrics.length ? metrics[metrics.length - 1].loss : NaN, steps: metrics.length, seconds: 0,
            finalLossScaled: metrics.length ? scaledLoss(cfg, metrics[metrics.length - 1].loss) : null,
          };
          if (cfg.evalSize > 0) summary.eval = await this.stageEval(t, policy, evalPrompts, signal);
          summary.seconds = (Date.now() - t0) / 1000;
          await st.writeText(done, JSON.stringify(summary, null, 2) + '\n');
          summaries.push(summary);
          await st.writeText('summary.json', JSON.stringify({ iterations: summaries }, null, 2) + '\n');
          await st.writeText('report.html', renderReport(cfg, summaries, await this.allMetrics(t), await this.allEvals(t)));
          this.emit('iteration', summary);
        } finally {
          this.judging.clear();
          model.dispose();
        }
      }
    } finally {
      this.units = null;
      preloaded?.model.dispose();
      await ownUnits?.close();
    }
    return summaries;
  }

  private async allEvals(upTo: number): Promise<(EvalFile | null)[]> {
    const out: (EvalFile | null)[] = [];
    for (let t = 1; t <= upTo; t++) {
      const p = `iter-${t}/eval.json`;
      out.push(await this.deps.store.exists(p) ? JSON.parse(await this.deps.store.readText(p)) : null);
    }
    return out;
  }

  /** a prompts file (read through deps) or the prompts themselves (a list from code) */
  /** evaluation prompts: a file, or the prompts themselves ({texts} from code) */
  private async evalPromptSet(spec: EvalPromptsSpec): Promise<PromptItem[]> {
    if (typeof spec !== 'string') return spec.texts.map((text, index) => ({ index, text }));
    return parsePrompts(await this.deps.readPrompts(spec), spec, { promptField: this.cfg.promptField, messagesField: this.cfg.messagesField });
  }

  private async allMetrics(upTo: number): Promise<StepMetrics[]> {
    const out: StepMetrics[] = [];
    for (let t = 1; t <= upTo; t++) {
      const p = `iter-${t}/metrics.jsonl`;
      if (await this.deps.store.exists(p)) out.push(...fromJSONL<StepMetrics>(await this.deps.store.readText(p), p));
    }
    return out;
  }

  /** the longest prompt: maxPromptTokens, within the model's context less maxNewTokens */
  private promptLimit = Number.MAX_SAFE_INTEGER;

  /** the model's context must hold a prompt token and maxNewTokens; prompts are cut to fit it */
  private checkContext(model: Transformer): void {
    const P = model.arch.maxPositions, c = this.cfg;
    // an offline run generates only to evaluate
    if (c.offline && !(c.evalSize > 0)) return;
    if (c.maxNewTokens >= P) {
      throw new Error(`config: "maxNewTokens" is ${c.maxNewTokens}, but the model holds ${P} positions (max_position_embeddings) and a prompt needs at least one: set "maxNewTokens" to at most ${P - 1}`);
    }
    this.promptLimit = Math.min(c.maxPromptTokens, P - c.maxNewTokens);
  }

  private encodePrompts(prompts: PromptItem[], text: PolicyText): { item: PromptItem; ids: number[] }[] {
    const out: { item: PromptItem; ids: number[] }[] = [];
    let dropped = 0;
    for (const item of prompts) {
      const ids = truncatePrompt(text.encodePrompt(item), this.promptLimit, this.cfg.truncation);
      if (ids === null) { dropped++; continue; }
      if (ids.length === 0) throw new Error(`prompt ${item.index} encodes to no tokens: the model needs at least one (a BOS token or text)`);
      out.push({ item, ids });
    }
    if (dropped) this.log(`dropped ${dropped} prompts longer than ${this.promptLimit} tokens`);
    if (!out.length) throw new Error('no prompts left after truncation');
    return out;
  }

  // ---- stage 1: K samples per prompt from π_t, in units of prompts ------------------------
  private async stageGenerate(t: number, policy: Policy, prompts: { item: PromptItem; ids: number[] }[], signal?: AbortSignal) {
    const { cfg } = this, st = this.deps.store;
    const final = `iter-${t}/samples.jsonl`;
    type Row = { index: number; prompt: string; promptIds: number[]; responses: number[][]; texts: string[] };
    if (await st.exists(final)) return fromJSONL<Row>(await st.readText(final), final);
    const units = Math.ceil(prompts.length / cfg.generateUnit);
    const rows: Row[] = [];
    for (let u = 0; u < units; u++) {
      const path = `iter-${t}/gen/unit-${pad(u)}.json`;
      let unitRows: Row[];
      if (await st.exists(path)) {
        unitRows = JSON.parse(await st.readText(path));
      } else {
        if (signal?.aborted) throw abortError(signal);
        const chunk = prompts.slice(u * cfg.generateUnit, (u + 1) * cfg.generateUnit);
        const ids = await policy.sample(chunk, {
          k: cfg.k, maxNewTokens: cfg.maxNewTokens, seed: BigInt(cfg.seed) * 1000003n + BigInt(t),
          sample: { temperature: cfg.temperature, topP: cfg.topP, topK: cfg.topK }, stop: cfg.stop, signal,
        });
        unitRows = chunk.map((p, i) => ({ index: p.item.index, prompt: p.item.text, promptIds: p.ids, responses: ids[i], texts: ids[i].map((r) => policy.text.decode(r)) }));
        await st.writeText(path, JSON.stringify(unitRows));
      }
      rows.push(...unitRows);
      if (this.deps.judgeAhead) this.judgeAheadOf(t, u, unitRows, signal);
      this.progress({ iteration: t, stage: 'generate', done: u + 1, total: units, unit: path });
    }
    await st.writeText(final, toJSONL(rows));
    await st.remove(`iter-${t}/gen`);
    return rows;
  }

  /** starts judging generation unit u (= judge unit u) without waiting for it */
  private judgeAheadOf(t: number, u: number, rows: { prompt: string; texts: string[] }[], signal?: AbortSignal): void {
    const st = this.deps.store, path = `iter-${t}/judge/unit-${pad(u)}.json`;
    if (this.judging.has(path)) return;
    const p = (async () => {
      if (await st.exists(`iter-${t}/judgments.jsonl`) || await st.exists(path)) return null;
      return this.judgeUnit(t, u, rows, signal);
    })();
    p.catch(() => { /* awaited (and thrown) by stageJudge */ });
    this.judging.set(path, p);
  }

  // ---- stage 1, remote: every missing unit in flight at once, each written as it comes back -----
  private async generateRemote(t: number, location: string, prompts: { item: PromptItem; ids: number[] }[], signal?: AbortSignal) {
    const { cfg } = this, st = this.deps.store, units = this.units!;
    const final = `iter-${t}/samples.jsonl`;
    type Row = { index: number; prompt: string; promptIds: number[]; responses: number[][]; texts: string[] };
    if (await st.exists(final)) {
      await st.remove(`iter-${t}/gen`); // a stop between samples.jsonl and this removal left it
      return fromJSONL<Row>(await st.readText(final), final);
    }
    const n = Math.ceil(prompts.length / cfg.generateUnit);
    const rows: Row[][] = new Array(n);
    let done = 0;
    const tally = this.tally(t, 'generate');
    await Promise.all(Array.from({ length: n }, async (_, u) => {
      const path = `iter-${t}/gen/unit-${pad(u)}.json`;
      let origin: { worker: string; ms: number } | undefined;
      if (await st.exists(path)) rows[u] = JSON.parse(await st.readText(path));
      else {
        if (signal?.aborted) throw abortError(signal);
        const chunk = prompts.slice(u * cfg.generateUnit, (u + 1) * cfg.generateUnit);
        const res = await units.generate({
          iteration: t, unit: u, policy: location, prompts: chunk, k: cfg.k, maxNewTokens: cfg.maxNewTokens,
          seed: String(BigInt(cfg.seed) * 1000003n + BigInt(t)), sample: { temperature: cfg.temperature, topP: cfg.topP, topK: cfg.topK }, stop: cfg.stop,
        }, signal);
        if (res.responses.length !== chunk.length || res.texts.length !== chunk.length) throw new Error(`generation unit ${u} of iteration ${t} came back with ${res.responses.length} prompts instead of ${chunk.length}`);
        rows[u] = chunk.map((p, i) => ({ index: p.item.index, prompt: p.item.text, promptIds: p.ids, responses: res.responses[i], texts: res.texts[i] }));
        await st.writeText(path, JSON.stringify(rows[u]));
        origin = res.origin;
        if (origin) tally.note(origin.worker, res.responses.reduce((c, rs) => rs.reduce((m, r) => m + r.length, c), 0));
      }
      this.judgeAheadOf(t, u, rows[u], signal);
      this.progress({ iteration: t, stage: 'generate', done: ++done, total: n, unit: path, ...origin, ...this.rates(t, 'generate') });
    }));
    const all = rows.flat();
    await st.writeText(final, toJSONL(all));
    await st.remove(`iter-${t}/gen`);
    await units.generated?.(t, location);
    return all;
  }

  /** K×K matrices of one judge unit: here, or where deps.units runs it */
  private async judgeUnit(t: number, u: number, rows: { prompt: string; texts: string[] }[], signal?: AbortSignal): Promise<CountedMatrices> {
    const items = rows.map((s) => ({ prompt: s.prompt, responses: s.texts }));
    if (!this.units) return judgeMatricesCounted(this.deps.judge, items, { signal });
    const tally = this.tally(t, 'judge'); // (its clock starts when the first unit is sent)
    const r = await this.units.judge({ iteration: t, unit: u, items }, signal);
    if (r.origin) tally.note(r.origin.worker, r.pairs.reduce((a, b) => a + b, 0));
    // a worker counts its own pairs and failures (src/queue/worker.ts)
    return { matrices: r.matrices, pairs: r.pairs, failed: r.failed, lastFailure: r.lastFailure };
  }

  // ---- stage 2: the judge's K×K matrices and the win rates P̂ -----------------------------
  private async stageJudge(t: number, samples: { index: number; prompt: string; texts: string[]; promptIds: number[]; responses: number[][] }[], signal?: AbortSignal): Promise<(JudgedGroup & { pairs: number; failedPairs: number })[]> {
    const { cfg } = this, st = this.deps.store;
    const final = `iter-${t}/judgments.jsonl`;
    // pairs: asked of the judge; failedPairs: answered as ties because the judge failed on them
    type Row = { index: number; matrix: number[][]; winrates: number[]; pairs?: number; failedPairs?: number };
    let rows: Row[];
    if (await st.exists(final)) {
      rows = fromJSONL<Row>(await st.readText(final), final);
    } else {
      rows = [];
      const units = Math.ceil(samples.length / cfg.generateUnit);
      // remote units: every missing unit in flight at once (those judged ahead already are)
      if (this.units) for (let u = 0; u < units; u++) this.judgeAheadOf(t, u, samples.slice(u * cfg.generateUnit, (u + 1) * cfg.generateUnit), signal);
      // the most pairs this iteration can ask: stop as soon as the failures pass the limit of that
      const bound = samples.reduce((n, s) => n + (s.texts.length * (s.texts.length - 1)) / 2, 0) * (this.deps.judge.orderSensitive ? 2 : 1);
      let failed = 0, asked = 0;
      let lastWhy: string | null = null;
      const failedUnits: string[] = [];
      for (let u = 0; u < units; u++) {
        const path = `iter-${t}/judge/unit-${pad(u)}.json`;
        let unitRows: Row[];
        if (await st.exists(path)) unitRows = JSON.parse(await st.readText(path));
        else {
          if (signal?.aborted) throw abortError(signal);
          const chunk = samples.slice(u * cfg.generateUnit, (u + 1) * cfg.generateUnit);
          const ahead = this.judging.get(path);
          this.judging.delete(path);
          const got = (ahead && await ahead) ?? await this.judgeUnit(t, u, chunk, signal);
          lastWhy = got.lastFailure ?? lastWhy;
          unitRows = chunk.map((s, i) => ({ index: s.index, matrix: got.matrices[i], winrates: winRates(got.matrices[i]), pairs: got.pairs[i], failedPairs: got.failed[i] }));
          await st.writeText(path, JSON.stringify(unitRows));
        }
        const unitFailed = sum(unitRows.map((r) => r.failedPairs ?? 0));
        if (unitFailed > 0) failedUnits.push(path);
        failed += unitFailed;
        asked += sum(unitRows.map((r) => r.pairs ?? 0));
        rows.push(...unitRows);
        this.progress({ iteration: t, stage: 'judge', done: u + 1, total: units, unit: path, ...this.rates(t, 'judge') });
        const last = u === units - 1;
        if (failed > cfg.judgeFailureLimit * (last ? asked : bound)) {
          // the units with failures go, so that --resume asks those pairs again
          for (const p of failedUnits) await st.remove(p);
          throw new JudgeError(this.deps.judge.name, `failed on ${failed} of ${last ? asked : `at most ${bound}`} pairs in iteration ${t}` +
            ` (${(100 * failed / (last ? asked : bound)).toFixed(1)}%, over judgeFailureLimit ${cfg.judgeFailureLimit})${lastWhy ? ` — last: ${lastWhy}` : ''}:` +
            ' such pairs would count as ties (P = 0.5) and train on noise; fix the judge (its model, prompt or server) and --resume (the failed units are asked again), or raise judgeFailureLimit');
        }
      }
      if (failed > 0) this.log(`iteration ${t}: the judge failed on ${failed} of ${asked} pairs (counted as ties; judgeFailureLimit ${cfg.judgeFailureLimit})`);
      await st.writeText(final, toJSONL(rows));
      await st.remove(`iter-${t}/judge`);
      this.tallies.delete(`${t} generate`); this.tallies.delete(`${t} judge`);
    }
    return rows.map((r, i) => ({ promptIds: samples[i].promptIds, responses: samples[i].responses, winrates: r.winrates, matrix: r.matrix, pairs: r.pairs ?? 0, failedPairs: r.failedPairs ?? 0 }));
  }

  private lossConfig(): LossConfig {
    const c = this.cfg;
    return { loss: c.loss, beta: lossBeta(c), labelSmoothing: c.labelSmoothing, perTokenAverage: c.perTokenAverage, magnet: c.magnet };
  }

  // ---- stages 1–2 offline: the judged samples of the "offline" file ------------------------
  // Written as samples.jsonl and judgments.jsonl, exactly as generated ones (the same file for
  // every iteration; each iteration's reference is its own π_t).
  private async stageOffline(t: number, text: PolicyText) {
    const { cfg } = this, st = this.deps.store;
    const final = `iter-${t}/samples.jsonl`, judged = `iter-${t}/judgments.jsonl`;
    type Row = { index: number; prompt: string; promptIds: number[]; responses: number[][]; texts: string[] };
    if (await st.exists(final) && await st.exists(judged)) return fromJSONL<Row>(await st.readText(final), final);
    const groups = parseOffline(await this.deps.readPrompts(cfg.offline), cfg.offline);
    if (!text.encodeResponse) throw new Error(`offline: this environment's policy text has no encodeResponse: it cannot tokenize the responses of ${cfg.offline}`);
    const rows: Row[] = [], judgments: { index: number; matrix: number[][] | null; winrates: number[] }[] = [];
    // a response ends with the policy's EOS, as a sampled one that stopped does (src/sppo/policy.ts)
    const eos = text.eos.length ? [text.eos[0]] : [];
    let dropped = 0;
    for (const g of groups) {
      const ids = truncatePrompt(text.encodePrompt(g.prompt), cfg.maxPromptTokens, cfg.truncation);
      if (ids === null) { dropped++; continue; }
      if (cfg.loss === 'sppo_single' && !g.matrix) throw new Error(`${cfg.offline}: prompt ${g.prompt.index + 1} has no "chosen_probs" (or "matrix"): the sppo_single loss needs P(chosen ≻ rejected)`);
      rows.push({ index: g.prompt.index, prompt: g.prompt.text, promptIds: ids, responses: g.responses.map((r) => [...text.encodeResponse!(r), ...eos]), texts: g.responses });
      judgments.push({ index: g.prompt.index, matrix: g.matrix, winrates: g.winrates });
    }
    if (dropped) this.log(`offline: dropped ${dropped} prompts longer than ${cfg.maxPromptTokens} tokens`);
    if (!rows.length) throw new Error(`${cfg.offline}: no prompts left after truncation`);
    await st.writeText(judged, toJSONL(judgments));
    await st.writeText(final, toJSONL(rows));
    this.progress({ iteration: t, stage: 'generate', done: 1, total: 1, unit: final });
    return rows;
  }

  // ---- stage 3: training records with the frozen reference's log-probs --------------------
  private async stageRecords(t: number, model: Transformer, groups: JudgedGroup[]): Promise<TrainRecord[]> {
    const st = this.deps.store, path = `iter-${t}/records.jsonl`;
    if (await st.exists(path)) return fromJSONL<TrainRecord>(await st.readText(path), path);
    const recs = buildRecords(groups, this.lossConfig());
    // a response that is empty cannot be scored: it carries no tokens (r = 0 always); keep it,
    // its gradient is zero and its log-prob 0
    const bs = Math.max(1, this.cfg.batchSize * 2);
    const ref = await sequenceLogprobs(model, recs, bs, this.cfg.perTokenAverage);
    recs.forEach((r, i) => { r.refLogp = ref[i]; });
    if (this.cfg.magnet > 0) {
      // the magnet μ = π_m, m = M·⌊(t−1)/M⌋: the base model (m = 0) until the first refresh, then
      // the policy at each refresh. When m = t − 1, μ is π_t itself: its log-probs are π_t's (no
      // second model is loaded; the loss op then shares one tensor for both).
      const m = this.cfg.magnetEvery * Math.floor((t - 1) / this.cfg.magnetEvery);
      let mu = ref;
      if (m !== t - 1) {
        const loaded = await this.deps.loadPolicy(this.deps.backend, m === 0 ? this.cfg.model : `run:iter-${m}/model`);
        try { mu = await sequenceLogprobs(loaded.model, recs, bs, this.cfg.perTokenAverage); } finally { loaded.model.dispose(); }
      }
      recs.forEach((r, i) => { r.magnetLogp = mu[i]; });
    }
    await st.writeText(path, toJSONL(recs));
    this.progress({ iteration: t, stage: 'records', done: 1, total: 1, unit: path });
    return recs;
  }

  // ---- stage 4: the update of π_θ from π_t, in units of optimizer steps --------------------
  private async stageTrain(t: number, model: Transformer, records: TrainRecord[], signal?: AbortSignal): Promise<StepMetrics[]> {
    const { cfg, deps } = this, st = deps.store, be = deps.backend;
    const metricsPath = `iter-${t}/metrics.jsonl`;
    const ckpt = `iter-${t}/train/ckpt`;
    // groups of records (a prompt's records stay together; pairwise losses need winner+loser)
    const byGroup = new Map<number, TrainRecord[]>();
    for (const r of records) { if (!byGroup.has(r.group)) byGroup.set(r.group, []); byGroup.get(r.group)!.push(r); }
    const groups = [...byGroup.values()];
    const stepsPerEpoch = Math.ceil(groups.length / cfg.batchSize);
    const total = stepsPerEpoch * cfg.epochs;
    const opt = new Optimizer(be, model.trainableParams(), { name: cfg.optimizer, lr: cfg.lr, weightDecay: cfg.weightDecay, maxGradNorm: cfg.maxGradNorm });
    let metrics: StepMetrics[] = [];
    try {
      let step = 0;
      const saved = await deps.loadTrainState(ckpt, st);
      if (saved) {
        // the checkpoint holds what trains (every weight, or the LoRA adapters: the frozen base,
        // 16-bit on the device, is the iteration's starting model and is not copied)
        for (const [name, p] of model.trainableParams()) {
          const a = saved.params.get(name);
          if (!a) throw new Error(`${ckpt}: parameter ${name} missing from the training checkpoint; delete ${st.where}/iter-${t}/train to restart this iteration`);
          be.write(p, a);
        }
        opt.loadState({ step: saved.meta.step as number, tensors: saved.opt });
        step = saved.meta.step as number;
        if (await st.exists(metricsPath)) metrics = fromJSONL<StepMetrics>(await st.readText(metricsPath), metricsPath).filter((m) => m.step <= step);
        this.log(`iteration ${t}: resuming training at step ${step} of ${total}`);
      }
      const order = (epoch: number) => shuffle(groups.length, BigInt(cfg.seed) * 7919n + BigInt(t) * 104729n + BigInt(epoch));
      // the numerical guard: a non-finite loss, gradient norm or weights stop the step before the
      // update is applied (and before any checkpoint is written): the last good checkpoint stays
      let goodStep = step;
      const kept = () => (goodStep > 0 ? `${st.where}/${ckpt}.safetensors (step ${goodStep}) stays the checkpoint --resume starts from` : `no training checkpoint of iteration ${t} was written`);
      const fix = () => `lower "lr" (now ${cfg.lr})${cfg.maxGradNorm > 0 ? '' : ' or set "maxGradNorm"'}${cfg.warmupSteps ? '' : ' or add "warmupSteps"'}; ${kept()}`;
      const guard = new TrainingGuard({ what: 'sppo train', iteration: t, fix, warn: (m) => this.log(m) });
      const units = Math.ceil(total / cfg.trainUnit);
      while (step < total) {
        const unitEnd = Math.min(total, step + cfg.trainUnit);
        const unitName = `training unit ${Math.floor(step / cfg.trainUnit) + 1} of ${units}, steps ${step + 1}–${unitEnd}`;
        for (; step < unitEnd; step++) {
          if (signal?.aborted) throw abortError(signal);
          const epoch = Math.floor(step / stepsPerEpoch), s = step % stepsPerEpoch;
          const idx = order(epoch).slice(s * cfg.batchSize, (s + 1) * cfg.batchSize);
          const t0 = Date.now();
          model.zeroGrad();
          const micro = splitEven(idx, cfg.gradAccum);
          let loss = 0, tokens = 0;
          const stepRecs: TrainRecord[] = [], ratios: number[] = [];
          for (const m of micro) {
            const recs = m.flatMap((g) => groups[g]);
            const res = await preferenceBackward(model, recs, this.lossConfig(), m.length / idx.length);
            loss += res.loss * (m.length / idx.length);
            stepRecs.push(...recs); ratios.push(...res.logratios);
            tokens += recs.reduce((n, r) => n + r.promptIds.length + r.responseIds.length, 0);
          }
          const { gradNorm, weightsNormSq } = await opt.norms(model.grads!);
          guard.check(step + 1, loss, gradNorm, unitName, weightsNormSq);
          const lr = scheduleLR(cfg.lrSchedule, cfg.lr, step, total, cfg.warmupSteps);
          opt.update(model.grads!, lr);
          const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
          const pick = (role: string) => meanOrNull(ratios.filter((_, i) => stepRecs[i].role === role));
          const wr = (role: string) => meanOrNull(stepRecs.filter((r) => r.role === role).map((r) => r.winrate));
          metrics.push({
            iteration: t, step: step + 1, lr, loss, lossScaled: scaledLoss(cfg, loss),
            chosenLogratio: pick('chosen'), rejectedLogratio: pick('rejected'), meanLogratio: mean(ratios),
            chosenWinrate: wr('chosen'), rejectedWinrate: wr('rejected'),
            klEstimate: -mean(ratios), responseLength: mean(stepRecs.map((r) => r.responseIds.length)), tokensPerSecond: tokens / secs,
          });
          this.emit('step', metrics[metrics.length - 1]);
        }
        // unit done: checkpoint, then metrics (a crash between the two re-runs nothing: metrics are cut to the checkpoint's step)
        const params = new Map<string, Float32Array>();
        for (const [n, p] of model.trainableParams()) params.set(n, (await be.read(p)) as Float32Array);
        const os = await opt.saveState();
        const fin = { what: 'sppo train', step, iteration: t, unit: unitName, fix: fix() };
        assertFiniteWeights(params, `checkpoint ${ckpt}`, fin);
        assertFiniteWeights(os.tensors, `checkpoint ${ckpt} (optimizer state)`, fin);
        await deps.saveTrainState(ckpt, { params, opt: os.tensors, meta: { step, iteration: t } }, st);
        await st.writeText(metricsPath, toJSONL(metrics));
        goodStep = step;
        this.progress({ iteration: t, stage: 'train', done: step, total, unit: ckpt });
      }
      if (!(await st.exists(metricsPath))) await st.writeText(metricsPath, toJSONL(metrics));
    } finally {
      opt.dispose();
    }
    return metrics;
  }

  // ---- stage 5: win rate of π_t+1 against the base model -----------------------------------
  private async stageEval(t: number, policy: Policy, prompts: PromptItem[], signal?: AbortSignal): Promise<EvalStats> {
    const { cfg, deps } = this, st = deps.store;
    const path = `iter-${t}/eval.json`;
    if (await st.exists(path)) return JSON.parse(await st.readText(path)).stats;
    const evalSet = prompts.slice(0, cfg.evalSize);
    const enc = evalSet.map((item) => ({ item, ids: truncatePrompt(policy.text.encodePrompt(item), this.promptLimit, 'left')! }));
    const sampleOpts = { k: 1, maxNewTokens: cfg.maxNewTokens, seed: BigInt(cfg.seed) * 31n + 17n, sample: { temperature: cfg.temperature, topP: cfg.topP, topK: cfg.topK }, stop: cfg.stop, signal };
    // the base model's responses are made once per run and reused by every iteration
    const basePath = 'eval-base.json';
    let base: { texts: string[]; lengths: number[] };
    if (await st.exists(basePath)) base = JSON.parse(await st.readText(basePath));
    else {
      const b = await deps.loadPolicy(deps.backend, cfg.model);
      try {
        const bp = new Policy(b.model, b.text);
        const ids = (await bp.sample(enc, sampleOpts)).map((r) => r[0]);
        base = { texts: ids.map((r) => b.text.decode(r)), lengths: ids.map((r) => r.length) };
      } finally { b.model.dispose(); }
      await st.writeText(basePath, JSON.stringify(base));
    }
    const ids = (await policy.sample(enc, sampleOpts)).map((r) => r[0]);
    const texts = ids.map((r) => policy.text.decode(r));
    const judge = deps.evalJudge ?? deps.judge;
    const mats = await judgeMatrices(judge, evalSet.map((p, i) => ({ prompt: p.text, responses: [texts[i], base.texts[i]] })), { signal });
    const probs = mats.map((m) => m[0][1]);
    const stats = evalStats(probs, ids.map((r) => r.length), base.lengths);
    // task metrics the evaluation judge reports (e.g. accuracy), for π_t and for the base model
    const metrics = await taskMetrics(judge, evalSet.map((p, i) => ({ prompt: p.text, response: texts[i] })), evalSet.map((p, i) => ({ prompt: p.text, response: base.texts[i] })));
    await st.writeText(path, JSON.stringify({ stats, samples: evalSet.map((p, i) => ({ prompt: p.text, response: texts[i], baseline: base.texts[i], p: probs[i] })), ...(metrics ? { metrics } : {}) }, null, 1));
    this.progress({ iteration: t, stage: 'eval', done: 1, total: 1, unit: path });
    return stats;
  }
}

/** Judge.metrics of the model's and the base's answers; null when the judge has none (or reports nothing) */
async function taskMetrics(judge: Judge, model: { prompt: string; response: string }[], base: { prompt: string; response: string }[]): Promise<EvalFile['metrics'] | null> {
  if (typeof judge.metrics !== 'function') return null;
  const clean = (m: Record<string, number>) => Object.fromEntries(Object.entries(m ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
  const [a, b] = [clean(await judge.metrics(model)), clean(await judge.metrics(base))];
  return Object.keys(a).length ? { model: a, base: b } : null;
}

function abortError(signal: AbortSignal): Error {
  const e = new Error(`sppo: run aborted${signal.reason ? ` (${String(signal.reason)})` : ''}`);
  e.name = 'AbortError';
  return e;
}

export function sum(a: number[]): number { return a.reduce((x, y) => x + y, 0); }
export function mean(a: number[]): number { return a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN; }
function meanOrNull(a: number[]): number | null { return a.length ? mean(a) : null; }

/** split into n nearly equal consecutive parts (no empty parts) */
function splitEven<T>(a: T[], n: number): T[][] {
  const parts: T[][] = [];
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) parts.push(a.slice(Math.floor((i * a.length) / k), Math.floor(((i + 1) * a.length) / k)));
  return parts;
}

