// Sampler: a batch of logits [B, V] (f32, row-major) → one token per row, plus the chosen
// token's log-probability under the final (penalised, tempered, truncated) distribution and
// under the raw softmax of the logits as given. The hot loops (max, exp, sums, top-k selection,
// top-p cut, draw) run in the AssemblyScript module assembly/sampler/ (SIMD); this file lays out
// its memory, copies rows in, and turns error codes into messages.
//   const sampler = await Sampler.create(vocabSize, maxBatch);
//   const rngs = prompts.map((_, i) => SamplerRng.fromSeed(seed, i));   // one per sequence
//   const { tokens, logprobs, rawLogprobs } = sampler.sample(logits, { temperature: 0.7, topP: 0.9 }, rngs, histories);
// Rows are independent and processed in order; greedy rows (temperature 0) draw nothing from
// their rng. Each instance owns its own wasm memory (about 24·V bytes + 8 KiB plus the history).
// Works in Node, Deno and browsers: WebAssembly + atob only, no node: imports.
import wasmBase64 from '../generated/wasm-sampler.js';
import { resolveSampleConfig, type ResolvedSampleConfig, type SampleConfig } from './config.js';
import type { SamplerRng } from './rng.js';

interface SamplerExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  configure(vocab: number, padded: number, raw: number, y: number, e: number, sv: number, se: number, cnt: number, hist: number): void;
  rngNextU32(state: number): number;
  rngNextDouble(state: number): number;
  sampleRow(hist: number, h: number, state: number, out: number,
    temperature: number, topK: number, topP: number, minP: number, rep: number, freq: number, pres: number): number;
}

export interface SampleResult {
  /** chosen token per row */
  tokens: Int32Array;
  /** log p(token) under the distribution actually sampled from (0 for greedy rows) */
  logprobs: Float64Array;
  /** log softmax(logits)[token] of the logits as passed in (before penalties and temperature) */
  rawLogprobs: Float64Array;
}

