// The demo, library side: SPPO end to end on what the package ships — the embedded policy
// `builtin:demo` (models/demo: a 0.92M-parameter Llama-family model that `sppo sft` taught
// two-digit sums and differences, then sloppy habits from deliberately mixed answers: right or
// off by a little, terse or chatty — tools/demo/train.sh), its prompt sets (data/demo: training
// prompts, and evaluation prompts held out from SFT and from SPPO), and the judge
// `builtin:arith` (a right answer beats a wrong one; between equals the shorter wins). Nothing
// is downloaded.
//
//   const result = await runDemo({ out: 'sppo-demo', quick: false }, hooks)
//
// Each iteration's evaluation (the coordinator's eval stage: one sample per held-out prompt from
// π_t and from the base model, judged pairwise) becomes one row of the demo's table: win rate
// against the base with its 95% interval, accuracy (the fraction of answers with the right
// number — checked here, independently of the judge's probabilities), mean length in
// characters, and one prompt with its base answer and its answer now. Row 0 is the base model.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../kernels/backend.js';
import { arithAnswer, arithCorrect } from '../judge/arith.js';
import { readConfigFile } from '../model/modeldir.js';
import { archFromConfig } from '../model/hf-names.js';
import { paramCount } from '../model/arch.js';
import { resolveConfig, type SPPOConfig } from './config.js';
import type { IterationSummary, ProgressEvent, StepMetrics } from './coordinator.js';
import { SPPO } from './env/node-sppo.js';
import { nodeDeps } from './env/node-deps.js';
import { builtinModelDir, packageDataFile } from './env/package-root.js';
import type { EvalStats } from './winrate.js';

export const DEMO_MODEL = 'builtin:demo';
export const DEMO_JUDGE = 'builtin:arith';

export interface DemoOptions {
  /** run directory (report.html, every artifact); an existing run of the same config resumes */
  out: string;
  /** a small run of the same path: for tests and a first look */
  quick?: boolean;
  backend?: 'webgpu' | 'wasm' | 'auto';
  /** SPPO iterations (default 3) */
  iterations?: number;
  /** any other SPPO setting, over the demo's own (e.g. { loss: 'sppo_all', eta: 5 }) */
  overrides?: Partial<SPPOConfig>;
}

/** The settings of the full demo and of --quick (everything else is the SPPO default). */
export function demoConfig(o: DemoOptions): Partial<SPPOConfig> {
  return { ...demoSettings(o), prompts: packageDataFile(DEMO_PROMPTS.train), evalPrompts: packageDataFile(DEMO_PROMPTS.eval) };
}

/** the demo's prompt sets, relative to the package's data/ folder */
export const DEMO_PROMPTS = { train: 'demo/train-prompts.jsonl', eval: 'demo/eval-prompts.jsonl' };

/** demoConfig without the prompt files' locations (a browser fetches data/demo/ by URL) */
export function demoSettings(o: Omit<DemoOptions, 'out'> & { out?: string }): Partial<SPPOConfig> {
  const common: Partial<SPPOConfig> = {
    model: DEMO_MODEL, judge: DEMO_JUDGE,
    ...(o.out !== undefined ? { out: o.out } : {}), backend: o.backend ?? 'auto', iterations: o.iterations ?? 3,
    // the original's loss (best and worst of K); AdamW, as RMSprop's first steps jump too far for
    // a model this small at any learning rate that still moves it within three iterations
    loss: 'sppo', eta: 10, optimizer: 'adamw', lr: 1e-4, lrSchedule: 'linear',
    // answers are short: "81" or "81 (since 23+58=81)" plus EOS
    maxNewTokens: 24, maxPromptTokens: 16, temperature: 1, topP: 1, seed: 1,
  };
  // times: the README's Quick start (measured with `sppo demo` and `sppo demo --quick`)
  const size: Partial<SPPOConfig> = o.quick
    ? { maxPrompts: 128, k: 4, epochs: 2, batchSize: 8, generateUnit: 64, trainUnit: 8, evalSize: 64 }
    : { maxPrompts: 512, k: 8, epochs: 4, batchSize: 16, generateUnit: 64, trainUnit: 16, evalSize: 256 };
  return { ...common, ...size, ...o.overrides };
}

/** Whether each response starts with the right answer to its prompt's "A op B =". */
export function arithMarks(rows: { prompt: string; response: string }[]): boolean[] {
  return rows.map(({ prompt, response }) => {
    const ans = arithAnswer(prompt);
    if (ans === null) throw new Error(`demo: prompt ${JSON.stringify(prompt)} holds no "A+B=" expression`);
    return arithCorrect(response, ans);
  });
}

const chars = (s: string) => [...s].length;
const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);

