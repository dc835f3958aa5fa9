// The intransitive-preference experiment: responses fall into three classes r, p, s with a
// cyclic preference (class i beats class i+1 with strengths 0.9, 0.7, 0.6), so no response is
// best and the Nash equilibrium is a NON-uniform mixture, computed here exactly. A tiny
// transformer policy answers one prompt with one token; it is trained for T iterations with
// SPPO, and with iterative DPO and IPO at the same budget (same samples, judge calls, steps and
// learning rate). Per iteration we report, for the last iterate and for the average of the
// iterates, the exploitability max_y P(y ≻ π) − ½ and the distance to the equilibrium.
// Magnetic SPPO is SPPO's loss with a magnet α toward μ (the initial policy, then the policy at
// every magnetEvery-th iteration): its last iterate is meant to converge, not to cycle.
// Every method runs the coordinator itself (new SPPO(config, deps).run(): its generate, judge,
// records and train stages); the example only supplies the environment — policies held as host
// weights in memory, a MemoryStore run directory — and reads each iterate's class distribution
// when the coordinator saves it.
import type { Backend } from '../../src/kernels/backend.js';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { Transformer } from '../../src/model/transformer.js';
import { packBatch } from '../../src/model/batch.js';
import type { LossName } from '../../src/train/preference.js';
import { cyclic3Judge } from '../../src/judge/cyclic3.js';
import type { PolicyText } from '../../src/sppo/policy.js';
import { SPPO, type SPPODeps } from '../../src/sppo/coordinator.js';
import type { SPPOConfig } from '../../src/sppo/config.js';
import { MemoryStore } from '../../src/sppo/env/store.js';

export const CLASSES = ['r', 'p', 's'];
export const STRENGTHS = [0.9, 0.7, 0.6];

/** A[i][j] = P(i ≻ j) − ½ for the cyclic game */
export function payoff(s = STRENGTHS): number[][] {
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) { const j = (i + 1) % 3; A[i][j] = s[i] - 0.5; A[j][i] = 0.5 - s[i]; }
  return A;
}

/** The unique fully mixed equilibrium of the antisymmetric 3×3 cyclic game: A·p = 0, Σp = 1. */
export function nashEquilibrium(s = STRENGTHS): number[] {
  const A = payoff(s);
  // p ∝ (A12, A20, A01): each row of A·p vanishes
  const v = [A[1][2], A[2][0], A[0][1]];
  const z = v[0] + v[1] + v[2];
  return v.map((x) => x / z);
}

/** max_y P(y ≻ π) − ½ = max_i (A π)_i (0 exactly at the equilibrium) */
export function exploitability(pi: number[], s = STRENGTHS): number {
  const A = payoff(s);
  return Math.max(...A.map((row) => row.reduce((t, a, j) => t + a * pi[j], 0)));
}

export const l1 = (a: number[], b: number[]) => a.reduce((t, x, i) => t + Math.abs(x - b[i]), 0);

export interface Row { method: string; iteration: number; pi: number[]; avg: number[]; exploitLast: number; exploitAvg: number; distLast: number; distAvg: number }

/** a training method: the loss, and for magnetic SPPO the magnet α and its refresh period */
export interface Method { name: string; loss: LossName; magnet?: number; magnetEvery?: number }

export interface ExperimentOptions {
  be: Backend;
  iterations: number;
  /** prompts (copies of the one prompt) × K samples per iteration */
  prompts: number; k: number;
  epochs: number; lr: number;
  /** η for SPPO (= 1/β); β for DPO/IPO */
  eta: number; beta: number;
  seed: number;
  methods?: Method[];
  onRow?: (r: Row) => void;
}

const arch: Arch = { family: 'llama', vocab: 3, hidden: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, intermediate: 32, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 8 };
const PROMPT = [0];