let compiled: Promise<WebAssembly.Module> | undefined;
function samplerModule(): Promise<WebAssembly.Module> {
  if (!compiled) {
    const bin = atob(wasmBase64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = WebAssembly.compile(bytes);
  }
  return compiled;
}

const PAGE = 65536;
const MAX_VOCAB = 1 << 24;

export class Sampler {
  readonly vocabSize: number;
  readonly maxBatch: number;
  private readonly w: SamplerExports;
  private readonly padded: number;
  private readonly raw: number;
  private readonly statePtr: number;
  private readonly outPtr: number;
  private readonly histPtr: number;
  private histCap = 0;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private u32!: Uint32Array;
  private f64!: Float64Array;

  /** Compile (once per process) and instantiate the sampler for a vocabulary of `vocabSize`. */
  static async create(vocabSize: number, maxBatch = 1): Promise<Sampler> {
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_VOCAB) throw new RangeError(`Sampler: vocabSize ${vocabSize} must be an integer in [1, ${MAX_VOCAB}]`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`Sampler: maxBatch ${maxBatch} must be a positive integer`);
    const inst = await WebAssembly.instantiate(await samplerModule(), {});
    return new Sampler(inst.exports as unknown as SamplerExports, vocabSize, maxBatch);
  }

  private constructor(w: SamplerExports, vocabSize: number, maxBatch: number) {
    this.w = w;
    this.vocabSize = vocabSize;
    this.maxBatch = maxBatch;
    const vp = (this.padded = (vocabSize + 3) & ~3);
    const row = vp * 4;
    const base = (w.heapBase() + 15) & ~15;
    this.raw = base;
    const y = base + row, e = y + row, sv = e + row, se = sv + row, cnt = se + row;
    const bins = cnt + row; // f64[1024] weight-bin histogram
    this.statePtr = bins + 1024 * 8;
    this.outPtr = this.statePtr + 16;
    this.histPtr = this.outPtr + 32;
    this.ensure(this.histPtr + 4096 * 4);
    w.configure(vocabSize, vp, base, y, e, sv, se, cnt, bins);
    this.f32.fill(-Infinity, this.raw / 4 + vocabSize, this.raw / 4 + vp); // pad lanes never win
  }

  /** Grow the instance's memory to hold `bytes` and refresh the views. */
  private ensure(bytes: number): void {
    const mem = this.w.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / PAGE));
    if (!this.f32 || this.f32.buffer !== mem.buffer) {
      this.f32 = new Float32Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
      this.u32 = new Uint32Array(mem.buffer);
      this.f64 = new Float64Array(mem.buffer);
    }
    this.histCap = (mem.buffer.byteLength - this.histPtr) >> 2;
  }

  /**
   * Sample one token per row of `logits` (length B·V, B ≤ maxBatch).
   * configs: one config for every row, or one per row. rngs: one SamplerRng per row (advanced in
   * place; may be omitted for greedy rows). history: per row, the token ids the penalties count
   * (needed only where a penalty is set). `out` (optional) receives the results to avoid allocation.
   */
  sample(logits: Float32Array, configs: SampleConfig | readonly SampleConfig[],
    rngs?: readonly (SamplerRng | null | undefined)[], history?: readonly (ArrayLike<number> | null | undefined)[],
    out?: SampleResult): SampleResult {
    const V = this.vocabSize;
    if (!(logits instanceof Float32Array)) throw new TypeError('Sampler.sample: logits must be a Float32Array of B·V values');
    const B = logits.length / V;
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`Sampler.sample: logits has ${logits.length} values, not a positive multiple of the vocabulary size ${V}`);
    if (B > this.maxBatch) throw new RangeError(`Sampler.sample: batch of ${B} rows exceeds maxBatch ${this.maxBatch}; create the Sampler with a larger maxBatch`);
    const perRow = Array.isArray(configs);
    if (perRow && (configs as readonly SampleConfig[]).length !== B) throw new RangeError(`Sampler.sample: ${(configs as readonly SampleConfig[]).length} configs for ${B} rows; pass one per row or a single config`);
    if (rngs && rngs.length !== B) throw new RangeError(`Sampler.sample: ${rngs.length} rngs for ${B} rows; pass one SamplerRng per row`);
    if (history && history.length !== B) throw new RangeError(`Sampler.sample: ${history.length} histories for ${B} rows; pass one per row (null for none)`);
    const res = out ?? { tokens: new Int32Array(B), logprobs: new Float64Array(B), rawLogprobs: new Float64Array(B) };
    if (res.tokens.length < B || res.logprobs.length < B || res.rawLogprobs.length < B) throw new RangeError(`Sampler.sample: out arrays are shorter than the batch (${B})`);
    const shared = perRow ? undefined : resolveSampleConfig(configs as SampleConfig);
    for (let r = 0; r < B; r++) {
      const c = shared ?? resolveSampleConfig((configs as readonly SampleConfig[])[r]);
      this.sampleOne(logits.subarray(r * V, r * V + V), c, rngs?.[r], history?.[r], r, res);
    }
    return res;
  }

  private sampleOne(row: Float32Array, c: ResolvedSampleConfig, rng: SamplerRng | null | undefined,
    hist: ArrayLike<number> | null | undefined, r: number, res: SampleResult): void {
    const w = this.w;
    const penalised = c.repetitionPenalty !== 1 || c.frequencyPenalty !== 0 || c.presencePenalty !== 0;
    const h = penalised && hist ? hist.length : 0;
    if (h > this.histCap) this.ensure(this.histPtr + h * 4 + 4096 * 4);
    this.f32.set(row, this.raw >> 2);
    if (h > 0) {
      if (hist instanceof Int32Array) this.i32.set(hist, this.histPtr >> 2);
      else {
        const at = this.histPtr >> 2;
        for (let j = 0; j < h; j++) {
          const t = hist![j];
          this.i32[at + j] = Number.isInteger(t) ? t : -1; // non-integers are reported as out of range
        }
      }
    }
    const sp = this.statePtr >> 2;
    if (c.temperature > 0) {
      if (!rng) throw new TypeError(`Sampler.sample: row ${r} samples (temperature ${c.temperature}) but has no SamplerRng; pass SamplerRng.fromSeed(seed) for it`);
      this.u32.set(rng.state, sp);
    }
    const topK = c.topK >= this.vocabSize ? 0 : c.topK;
    const tok = w.sampleRow(this.histPtr, h, this.statePtr, this.outPtr,
      c.temperature, topK, c.topP, c.minP, c.repetitionPenalty, c.frequencyPenalty, c.presencePenalty);
    if (tok < 0) this.fail(tok, r, c, hist);
    if (c.temperature > 0) rng!.state.set(this.u32.subarray(sp, sp + 4));
    const o = this.outPtr >> 3;
    res.tokens[r] = tok;
    res.logprobs[r] = this.f64[o];
    res.rawLogprobs[r] = this.f64[o + 1];
  }

  private fail(code: number, r: number, c: ResolvedSampleConfig, hist: ArrayLike<number> | null | undefined): never {
    const detail = this.i32[(this.outPtr >> 2) + 4];
    switch (code) {
      case -1: throw new RangeError(`Sampler.sample: row ${r} has a NaN logit at token ${detail}: the model produced NaN (check the forward pass and the learning rate); nothing can be sampled from it`);
      case -2: throw new RangeError(`Sampler.sample: row ${r} has a +Infinity logit at token ${detail}: the model overflowed (check the forward pass); logits must be finite or -Infinity`);
      case -3: throw new RangeError(`Sampler.sample: row ${r} has every logit -Infinity (every token masked); leave at least one token unmasked`);
      case -4: throw new RangeError(`Sampler.sample: row ${r} history[${detail}] = ${hist?.[detail]} is not a token id in [0, ${this.vocabSize}); pass the sequence's token ids`);
      case -5: throw new RangeError(`Sampler.sample: row ${r}: after penalties and temperature ${c.temperature} the largest logit is not finite; raise the temperature (0 = greedy) or lower the penalties`);
      default: throw new Error(`Sampler.sample: row ${r}: unknown sampler error code ${code}`);
    }
  }

  /** n raw 32-bit outputs of `rng` (advancing it): the same generator the sampler draws from. */
  randomU32(rng: SamplerRng, n: number): Uint32Array {
    const sp = this.statePtr >> 2;
    this.u32.set(rng.state, sp);
    const outArr = new Uint32Array(n);
    for (let i = 0; i < n; i++) outArr[i] = this.w.rngNextU32(this.statePtr) >>> 0;
    rng.state.set(this.u32.subarray(sp, sp + 4));
    return outArr;
  }

  /** n uniform doubles in [0, 1) from `rng` (53 bits from two outputs each), as the sampler draws them. */
  randomDouble(rng: SamplerRng, n: number): Float64Array {
    const sp = this.statePtr >> 2;
    this.u32.set(rng.state, sp);
    const outArr = new Float64Array(n);
    for (let i = 0; i < n; i++) outArr[i] = this.w.rngNextDouble(this.statePtr);
    rng.state.set(this.u32.subarray(sp, sp + 4));
    return outArr;
  }
}