export interface DemoRow {
  /** 0 = the base model */
  iteration: number;
  /** P(π_t ≻ base) averaged over the evaluation prompts, and its 95% interval (null for the base) */
  winRate: number | null;
  ci95: [number, number] | null;
  /** fraction of evaluation answers that start with the right number */
  accuracy: number;
  /** mean answer length in characters */
  avgLength: number;
  /** the first evaluation prompt the base answers wrong or chattily (the same every iteration): its answer from the base and from π_t */
  sample: { prompt: string; before: string; after: string };
  n: number;
}

interface EvalFile { stats: EvalStats; samples: { prompt: string; response: string; baseline: string; p: number }[] }

/** The rows of an iteration's eval.json: the base (iteration 0) and π_t. */
export function rowsFromEval(iteration: number, ev: EvalFile): { base: DemoRow; row: DemoRow } {
  const s = ev.samples;
  if (!s.length) throw new Error(`demo: iteration ${iteration} evaluated no prompts`);
  const baseMarks = arithMarks(s.map((x) => ({ prompt: x.prompt, response: x.baseline })));
  // the example: the first evaluation prompt whose base answer is wrong or chatty — chosen by the
  // base's answers alone (the same prompt every iteration), never by how π_t did on it
  let pick = s.findIndex((x, i) => !baseMarks[i] || chars(x.baseline.trim()) > String(arithAnswer(x.prompt)).length);
  if (pick < 0) pick = 0;
  const sample = { prompt: s[pick].prompt, before: s[pick].baseline, after: s[pick].response };
  const marks = arithMarks(s.map((x) => ({ prompt: x.prompt, response: x.response })));
  return {
    base: { iteration: 0, winRate: null, ci95: null, accuracy: mean(baseMarks.map(Number)), avgLength: mean(s.map((x) => chars(x.baseline))), sample: { ...sample, after: sample.before }, n: s.length },
    row: { iteration, winRate: ev.stats.winRate, ci95: ev.stats.ci95, accuracy: mean(marks.map(Number)), avgLength: mean(s.map((x) => chars(x.response))), sample, n: s.length },
  };
}

export interface DemoHooks {
  /** the base model's row, once (after the first evaluation) */
  onBase?(row: DemoRow): void;
  onRow?(row: DemoRow, summary: IterationSummary): void;
  onProgress?(p: ProgressEvent): void;
  onStep?(m: StepMetrics): void;
  onLog?(msg: string): void;
}

export interface DemoResult {
  config: SPPOConfig;
  /** row 0 is the base model, then one per iteration */
  rows: DemoRow[];
  summaries: IterationSummary[];
  report: string;
  /** parameters of the embedded model */
  params: number;
  seconds: number;
}

/** the embedded demo model's parameter count */
export function demoModelParams(): number {
  return paramCount(archFromConfig(readConfigFile(builtinModelDir(DEMO_MODEL))));
}

/** Runs (or resumes) the demo; `backend` is an already created backend (else cfg.backend is created). */
export async function runDemo(o: DemoOptions, hooks: DemoHooks = {}, backend?: Backend, signal?: AbortSignal): Promise<DemoResult> {
  const t0 = Date.now();
  const cfg = resolveConfig(demoConfig(o) as Record<string, unknown>, 'demo');
  const sppo = new SPPO(cfg, backend ? await nodeDeps(cfg, backend) : undefined);
  const rows: DemoRow[] = [];
  const read = (t: number, f: string) => JSON.parse(fs.readFileSync(path.join(cfg.out, `iter-${t}`, f), 'utf8'));
  sppo.addEventListener('progress', (e) => hooks.onProgress?.((e as CustomEvent<ProgressEvent>).detail));
  sppo.addEventListener('step', (e) => hooks.onStep?.((e as CustomEvent<StepMetrics>).detail));
  sppo.addEventListener('log', (e) => hooks.onLog?.((e as CustomEvent<string>).detail));
  const addRow = (s: IterationSummary) => {
    if (rows.some((r) => r.iteration === s.iteration)) return;
    // iterations finished by an earlier run of this directory (resumed) emit no event: from disk
    for (let k = 1; k < s.iteration; k++) addRow(read(k, 'summary.json'));
    const { base, row } = rowsFromEval(s.iteration, read(s.iteration, 'eval.json'));
    if (!rows.length) { rows.push(base); hooks.onBase?.(base); }
    rows.push(row);
    hooks.onRow?.(row, s);
  };
  sppo.addEventListener('iteration', (e) => addRow((e as CustomEvent<IterationSummary>).detail));
  const summaries = await sppo.run(signal);
  for (const s of summaries) addRow(s);
  fs.writeFileSync(path.join(cfg.out, 'demo.json'), JSON.stringify({ rows }, null, 1) + '\n');
  return { config: cfg, rows, summaries, report: path.join(cfg.out, 'report.html'), params: demoModelParams(), seconds: (Date.now() - t0) / 1000 };
}
