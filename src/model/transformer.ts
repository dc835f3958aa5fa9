// The decoder-only transformer (Llama family and GPT-2) over the op interface: forward over a
// padded [B, T] batch saving activations, backward accumulating parameter gradients, and
// per-token log-probs of the next token. Runs unchanged on WebGPU and on wasm.
//
// Shapes (N = B·T tokens, C hidden, H heads, KH kv heads, D head dim, I intermediate, V vocab):
//   residual r_i (N,C); q (N,H·D); k, v (N,KH·D) — i.e. (B,T,H,D) row-major; logits (N,V).
// One layer i:  mid = r_i + attention(norm1(r_i));  r_{i+1} = mid + mlp(norm2(mid))
// Gemma-2 (a.gemma2): embeddings × √C, norms by (1 + w) (norm-weights.ts: the blocks get the
// multiplier), post-norms, GeGLU, windowed soft-capped attention (BlockOptions), soft-capped logits.
// The blocks (and what differs between Llama, Qwen2/3, Gemma-2 and GPT-2) live in layers*.ts, shared
// with the KV-cache decoder; this file holds the parameters, the activations of a (B,T) shape,
// and the order of the passes: embeddings → blocks → final norm → LM head, and back.
import { uniform } from '../sampling/rng.js';
import type { Backend, Tensor } from '../kernels/backend.js';
import { embedScale, paramSpecs, positionLimit, validateArch, type Arch } from './arch.js';
import { OffsetNormWeights } from './norm-weights.js';
import {
  attentionBackward, attentionForward, blockOptions, causalAttention, embeddingBackward, embeddingForward, linearBackward,
  linearForward, mlpBackward, mlpForward, normBackward, normForward, normKind,
  type AttentionActs, type AttentionGrads, type AttentionParams, type BlockContext, type BlockOptions, type EmbeddingParams, type Linear,
  type LinearGrads, type LoRA, type MLPActs, type MLPGrads, type MLPParams, type NormGrads, type NormParams,
} from './layers.js';
import { FusedLMHead, headChunk, lmHeadScratchBytes, type LMHeadOptions } from './lm-head.js';

/** the seeded RNG stream LoRA's A matrices draw from (sampling/rng.ts) */
const LORA_INIT_STREAM = 0x10a;

/** A padded batch of token sequences, ready for the device. */
export interface Batch {
  B: number;
  T: number;
  /** (B,T) token ids; padding slots hold any valid id (e.g. 0) */
  ids: Int32Array;
  /** (B,T) position of each token (left padding: positions start at 0 at the first real token) */
  positions: Int32Array;
  /** (B,T) 1 = real token, 0 = padding */
  keyMask: Int32Array;
  /** (B,T) the id predicted at each position (usually ids[b,t+1]) or -1 where no loss is taken */
  targets: Int32Array;
}

/** one layer's saved activations (see layers-attention.ts, layers-mlp.ts for the shapes) */
interface LayerActs {
  attn: AttentionActs;
  /** attention's lse (B·H·T), saved for its backward */
  lse: Tensor;
  /** r + attention: the attention block's output, the MLP block's input */
  mid: Tensor;
  mlp: MLPActs;
}