/** the policy's class distribution: softmax of the logits after the prompt */
async function classProbs(model: Transformer): Promise<number[]> {
  const logits = await model.be.read(model.forwardLogits(packBatch([{ prompt: PROMPT, response: [] }])));
  const m = Math.max(...logits), e = Array.from(logits.slice(0, 3), (x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** host copies of a model's weights */
async function hostWeights(model: Transformer): Promise<Map<string, Float32Array>> {
  const host = new Map<string, Float32Array>();
  for (const [n, p] of model.params) host.set(n, (await model.be.read(p)) as Float32Array);
  return host;
}

export async function runExperiment(o: ExperimentOptions): Promise<Row[]> {
  const methods: Method[] = o.methods ?? [{ name: 'SPPO', loss: 'sppo' }, { name: 'DPO', loss: 'dpo' }, { name: 'IPO', loss: 'ipo' }];
  const judge = cyclic3Judge({ classes: CLASSES });
  const ne = nashEquilibrium();
  const rows: Row[] = [];
  const init = initParams(arch, o.seed);
  const text: PolicyText = { encodePrompt: () => PROMPT, decode: (ids) => ids.map((i) => CLASSES[i] ?? '').join(''), eos: [] };
  for (const m of methods) {
    // the environment: policies by location ('init', then the coordinator's iter-t/model)
    const policies = new Map<string, Map<string, Float32Array>>([['init', init]]);
    const sum = [0, 0, 0];
    let t = 0;
    const deps: SPPODeps = {
      store: new MemoryStore(`intransitive/${m.name}`),
      backend: o.be,
      judge,
      async readPrompts(p) { throw new Error(`intransitive: prompts are inline, not read from ${p}`); },
      async loadPolicy(be, location) {
        const host = policies.get(location.replace(/^run:/, ''));
        if (!host) throw new Error(`intransitive: no policy at ${location}`);
        return { model: new Transformer(be, arch, uploadParams(be, arch, host)), text };
      },
      // the coordinator saves π_t after iteration t's update: keep it, and measure it
      async savePolicy(model, dir) {
        policies.set(dir, await hostWeights(model));
        const pi = await classProbs(model);
        t++;
        for (let c = 0; c < 3; c++) sum[c] += pi[c];
        const avg = sum.map((x) => x / t);
        const row: Row = { method: m.name, iteration: t, pi, avg, exploitLast: exploitability(pi), exploitAvg: exploitability(avg), distLast: l1(pi, ne), distAvg: l1(avg, ne) };
        rows.push(row);
        o.onRow?.(row);
      },
      // one training unit per iteration (trainUnit = epochs): nothing to resume within a run
      async saveTrainState() {},
      async loadTrainState() { return null; },
    };
    // each iteration: o.prompts copies of the prompt × K one-token samples from π_t, the judge's
    // K×K matrices, records against the frozen π_t, then `epochs` full-batch AdamW steps at a
    // constant lr (DPO and IPO: β; the SPPO losses: η)
    const cfg: Partial<SPPOConfig> = {
      model: 'init', prompts: { texts: Array.from({ length: o.prompts }, () => 'play') }, judge, out: `intransitive/${m.name}`,
      iterations: o.iterations, k: o.k, loss: m.loss, ...(m.loss.startsWith('sppo') ? { eta: o.eta } : { beta: o.beta }),
      magnet: m.magnet ?? 0, magnetEvery: m.magnetEvery ?? 1,
      optimizer: 'adamw', lr: o.lr, lrSchedule: 'constant', weightDecay: 0, maxGradNorm: 0,
      epochs: o.epochs, batchSize: o.prompts, trainUnit: o.epochs, generateUnit: o.prompts,
      maxPromptTokens: PROMPT.length, maxNewTokens: 1, temperature: 1, topP: 1, topK: 0, seed: o.seed, evalSize: 0,
    };
    await new SPPO(cfg, deps).run();
    if (t !== o.iterations) throw new Error(`intransitive: ${m.name} saved ${t} policies for ${o.iterations} iterations`);
  }
  return rows;
}
