// Batched generation: prefill the prompts into a KV cache, then sample one token per row per
// step until every row has stopped (EOS, a stop condition, or max new tokens).
import type { Transformer } from './transformer.js';
import { KVDecoder } from './decode.js';

/** Chooses the next token of each row from its logits (B rows of V) — the sampler plugs in here. */
export interface TokenPicker {
  pick(logits: Float32Array, B: number, V: number, history: number[][]): Int32Array | Promise<Int32Array>;
}

export const greedyPicker: TokenPicker = {
  pick(logits, B, V) {
    const out = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let best = 0, bv = -Infinity;
      for (let v = 0; v < V; v++) if (logits[b * V + v] > bv) { bv = logits[b * V + v]; best = v; }
      out[b] = best;
    }
    return out;
  },
};

export interface GenerateOptions {
  maxNewTokens: number;
  /** token ids that end a row (the EOS token is kept out of the returned tokens) */
  eos?: number[];
  picker?: TokenPicker;
  /** extra stop test on a row's generated tokens so far (e.g. stop strings); true ends the row */
  stop?: (row: number, tokens: number[]) => boolean;
  /** progress callback, once per decode step */
  onStep?: (step: number, active: number) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  tokens: number[][];
  /** 'eos' | 'stop' | 'length' per row */
  finish: ('eos' | 'stop' | 'length')[];
}

export async function generate(model: Transformer, prompts: ArrayLike<number>[], o: GenerateOptions): Promise<GenerateResult> {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const V = model.arch.vocab;
  const picker = o.picker ?? greedyPicker;
  const eos = new Set(o.eos ?? []);
  const dec = new KVDecoder(model, B, P + Math.max(1, o.maxNewTokens));
  const tokens: number[][] = prompts.map(() => []);
  const history: number[][] = prompts.map((p) => Array.from(p));
  const finish: ('eos' | 'stop' | 'length')[] = prompts.map(() => 'length');
  const done = new Array(B).fill(false);
  try {
    let logits = await dec.prefill(prompts);
    for (let step = 0; step < o.maxNewTokens; step++) {
      if (o.signal?.aborted) throw new Error('generate: aborted');
      const next = await picker.pick(logits, B, V, history);
      let active = 0;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const t = next[b];
        if (eos.has(t)) { done[b] = true; finish[b] = 'eos'; continue; }
        tokens[b].push(t);
        history[b].push(t);
        if (o.stop?.(b, tokens[b])) { done[b] = true; finish[b] = 'stop'; continue; }
        active++;
      }
      o.onStep?.(step, active);
      if (active === 0 || step === o.maxNewTokens - 1) break;
      logits = await dec.step(next);
    }
  } finally {
    dec.dispose();
  }
  return { tokens, finish };
}