/** Activations and scratch for one (B,T) shape, reused across steps. */
class Workspace {
  readonly all: Tensor[] = [];
  readonly res: Tensor[] = [];
  readonly layers: LayerActs[] = [];
  readonly ids: Tensor; readonly positions: Tensor; readonly keyMask: Tensor; readonly targets: Tensor;
  readonly lnf: Tensor; readonly meanf?: Tensor; readonly rstdf: Tensor;
  // the LM head's outputs (N each) and scratch are made on first use: a score head never needs them
  private head: { lseOut: Tensor; logp: Tensor } | null = null;
  private fused: FusedLMHead | null = null;
  // the full (N,V) logits and their gradient: only on the 'full' head path and forwardLogits()
  private full: { logits: Tensor; dlogits?: Tensor } | null = null;
  get lseOut(): Tensor { return this.lm().lseOut; }
  get logp(): Tensor { return this.lm().logp; }
  get logits(): Tensor {
    if (!this.full) { this.full = { logits: this.be.tensor([this.B * this.T, this.vocab], 'f32', 'logits') }; this.all.push(this.full.logits); }
    return this.full.logits;
  }
  get dlogits(): Tensor {
    if (!this.full) void this.logits;
    const f = this.full!;
    if (!f.dlogits) { f.dlogits = this.be.tensor([this.B * this.T, this.vocab], 'f32', 'dlogits'); this.all.push(f.dlogits); }
    return f.dlogits;
  }
  private lm() {
    if (!this.head) {
      const N = this.B * this.T;
      this.head = { lseOut: this.be.tensor([N], 'f32', 'lse'), logp: this.be.tensor([N], 'f32', 'logp') };
      this.all.push(this.head.lseOut, this.head.logp);
    }
    return this.head;
  }
  /** the fused head's chunk scratch for these options (remade when they change) */
  fusedHead(C: number, o: LMHeadOptions): FusedLMHead {
    const want = headChunk(this.be, this.B * this.T, this.vocab, C, o);
    if (!this.fused || this.fused.Vc !== want) {
      this.fused?.dispose();
      this.fused = new FusedLMHead(this.be, this.B * this.T, this.vocab, C, o);
    }
    return this.fused;
  }
  readonly posTmp?: Tensor;
  // backward scratch
  readonly dres: Tensor; readonly dtmp: Tensor; readonly dln: Tensor;
  readonly dq: Tensor; readonly dk: Tensor; readonly dv: Tensor; readonly datt: Tensor;
  readonly dI1: Tensor; readonly dI2: Tensor; readonly dI3: Tensor;
  private readonly vocab: number;
  readonly qpre: Tensor; readonly kpre: Tensor;

  constructor(private be: Backend, a: Arch, readonly B: number, readonly T: number, recompute = false) {
    const N = B * T, C = a.hidden, HD = a.heads * a.headDim, KD = a.kvHeads * a.headDim, I = a.intermediate;
    const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32', label?: string) => { const x = be.tensor(shape, dtype, label); this.all.push(x); return x; };
    // what the blocks save follows their options (every layer alike today: with recomputation one
    // set of activations serves them all)
    const o = blockOptions(a, 0), layerNorm = o.norm === 'layer', qkn = o.qkNorm, glu = o.mlp !== 'gelu', post = o.postNorms;
    const learnedPos = a.family === 'gpt2';
    this.ids = t([N], 'i32', 'ids'); this.positions = t([N], 'i32', 'positions');
    this.keyMask = t([N], 'i32', 'keyMask'); this.targets = t([N], 'i32', 'targets');
    for (let i = 0; i <= a.layers; i++) this.res.push(t([N, C], 'f32', `res${i}`));
    // rotary's inputs: scratch shared by every layer
    this.qpre = t([N, HD]); this.kpre = t([N, KD]);
    for (let i = 0; i < (recompute ? 1 : a.layers); i++) {
      this.layers.push({
        attn: {
          ln: t([N, C]), mean: layerNorm ? t([N]) : undefined, rstd: t([N]),
          qraw: qkn ? t([N, HD]) : undefined, kraw: qkn ? t([N, KD]) : undefined,
          rq: qkn ? t([N * a.heads]) : undefined, rk: qkn ? t([N * a.kvHeads]) : undefined,
          qpre: this.qpre, kpre: this.kpre,
          q: t([N, HD]), k: t([N, KD]), v: t([N, KD]), att: t([N, HD]),
          ao: post ? t([N, C]) : undefined, prstd: post ? t([N]) : undefined,
        },
        lse: t([B * a.heads * T]),
        mid: t([N, C]),
        mlp: {
          ln: t([N, C]), mean: layerNorm ? t([N]) : undefined, rstd: t([N]), fc: t([N, I]), up: glu ? t([N, I]) : undefined, act: t([N, I]),
          fo: post ? t([N, C]) : undefined, prstd: post ? t([N]) : undefined,
        },
      });
    }
    this.lnf = t([N, C]); this.meanf = normKind(a) === 'layer' ? t([N]) : undefined; this.rstdf = t([N]);
    this.vocab = a.vocab;
    if (learnedPos) this.posTmp = t([N, C]);
    this.dres = t([N, C]); this.dtmp = t([N, C]); this.dln = t([N, C]);
    this.dq = t([N, HD]); this.dk = t([N, KD]); this.dv = t([N, KD]); this.datt = t([N, HD]);
    this.dI1 = t([N, I]); this.dI2 = t([N, I]); this.dI3 = t([N, I]);
  }
  dispose(): void { for (const x of this.all) this.be.dispose(x); this.all.length = 0; this.fused?.dispose(); this.fused = null; }
  /** bytes held (activations, scratch, the fused head's chunks) — what the memory planner counts as reusable */
  bytes(C: number): number {
    let n = 0;
    for (const x of this.all) n += 4 * x.size;
    // the fused head's chunks (and kept logits) as held now, at least what a training pass makes
    if (this.fused) n += Math.max(this.fused.bytes(), lmHeadScratchBytes(this.B * this.T, this.vocab, C, true));
    return n;
  }
}

