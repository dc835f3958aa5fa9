// The policy as the coordinator sees it: a transformer on a backend plus its text codec,
// sampling K responses per prompt with per-sequence seeded streams (so a resumed run samples
// exactly what an uninterrupted one would have).
import type { Transformer } from '../model/transformer.js';
import { generate } from '../model/generate.js';
import { planPass } from '../model/plan.js';
import { Sampler, SamplerRng, type SampleConfig } from '../sampling/index.js';
import type { PromptItem } from './prompts.js';

/** Text in and out of a policy (tokenizer + chat template). */
export interface PolicyText {
  /** prompt → token ids, BOS and chat template applied as the model expects */
  encodePrompt(item: PromptItem): number[];
  /** response ids → text (special tokens skipped) */
  decode(ids: number[]): string;
  /** ids that end a response */
  eos: number[];
  /** response text → ids (no special tokens); needed to train on offline data */
  encodeResponse?(text: string): number[];
}

export interface SampleOptions {
  k: number;
  maxNewTokens: number;
  sample: SampleConfig;
  /** one random stream per (prompt index, sample) from this seed */
  seed: number | bigint;
  stop?: string[];
  /** rows per decode batch (prompts × K are split into batches of at most this) */
  maxBatch?: number;
  signal?: AbortSignal;
  onStep?: () => void;
  /** sample only the (prompt position, k) rows this accepts (others stay undefined in the
   *  result); each row keeps its own stream, so a row samples the same tokens either way */
  only?: (prompt: number, k: number) => boolean;
}

export class Policy {
  private sampler: Sampler | null = null;
  constructor(readonly model: Transformer, readonly text: PolicyText) {}

  /**
   * K responses for each prompt: ids[p][k]. The stream of (prompt.index, k) is
   * SamplerRng.fromSeed(seed, prompt.index·1024 + k), independent of batching.
   */
  async sample(prompts: { item: PromptItem; ids: number[] }[], o: SampleOptions): Promise<number[][][]> {
    const V = this.model.arch.vocab;
    const rows: { p: number; k: number; ids: number[]; rng: SamplerRng }[] = [];
    prompts.forEach((pr, p) => {
      for (let k = 0; k < o.k; k++) if (!o.only || o.only(p, k)) rows.push({ p, k, ids: pr.ids, rng: SamplerRng.fromSeed(o.seed, BigInt(pr.item.index) * 1024n + BigInt(k)) });
    });
    // rows per decode batch within the memory budget (plan.ts): KV cache, prefill activations,
    // logits; a training workspace still held is freed first (the planner counts it as free)
    const P = Math.max(1, ...prompts.map((p) => p.ids.length));
    this.model.releaseWorkspace();
    const maxBatch = planPass(this.model, { mode: 'decode', rows: o.maxBatch ?? 64, seq: P + Math.max(1, o.maxNewTokens), prefill: P, what: 'generation' }).rows;
    if (!this.sampler || this.sampler.maxBatch < maxBatch) this.sampler = await Sampler.create(V, maxBatch);
    const sampler = this.sampler;
    const out: number[][][] = prompts.map(() => new Array(o.k));
    const stops = (o.stop ?? []).filter((s) => s.length > 0);
    const c = o.sample;
    const penalised = (c.repetitionPenalty ?? 1) !== 1 || (c.frequencyPenalty ?? 0) !== 0 || (c.presencePenalty ?? 0) !== 0;
    for (let i = 0; i < rows.length; i += maxBatch) {
      const chunk = rows.slice(i, i + maxBatch);
      const rngs = chunk.map((r) => r.rng);
      // the EOS token a row ended with stays part of its response (as in TRL's DPO/SPPO data): the
      // log-probs the update trains then include the decision to stop, so preferences about
      // length reach it directly. A row's first EOS pick is the one that ended it.
      const eosSet = new Set(this.text.eos), ended: number[] = new Array(chunk.length).fill(-1);
      const res = await generate(this.model, chunk.map((r) => r.ids), {
        maxNewTokens: o.maxNewTokens,
        eos: this.text.eos,
        signal: o.signal,
        onStep: () => o.onStep?.(),
        // penalties (repetition, frequency, presence) count the prompt and the tokens so far, as HF does
        picker: {
          pick: (logits, B, _V, history) => {
            const toks = sampler.sample(logits.subarray(0, B * V), o.sample, rngs, penalised ? history : undefined).tokens.slice(0, B);
            for (let b = 0; b < B; b++) if (ended[b] < 0 && eosSet.has(toks[b])) ended[b] = toks[b];
            return toks;
          },
        },
        stop: stops.length ? (_row, toks) => {
          const text = this.text.decode(toks);
          return stops.some((s) => text.includes(s));
        } : undefined,
      });
      chunk.forEach((r, j) => {
        let toks = res.tokens[j];
        if (res.finish[j] === 'stop') toks = cutAtStop(toks, stops, (t) => this.text.decode(t));
        else if (res.finish[j] === 'eos') toks = [...toks, ended[j]];
        out[r.p][r.k] = toks;
      });
    }
    return out;
  }
}

/** shortest prefix of toks whose text contains no stop string (the stop string is dropped) */
function cutAtStop(toks: number[], stops: string[], decode: (t: number[]) => string): number[] {
  for (let n = 0; n <= toks.length; n++) {
    const t = decode(toks.slice(0, n));
    if (stops.some((s) => t.includes(s))) return toks.slice(0, Math.max(0, n - 1));
  }
  return toks;
}