export class Transformer {
  readonly params = new Map<string, Tensor>();
  /** the dtype of the checkpoint it was loaded from (saveModel writes it again by default) */
  sourceDtype?: 'F32' | 'F16' | 'BF16';
  grads: Map<string, Tensor> | null = null;
  private ws: Workspace | null = null;
  /** the batch of the last forward (backward uses its device copies) */
  private last: Batch | null = null;
  /** which head the last forward ran ('hidden': forwardHidden/forwardLogits alone, no log-probs) */
  private lastHead: 'fused' | 'full' | 'hidden' = 'hidden';

  /**
   * The LM head's path: 'fused' (default) computes log-probs chunk by chunk over the vocabulary
   * (src/model/lm-head.ts) and never allocates N×V; 'full' materialises the (N,V) logits and
   * their gradient — the old path, kept to compare against (tests, `npm run bench -- lmhead`).
   */
  lmHeadMode: 'fused' | 'full' = 'fused';
  /** the fused head's chunking (columns per chunk, or a byte budget per (N,Vc) chunk) */
  lmHeadOptions: LMHeadOptions = {};

  /** each layer's options (what the blocks compute; see layers.ts) */
  readonly blocks: BlockOptions[];

  constructor(readonly be: Backend, readonly arch: Arch, params: Map<string, Tensor>) {
    validateArch(arch);
    this.blocks = Array.from({ length: arch.layers }, (_, i) => blockOptions(arch, i));
    for (const s of paramSpecs(arch)) {
      const p = params.get(s.name);
      if (!p) throw new Error(`model: parameter ${s.name} is missing`);
      const want = s.shape.reduce((x, y) => x * y, 1);
      if (p.size !== want) throw new Error(`model: parameter ${s.name} has ${p.size} elements, expected [${s.shape.join(', ')}]`);
      this.params.set(s.name, p);
    }
    // Gemma's norms multiply by (1 + w): the blocks get that multiplier (norm-weights.ts)
    if (arch.gemma2) this.normW = new OffsetNormWeights(be, 1, paramSpecs(arch).filter((s) => /(^|\.)(ln1|an|ln2|mn|norm)\.w$/.test(s.name)).map((s) => s.name));
  }

  /** Gemma-2: the (1 + w) multipliers of its norms (null elsewhere) */
  private readonly normW: OffsetNormWeights | null = null;
  /** recompute Gemma's (1 + w) multipliers from the current weights (each forward does; the KV decoder once) */
  refreshNormWeights(): void { this.normW?.refresh((n) => this.p(n)); }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`model: no parameter ${name}`);
    return t;
  }
  private gr(name: string): Tensor | null { return this.grads?.get(name) ?? null; }
  /** an optional parameter (biases some configs have) */
  private op(name: string): Tensor | undefined { return this.params.get(name); }
  private lmHead(): Tensor { return this.arch.tied ? this.p('embed') : this.p('lm_head.w'); }

  /**
   * Activation recomputation: keep only the residual stream in forward and rebuild each block's
   * activations during backward (one block's worth of memory instead of all; ~1/3 more compute).
   */
  recompute = false;

  /** which parameters train (all by default; only the adapters once LoRA is enabled) */
  trainable: (name: string) => boolean = () => true;
  /** LoRA adapters by linear name (e.g. 'l0.q'): A (r, in), B (out, r), scale α/r */
  readonly lora = new Map<string, LoRA>();
  /** per-linear saved x·Aᵀ (N, r) for the adapters' backward, per workspace shape */
  private loraActs = new Map<string, Tensor>();
  private loraShape = '';
  private dxa: Tensor | null = null;
  /** stand-ins for the gradients of frozen norm weights (computed, then ignored), by size and w/b
   *  (a LayerNorm's weight and bias are the same size and need two) */
  private scratchGrads = new Map<string, Tensor>();

  /** the parameters that train (what an optimizer should update) */
  trainableParams(): Map<string, Tensor> {
    return new Map([...this.params].filter(([n]) => this.trainable(n)));
  }

  /** parameters held 16-bit on the device (frozen weights loaded with weights: 'keep') */
  halfParams(): string[] { return [...this.params].filter(([, t]) => t.dtype === 'bf16' || t.dtype === 'f16').map(([n]) => n); }

  /**
   * Widen 16-bit parameters to f32 on the device (all, or those `which` selects): the f32
   * master copy full fine-tuning trains. Exact (every 16-bit value is an f32).
   */
  async widenParams(which: (name: string) => boolean = () => true): Promise<void> {
    if (this.grads) throw new Error('model: widen parameters before the first zeroGrad()');
    for (const name of this.halfParams()) {
      if (!which(name)) continue;
      const t = this.params.get(name)!;
      const f = this.be.fromArray((await this.be.read(t)) as Float32Array, t.shape, 'f32', name);
      this.params.set(name, f);
      this.be.dispose(t);
    }
  }

  /** Allocate (once) and zero the gradients of the trainable parameters. */
  zeroGrad(): void {
    if (!this.grads) {
      const half = this.halfParams().filter((n) => this.trainable(n));
      if (half.length) {
        throw new Error(`model: ${half.length} parameter${half.length > 1 ? 's' : ''} to train ${half.length > 1 ? 'are' : 'is'} 16-bit (${half.slice(0, 3).join(', ')}${half.length > 3 ? ', ...' : ''}): trained weights need an f32 master copy — await model.widenParams() first, load with weights: 'f32', or train LoRA adapters on the frozen 16-bit base`);
      }
      this.grads = new Map();
      for (const [name, p] of this.params) if (this.trainable(name)) this.grads.set(name, this.be.tensor(p.shape, 'f32', 'grad.' + name));
    }
    for (const g of this.grads.values()) this.be.fill(g, 0);
  }

  /** the gradient of a norm weight, or a scratch tensor when it is frozen */
  private grs(name: string): Tensor {
    const g = this.gr(name);
    if (g) return g;
    const n = this.p(name).size, key = `${n}${name.endsWith('.b') ? 'b' : 'w'}`;
    let t = this.scratchGrads.get(key);
    if (!t) { t = this.be.tensor([n], 'f32', 'frozen-grad'); this.scratchGrads.set(key, t); }
    return t;
  }

  /**
   * Add LoRA adapters (Hu et al. 2021) to the named projections of every layer: W x + (α/r)·B A x,
   * A ~ N(0, 1/r)·…, B = 0 (so the model starts unchanged). From then on only the adapters train.
   * targets: any of q, k, v, o, gate, up, down (llama) or q, k, v, o, fc, proj (gpt2).
   */
  enableLoRA(o: { rank: number; alpha: number; targets: string[]; seed?: number }): void {
    if (this.grads) throw new Error('model: enable LoRA before the first zeroGrad()');
    if (!Number.isInteger(o.rank) || o.rank < 1) throw new Error(`LoRA: rank must be a positive integer, got ${o.rank}`);
    const valid = this.arch.family === 'gpt2' ? ['q', 'k', 'v', 'o', 'fc', 'proj'] : ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
    for (const t of o.targets) if (!valid.includes(t)) throw new Error(`LoRA: unknown target "${t}": use ${valid.join(', ')}`);
    const draw = uniform(o.seed ?? 0, LORA_INIT_STREAM), rnd = () => draw() - 0.5; // A ~ U(−bound, bound)
    for (let i = 0; i < this.arch.layers; i++) {
      for (const t of o.targets) {
        const name = `l${i}.${t}`;
        const w = this.p(name + '.w');
        const [out, inF] = w.shape;
        // PEFT's default: A kaiming-uniform(a=√5) → U(±1/√in); B zeros
        const bound = 1 / Math.sqrt(inF);
        const aData = Float32Array.from({ length: o.rank * inF }, () => 2 * bound * rnd());
        const a = this.be.fromArray(aData, [o.rank, inF], 'f32', name + '.lora_a');
        const b = this.be.tensor([out, o.rank], 'f32', name + '.lora_b');
        this.be.fill(b, 0);
        this.params.set(name + '.lora_a', a);
        this.params.set(name + '.lora_b', b);
        this.lora.set(name, { a, b, rank: o.rank, scale: o.alpha / o.rank });
      }
    }
    this.trainable = (n) => n.endsWith('.lora_a') || n.endsWith('.lora_b');
  }

  /**
   * Values [offset, offset+count) of parameter `name` (row-major, f32 — 16-bit weights widened),
   * its LoRA adapter folded in when merge is set and it has one: W + (α/r)·B A, summed in the
   * same order for any slicing, so the values are the same to the bit. What saveModel streams, and
   * what mergedParams() reads whole.
   */
  async mergedSlice(name: string, offset: number, count: number, merge = true): Promise<Float32Array> {
    const t = this.p(name);
    const w = (await this.be.read(t, offset, count)) as Float32Array;
    const l = merge && name.endsWith('.w') ? this.lora.get(name.slice(0, -2)) : undefined;
    if (!l) return w;
    const A = (await this.be.read(l.a)) as Float32Array, B = (await this.be.read(l.b)) as Float32Array;
    const inF = t.shape[1];
    for (let o = Math.floor(offset / inF); o * inF < offset + count; o++) {
      const i0 = Math.max(0, offset - o * inF), i1 = Math.min(inF, offset + count - o * inF);
      for (let r = 0; r < l.rank; r++) {
        const bv = B[o * l.rank + r] * l.scale;
        if (bv === 0) continue;
        const at = o * inF - offset;
        for (let i = i0; i < i1; i++) w[at + i] += bv * A[r * inF + i];
      }
    }
    return w;
  }

  /** Host copies of the weights with the adapters folded in (W + (α/r)·B A), without adapter tensors. */
  async mergedParams(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [n, t] of this.params) if (!n.includes('.lora_')) out.set(n, await this.mergedSlice(n, 0, t.size));
    return out;
  }

  /** the saved x·Aᵀ (N, r) of LoRA linear `name` for the current workspace shape */
  private loraAct(name: string, N: number, rank: number): Tensor {
    const key = `${this.ws!.B}x${this.ws!.T}`;
    if (key !== this.loraShape) {
      this.releaseLoRAActs();
      this.loraShape = key;
    }
    let t = this.loraActs.get(name);
    if (!t) { t = this.be.tensor([N, rank], 'f32', name + '.xa'); this.loraActs.set(name, t); }
    return t;
  }

  /** an (N, r) scratch for a LoRA backward's d(x·Aᵀ), shared by every linear */
  private loraDxa(N: number, rank: number): Tensor {
    if (!this.dxa || this.dxa.size !== N * rank) { if (this.dxa) this.be.dispose(this.dxa); this.dxa = this.be.tensor([N * rank], 'f32', 'lora-dxa'); }
    return this.dxa;
  }

  /** the linear `name`: W `name.w` (outF, inF), its bias `name.b` where the config has one, its LoRA adapters where enabled */
  linear(name: string, inF: number, outF: number): Linear {
    return { name, w: this.p(name + '.w'), b: this.op(name + '.b'), lora: this.lora.get(name), inF, outF };
  }
  private linearGrads(name: string): LinearGrads {
    return { w: this.gr(name + '.w'), b: this.gr(name + '.b'), loraA: this.gr(name + '.lora_a'), loraB: this.gr(name + '.lora_b') };
  }
  /** a norm's parameters as the ops take them: its weight, or Gemma's 1 + w (the gradient goes to w all the same) */
  private norm(name: string): NormParams { return { w: this.normW ? this.normW.get(name + '.w') : this.p(name + '.w'), b: this.op(name + '.b') }; }
  private normGrads(name: string): NormGrads {
    return { w: this.grs(name + '.w'), b: this.params.has(name + '.b') ? this.grs(name + '.b') : undefined };
  }

  /** layer i's parameters as the blocks take them (training and the KV decoder alike) */
  blockParams(i: number): { attn: AttentionParams; mlp: MLPParams } {
    const a = this.arch, l = `l${i}.`, C = a.hidden, HD = a.heads * a.headDim, KD = a.kvHeads * a.headDim, I = a.intermediate;
    const o = this.blocks[i], glu = o.mlp !== 'gelu';
    return {
      attn: {
        norm: this.norm(l + 'ln1'),
        q: this.linear(l + 'q', C, HD), k: this.linear(l + 'k', C, KD), v: this.linear(l + 'v', C, KD), o: this.linear(l + 'o', HD, C),
        qNorm: o.qkNorm ? this.norm(l + 'qn') : undefined, kNorm: o.qkNorm ? this.norm(l + 'kn') : undefined,
        postNorm: o.postNorms ? this.norm(l + 'an') : undefined,
      },
      mlp: {
        norm: this.norm(l + 'ln2'),
        fc: this.linear(l + (glu ? 'gate' : 'fc'), C, I), up: glu ? this.linear(l + 'up', C, I) : undefined, down: this.linear(l + (glu ? 'down' : 'proj'), I, C),
        postNorm: o.postNorms ? this.norm(l + 'mn') : undefined,
      },
    };
  }
  private blockGrads(i: number): { attn: AttentionGrads; mlp: MLPGrads } {
    const l = `l${i}.`, o = this.blocks[i], glu = o.mlp !== 'gelu';
    return {
      attn: {
        norm: this.normGrads(l + 'ln1'),
        q: this.linearGrads(l + 'q'), k: this.linearGrads(l + 'k'), v: this.linearGrads(l + 'v'), o: this.linearGrads(l + 'o'),
        qNorm: o.qkNorm ? this.normGrads(l + 'qn') : undefined, kNorm: o.qkNorm ? this.normGrads(l + 'kn') : undefined,
        postNorm: o.postNorms ? this.normGrads(l + 'an') : undefined,
      },
      mlp: {
        norm: this.normGrads(l + 'ln2'),
        fc: this.linearGrads(l + (glu ? 'gate' : 'fc')), up: glu ? this.linearGrads(l + 'up') : undefined, down: this.linearGrads(l + (glu ? 'down' : 'proj')),
        postNorm: o.postNorms ? this.normGrads(l + 'mn') : undefined,
      },
    };
  }
  /** the token (and GPT-2 position) tables */
  embeddingParams(): EmbeddingParams { return { embed: this.p('embed'), pos: this.op('pos_embed'), scale: embedScale(this.arch) }; }
  /** the norm after the last block */
  finalNormParams(): NormParams { return this.norm('norm'); }
  /** the LM head as a linear (C → V; the token embedding when tied) */
  headLinear(): Linear { return { name: 'lm_head', w: this.lmHead(), inF: this.arch.hidden, outF: this.arch.vocab }; }
  /** Gemma-2's final-logit soft cap (undefined: none) */
  get finalSoftcap(): number | undefined { return this.arch.gemma2?.finalSoftcap; }
  /** the fused head's options: the model's chunking, and the architecture's final-logit soft cap */
  private headOptions(): LMHeadOptions {
    const cap = this.finalSoftcap;
    return cap ? { ...this.lmHeadOptions, softcap: cap } : this.lmHeadOptions;
  }

  /** the blocks' view of a (B, T) pass: LoRA's saved products live here, per linear */
  private context(B: number, T: number, positions: Tensor): BlockContext {
    const N = B * T;
    return { be: this.be, B, T, positions, loraXA: (l) => this.loraAct(l.name, N, l.lora!.rank), loraDXA: (l) => this.loraDxa(N, l.lora!.rank) };
  }

  /** bytes of what the next pass re-sizes (workspace, LoRA's saved products): the planner counts them as free */
  workspaceBytes(): number {
    let n = 0;
    if (this.ws) n += this.ws.bytes(this.arch.hidden);
    for (const t of this.loraActs.values()) n += 4 * t.size;
    if (this.dxa) n += 4 * this.dxa.size;
    return n;
  }

  /** frees the activations of the last shape (the next forward allocates them anew) */
  releaseWorkspace(): void {
    this.ws?.dispose(); this.ws = null; this.last = null;
    this.releaseLoRAActs();
  }

  /** LoRA's saved products and backward scratch (sized for one workspace shape) */
  private releaseLoRAActs(): void {
    for (const t of this.loraActs.values()) this.be.dispose(t);
    this.loraActs.clear(); this.loraShape = '';
    if (this.dxa) { this.be.dispose(this.dxa); this.dxa = null; }
  }

  private workspace(B: number, T: number): Workspace {
    if (!this.ws || this.ws.B !== B || this.ws.T !== T || this.ws.layers.length !== (this.recompute ? 1 : this.arch.layers)) {
      this.ws?.dispose();
      this.ws = new Workspace(this.be, this.arch, B, T, this.recompute);
    }
    return this.ws;
  }

  /**
   * Forward over a batch; returns the per-token log-probs (N) of the targets (0 where
   * target = -1) and lse (N) = log Σ_v exp(logit). No (N,V) logits are formed on the default
   * fused head. Activations stay saved for backward().
   * keepLogits: the fused head keeps every chunk's logits (N×V floats) so that backward() need
   * not recompute them — for a training pass whose memory plan has room (Plan.keepLogits).
   */
  forward(batch: Batch, o: { keepLogits?: boolean } = {}): { logp: Tensor; lse: Tensor } {
    this.forwardHidden(batch);
    const ws = this.ws!, a = this.arch, be = this.be;
    if (this.lmHeadMode === 'full') {
      linearForward(be, ws.logits, ws.lnf, this.headLinear(), batch.B * batch.T);
      if (this.finalSoftcap) be.softcap(ws.logits, ws.logits, this.finalSoftcap);
      be.tokenLogprobs(ws.logp, ws.lseOut, ws.logits, ws.targets);
    } else {
      ws.fusedHead(a.hidden, this.headOptions()).forward(ws.logp, ws.lseOut, ws.lnf, this.lmHead(), ws.targets, !!o.keepLogits);
    }
    this.lastHead = this.lmHeadMode;
    return { logp: ws.logp, lse: ws.lseOut };
  }

  /**
   * The full next-token logits (N, V) of a batch — allocates N×V floats, so only for callers
   * that need every logit (tests against reference logits); log-probs and training use forward().
   */
  forwardLogits(batch: Batch): Tensor {
    this.forwardHidden(batch);
    const ws = this.ws!;
    linearForward(this.be, ws.logits, ws.lnf, this.headLinear(), batch.B * batch.T);
    if (this.finalSoftcap) this.be.softcap(ws.logits, ws.logits, this.finalSoftcap);
    return ws.logits;
  }

  /**
   * The trunk only: the final normed hidden states (N, C) — what a score head (reward model,
   * pairwise judge) reads. Activations stay saved for backwardHidden().
   */
  forwardHidden(batch: Batch): Tensor {
    const a = this.arch, be = this.be;
    const { B, T } = batch;
    const N = B * T;
    if (a.family === 'gpt2') {
      let maxPos = 0;
      for (let i = 0; i < N; i++) maxPos = Math.max(maxPos, batch.positions[i]);
      if (maxPos >= a.maxPositions) throw new Error(`model: position ${maxPos} is past GPT-2's n_positions=${a.maxPositions}: shorten the sequence`);
    }
    const lim = positionLimit(a);
    if (lim.limit !== Infinity) {
      // a sliding window would need masking; LongRoPE's long factors another rotary
      let maxPos = 0;
      for (let i = 0; i < N; i++) if (batch.keyMask[i]) maxPos = Math.max(maxPos, batch.positions[i]);
      if (maxPos >= lim.limit) throw new Error(`model: position ${maxPos} reaches ${lim.why}: use sequences of at most ${lim.limit} tokens`);
    }
    for (let i = 0; i < N; i++) {
      const id = batch.ids[i];
      // a padding slot (keyMask 0) may hold -1 (packBatch's PAD_ID): its embedding is zeros
      if (id === -1 && !batch.keyMask[i]) continue;
      if (id < 0 || id >= a.vocab) throw new Error(`model: token id ${id} at position ${i} is outside the vocabulary (0..${a.vocab - 1})`);
      const tg = batch.targets[i];
      if (tg >= a.vocab) throw new Error(`model: target id ${tg} at position ${i} is outside the vocabulary`);
    }
    const ws = this.workspace(B, T);
    be.write(ws.ids, batch.ids); be.write(ws.positions, batch.positions);
    be.write(ws.keyMask, batch.keyMask); be.write(ws.targets, batch.targets);
    this.last = batch;
    this.lastHead = 'hidden';
    this.refreshNormWeights();
    // embeddings; with recomputation only the residual stream is kept (one block's activations are rebuilt in backward)
    embeddingForward(be, ws.res[0], ws.ids, ws.positions, this.embeddingParams(), ws.posTmp ?? ws.dtmp);
    const ctx = this.context(B, T, ws.positions);
    for (let i = 0; i < a.layers; i++) this.layerForward(ctx, i, ws.layers[this.recompute ? 0 : i], ws.res[i], ws.res[i + 1]);
    normForward(be, normKind(this.arch), a.normEps, ws.lnf, { mean: ws.meanf, rstd: ws.rstdf }, ws.res[a.layers], this.finalNormParams());
    return ws.lnf;
  }

  /** one layer's forward from residual x into out (x + attention, then + MLP), saving its activations in L */
  private layerForward(ctx: BlockContext, i: number, L: LayerActs, x: Tensor, out: Tensor): void {
    const o = this.blocks[i], p = this.blockParams(i);
    attentionForward(ctx, o, p.attn, L.attn, x, L.mid, causalAttention(ctx, o, this.ws!.keyMask, L.lse));
    mlpForward(ctx, o, p.mlp, L.mlp, L.mid, out);
  }

  /**
   * Backward from dlogp (N): d(loss)/d(logp of each token). Accumulates into this.grads
   * (call zeroGrad() first). Uses the activations of the last forward().
   */
  backward(dlogp: Tensor): void {
    if (!this.ws || !this.last) throw new Error('model: backward() needs a forward() first');
    if (!this.grads) throw new Error('model: call zeroGrad() before backward()');
    const a = this.arch, be = this.be, ws = this.ws;
    const { B, T } = this.last;
    const N = B * T, C = a.hidden;
    const headGrad = a.tied ? this.gr('embed') : this.gr('lm_head.w');
    if (this.lastHead === 'full') {
      be.tokenLogprobsBackward(ws.dlogits, ws.logits, ws.targets, ws.lseOut, dlogp);
      if (this.finalSoftcap) be.softcapBackward(ws.dlogits, ws.logits, ws.dlogits, this.finalSoftcap);
      linearBackward(be, ws.dln, ws.dlogits, ws.lnf, this.headLinear(), { w: headGrad, b: null, loraA: null, loraB: null }, N);
    } else if (this.lastHead === 'fused') {
      ws.fusedHead(C, this.headOptions()).backward(ws.dln, headGrad, ws.lnf, this.lmHead(), ws.targets, ws.lseOut, dlogp);
    } else {
      throw new Error('model: backward() needs forward() (log-probs) first; forwardHidden()/forwardLogits() go with backwardHidden()');
    }
    this.trunkBackward();
  }

  /** Backward from d(final hidden) (N, C), e.g. a score head's gradient; accumulates into grads. */
  backwardHidden(dhidden: Tensor): void {
    if (!this.ws || !this.last) throw new Error('model: backwardHidden() needs a forwardHidden() first');
    if (!this.grads) throw new Error('model: call zeroGrad() before backwardHidden()');
    this.be.copy(this.ws.dln, dhidden);
    this.trunkBackward();
  }

  /** from ws.dln = d(final norm output) down to the embeddings */
  private trunkBackward(): void {
    const a = this.arch, be = this.be, ws = this.ws!;
    const { B, T } = this.last!;
    normBackward(be, normKind(this.arch), ws.dres, this.normGrads('norm'), ws.dln, ws.res[a.layers], this.finalNormParams(), { mean: ws.meanf, rstd: ws.rstdf });
    const ctx = this.context(B, T, ws.positions);
    // ws.dres: d(residual), carried down through the layers; ws also holds the blocks' backward scratch
    for (let i = a.layers - 1; i >= 0; i--) {
      const x = ws.res[i];
      if (this.recompute) this.layerForward(ctx, i, ws.layers[0], x, ws.res[i + 1]);
      const L = ws.layers[this.recompute ? 0 : i], o = this.blocks[i], p = this.blockParams(i), g = this.blockGrads(i);
      mlpBackward(ctx, o, p.mlp, g.mlp, L.mlp, ws, L.mid, ws.dres);
      // the first block's input gradient feeds only the embeddings' (and its norm's): with those
      // frozen (LoRA) the q/k/v input products and the norm's backward are skipped
      const needDx = i > 0 || !!(this.gr('embed') || this.gr('pos_embed') || this.gr('l0.ln1.w') || this.gr('l0.ln1.b'));
      attentionBackward(ctx, o, p.attn, g.attn, L.attn, ws, x, ws.dres, causalAttention(ctx, o, ws.keyMask, L.lse), needDx);
    }
    embeddingBackward(be, { embed: this.gr('embed'), pos: this.gr('pos_embed') }, ws.dres, ws.ids, ws.positions, embedScale(a), ws.dtmp);
  }

  dispose(): void {
    this.releaseWorkspace();
    this.normW?.dispose();
    for (const t of this.scratchGrads.values()) this.be.dispose(t);
    this.scratchGrads.clear();
    if (this.grads) for (const g of this.grads.values()) this.be.dispose(g);
    this.grads = null;
  }
}
