// The decoder-only transformer (Llama family and GPT-2) over the op interface: forward over a
// padded [B, T] batch saving activations, backward accumulating parameter gradients, and
// per-token log-probs of the next token. Runs unchanged on WebGPU and on wasm.
//
// Shapes (N = B·T tokens, C hidden, H heads, KH kv heads, D head dim, I intermediate, V vocab):
//   residual r_i (N,C); q (N,H·D); k, v (N,KH·D) — i.e. (B,T,H,D) row-major; logits (N,V).
// Llama block:  h = rmsnorm(r); q,k,v = h Wᵀ (+b); rope(q,k); a = attn(q,k,v); r += a Woᵀ;
//               h = rmsnorm(r); r += (silu(h Wgᵀ) ⊙ h Wuᵀ) Wdᵀ
//   Qwen3 (qkNorm): q, k = rmsnorm over each head's D values (weight (D)) of h Wᵀ, then rope —
//               the norm runs on the (N·H, D) view of q (N, H·D), so the row ops serve as they are
// GPT-2 block:  h = layernorm(r); q,k,v = h Wᵀ + b; a = attn; r += a Woᵀ + bo;
//               h = layernorm(r); r += gelu(h Wfcᵀ + bfc) Wprojᵀ + bproj
import type { Backend, Tensor } from '../kernels/backend.js';
import { paramSpecs, validateArch, type Arch } from './arch.js';
import { linearBackward, linearForward } from './layers.js';
import { FusedLMHead, headChunk, lmHeadScratchBytes, type LMHeadOptions } from './lm-head.js';

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

interface LayerActs {
  ln1: Tensor; mean1?: Tensor; rstd1: Tensor;
  q: Tensor; k: Tensor; v: Tensor; att: Tensor; lse: Tensor;
  /** qkNorm: the projections before the per-head norm, (N, H·D) / (N, KH·D), and its rstd (N·H) / (N·KH) */
  qraw?: Tensor; kraw?: Tensor; rq?: Tensor; rk?: Tensor;
  /** r + attn: the input of the second norm */
  mid: Tensor;
  ln2: Tensor; mean2?: Tensor; rstd2: Tensor;
  /** llama: gate, up, swiglu out; gpt2: fc pre-activation in g, gelu out in act */
  g: Tensor; u?: Tensor; act: Tensor;
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
    const gpt2 = a.family === 'gpt2', qkn = !!a.qkNorm;
    this.ids = t([N], 'i32', 'ids'); this.positions = t([N], 'i32', 'positions');
    this.keyMask = t([N], 'i32', 'keyMask'); this.targets = t([N], 'i32', 'targets');
    for (let i = 0; i <= a.layers; i++) this.res.push(t([N, C], 'f32', `res${i}`));
    for (let i = 0; i < (recompute ? 1 : a.layers); i++) {
      this.layers.push({
        ln1: t([N, C]), mean1: gpt2 ? t([N]) : undefined, rstd1: t([N]),
        q: t([N, HD]), k: t([N, KD]), v: t([N, KD]), att: t([N, HD]), lse: t([B * a.heads * T]),
        mid: t([N, C]), ln2: t([N, C]), mean2: gpt2 ? t([N]) : undefined, rstd2: t([N]),
        g: t([N, I]), u: gpt2 ? undefined : t([N, I]), act: t([N, I]),
        qraw: qkn ? t([N, HD]) : undefined, kraw: qkn ? t([N, KD]) : undefined,
        rq: qkn ? t([N * a.heads]) : undefined, rk: qkn ? t([N * a.kvHeads]) : undefined,
      });
    }
    this.lnf = t([N, C]); this.meanf = gpt2 ? t([N]) : undefined; this.rstdf = t([N]);
    this.vocab = a.vocab;
    if (gpt2) this.posTmp = t([N, C]);
    this.dres = t([N, C]); this.dtmp = t([N, C]); this.dln = t([N, C]);
    this.dq = t([N, HD]); this.dk = t([N, KD]); this.dv = t([N, KD]); this.datt = t([N, HD]);
    this.dI1 = t([N, I]); this.dI2 = t([N, I]); this.dI3 = t([N, I]);
    this.qpre = t([N, HD]); this.kpre = t([N, KD]);
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

  constructor(readonly be: Backend, readonly arch: Arch, params: Map<string, Tensor>) {
    validateArch(arch);
    for (const s of paramSpecs(arch)) {
      const p = params.get(s.name);
      if (!p) throw new Error(`model: parameter ${s.name} is missing`);
      const want = s.shape.reduce((x, y) => x * y, 1);
      if (p.size !== want) throw new Error(`model: parameter ${s.name} has ${p.size} elements, expected [${s.shape.join(', ')}]`);
      this.params.set(s.name, p);
    }
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`model: no parameter ${name}`);
    return t;
  }
  private gr(name: string): Tensor | null { return this.grads?.get(name) ?? null; }
  /** an optional parameter (biases some configs have) */
  op(name: string): Tensor | undefined { return this.params.get(name); }
  private lmHead(): Tensor { return this.arch.tied ? this.p('embed') : this.p('lm_head.w'); }

  /**
   * Activation recomputation: keep only the residual stream in forward and rebuild each block's
   * activations during backward (one block's worth of memory instead of all; ~1/3 more compute).
   */
  recompute = false;

  /** which parameters train (all by default; only the adapters once LoRA is enabled) */
  trainable: (name: string) => boolean = () => true;
  /** LoRA adapters by linear name (e.g. 'l0.q'): A (r, in), B (out, r), scale α/r */
  readonly lora = new Map<string, { a: Tensor; b: Tensor; rank: number; scale: number }>();
  /** per-linear saved x·Aᵀ (N, r) for the adapters' backward, per workspace shape */
  private loraActs = new Map<string, Tensor>();
  private loraShape = '';
  private dxa: Tensor | null = null;
  /** stand-ins for the gradients of frozen norm weights (computed, then ignored) */
  private scratchGrads = new Map<number, Tensor>();

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
    const n = this.p(name).size;
    let t = this.scratchGrads.get(n);
    if (!t) { t = this.be.tensor([n], 'f32', 'frozen-grad'); this.scratchGrads.set(n, t); }
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
    let seed = (o.seed ?? 0) * 2654435761 >>> 0 || 1;
    const rnd = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296 - 0.5; };
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
   * same order as mergedParams(), so the values are the same to the bit. What saveModel streams.
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
    for (const [n, t] of this.params) if (!n.includes('.lora_')) out.set(n, (await this.be.read(t)) as Float32Array);
    for (const [name, l] of this.lora) {
      const w = out.get(name + '.w')!;
      const A = (await this.be.read(l.a)) as Float32Array, B = (await this.be.read(l.b)) as Float32Array;
      const [outF, inF] = this.p(name + '.w').shape;
      const merged = w.slice();
      for (let o = 0; o < outF; o++) for (let r = 0; r < l.rank; r++) {
        const bv = B[o * l.rank + r] * l.scale;
        if (bv === 0) continue;
        for (let i = 0; i < inF; i++) merged[o * inF + i] += bv * A[r * inF + i];
      }
      out.set(name + '.w', merged);
    }
    return out;
  }

  private loraAct(name: string, N: number, rank: number): Tensor {
    const key = `${this.ws!.B}x${this.ws!.T}`;
    if (key !== this.loraShape) {
      for (const t of this.loraActs.values()) this.be.dispose(t);
      this.loraActs.clear();
      if (this.dxa) { this.be.dispose(this.dxa); this.dxa = null; }
      this.loraShape = key;
    }
    let t = this.loraActs.get(name);
    if (!t) { t = this.be.tensor([N, rank], 'f32', name + '.xa'); this.loraActs.set(name, t); }
    return t;
  }

  /** y (N,out) = x Wᵀ (+ b) (+ (α/r)·(x Aᵀ) Bᵀ) for the linear `name` */
  private linF(name: string, y: Tensor, x: Tensor, N: number, inF: number, outF: number): void {
    linearForward(this.be, y, x, this.p(name + '.w'), this.op(name + '.b'), N, inF, outF);
    const l = this.lora.get(name);
    if (!l) return;
    const xa = this.loraAct(name, N, l.rank);
    this.be.matmul(xa, x, l.a, { m: N, n: l.rank, k: inF, transB: true });
    this.be.matmul(y, xa, l.b, { m: N, n: outF, k: l.rank, transB: true, accumulate: true, alpha: l.scale });
  }

  /** inference projection (the KV decoder): like linF, with the caller's (N, r) scratch for x·Aᵀ */
  project(name: string, y: Tensor, x: Tensor, N: number, inF: number, outF: number, scratch: () => Tensor): void {
    linearForward(this.be, y, x, this.p(name + '.w'), this.op(name + '.b'), N, inF, outF);
    const l = this.lora.get(name);
    if (!l) return;
    const xa = scratch();
    this.be.matmul(xa, x, l.a, { m: N, n: l.rank, k: inF, transB: true });
    this.be.matmul(y, xa, l.b, { m: N, n: outF, k: l.rank, transB: true, accumulate: true, alpha: l.scale });
  }

  /** backward of linF: dx written (or added), parameter gradients accumulated where trainable */
  /** dx null: the input needs no gradient (only the weight's and the adapter's are made) */
  private linB(name: string, dx: Tensor | null, dy: Tensor, x: Tensor, N: number, inF: number, outF: number, accumulateDx = false): void {
    linearBackward(this.be, dx, this.gr(name + '.w'), this.gr(name + '.b'), dy, x, this.p(name + '.w'), N, inF, outF, accumulateDx);
    const l = this.lora.get(name);
    if (!l) return;
    const be = this.be, xa = this.loraActs.get(name)!;
    if (!this.dxa || this.dxa.size !== N * l.rank) { if (this.dxa) be.dispose(this.dxa); this.dxa = be.tensor([N * l.rank], 'f32', 'lora-dxa'); }
    const dxa = this.dxa;
    const gB = this.gr(name + '.lora_b'), gA = this.gr(name + '.lora_a');
    if (gB) be.matmul(gB, dy, xa, { m: outF, n: l.rank, k: N, transA: true, accumulate: true, alpha: l.scale });
    be.matmul(dxa, dy, l.b, { m: N, n: l.rank, k: outF, alpha: l.scale });
    if (gA) be.matmul(gA, dxa, x, { m: l.rank, n: inF, k: N, transA: true, accumulate: true });
    if (dx) be.matmul(dx, dxa, l.a, { m: N, n: inF, k: l.rank, accumulate: true });
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
      linearForward(be, ws.logits, ws.lnf, this.lmHead(), undefined, batch.B * batch.T, a.hidden, a.vocab);
      be.tokenLogprobs(ws.logp, ws.lseOut, ws.logits, ws.targets);
    } else {
      ws.fusedHead(a.hidden, this.lmHeadOptions).forward(ws.logp, ws.lseOut, ws.lnf, this.lmHead(), ws.targets, !!o.keepLogits);
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
    const ws = this.ws!, a = this.arch;
    linearForward(this.be, ws.logits, ws.lnf, this.lmHead(), undefined, batch.B * batch.T, a.hidden, a.vocab);
    return ws.logits;
  }

  /**
   * The trunk only: the final normed hidden states (N, C) — what a score head (reward model,
   * pairwise judge) reads. Activations stay saved for backwardHidden().
   */
  forwardHidden(batch: Batch): Tensor {
    const a = this.arch, be = this.be;
    const { B, T } = batch;
    const N = B * T, C = a.hidden, H = a.heads, KH = a.kvHeads, D = a.headDim, I = a.intermediate;
    if (a.family === 'gpt2') {
      let maxPos = 0;
      for (let i = 0; i < N; i++) maxPos = Math.max(maxPos, batch.positions[i]);
      if (maxPos >= a.maxPositions) throw new Error(`model: position ${maxPos} is past GPT-2's n_positions=${a.maxPositions}: shorten the sequence`);
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
    const gpt2 = a.family === 'gpt2';
    // embeddings
    be.embedding(ws.res[0], this.p('embed'), ws.ids);
    if (gpt2) {
      be.embedding(ws.posTmp!, this.p('pos_embed'), ws.positions);
      be.axpy(ws.res[0], ws.posTmp!, 1);
    }
    // with recomputation only the residual stream is kept; one block's activations are rebuilt in backward
    for (let i = 0; i < a.layers; i++) this.layerForward(i, ws.layers[this.recompute ? 0 : i], ws.res[i], ws.res[i + 1]);
    const last = ws.res[a.layers];
    if (gpt2) be.layernorm(ws.lnf, ws.meanf!, ws.rstdf, last, this.p('norm.w'), this.p('norm.b'), a.normEps);
    else be.rmsnorm(ws.lnf, ws.rstdf, last, this.p('norm.w'), a.normEps);
    return ws.lnf;
  }

  /** one block's forward from residual x into out, saving its activations in L */
  private layerForward(i: number, L: LayerActs, x: Tensor, out: Tensor): void {
    const a = this.arch, be = this.be, ws = this.ws!;
    const { B, T } = ws;
    const N = B * T, C = a.hidden, H = a.heads, KH = a.kvHeads, D = a.headDim, I = a.intermediate;
    const gpt2 = a.family === 'gpt2', l = `l${i}.`;
    const attnOpts = { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D, keyMask: ws.keyMask };
    const ropeOpts = (heads: number) => ({ batch: B, seq: T, heads, headDim: D, theta: a.ropeTheta, layout: 'half' as const });
    // --- attention ---
    if (gpt2) be.layernorm(L.ln1, L.mean1!, L.rstd1, x, this.p(l + 'ln1.w'), this.p(l + 'ln1.b'), a.normEps);
    else be.rmsnorm(L.ln1, L.rstd1, x, this.p(l + 'ln1.w'), a.normEps);
    if (gpt2) {
      this.linF(l + 'q', L.q, L.ln1, N, C, H * D);
      this.linF(l + 'k', L.k, L.ln1, N, C, KH * D);
    } else if (a.qkNorm) {
      // Qwen3: project, RMSNorm each head's D values ((N·H, D) rows), then rope
      this.linF(l + 'q', L.qraw!, L.ln1, N, C, H * D);
      this.linF(l + 'k', L.kraw!, L.ln1, N, C, KH * D);
      be.rmsnorm(ws.qpre, L.rq!, L.qraw!, this.p(l + 'qn.w'), a.normEps);
      be.rmsnorm(ws.kpre, L.rk!, L.kraw!, this.p(l + 'kn.w'), a.normEps);
      be.rope(L.q, ws.qpre, ws.positions, ropeOpts(H));
      be.rope(L.k, ws.kpre, ws.positions, ropeOpts(KH));
    } else {
      this.linF(l + 'q', ws.qpre, L.ln1, N, C, H * D);
      this.linF(l + 'k', ws.kpre, L.ln1, N, C, KH * D);
      be.rope(L.q, ws.qpre, ws.positions, ropeOpts(H));
      be.rope(L.k, ws.kpre, ws.positions, ropeOpts(KH));
    }
    this.linF(l + 'v', L.v, L.ln1, N, C, KH * D);
    be.attention(L.att, L.lse, L.q, L.k, L.v, attnOpts);
    // out = x + att Woᵀ (+bo): projection into out, then add the residual
    this.linF(l + 'o', out, L.att, N, H * D, C);
    be.axpy(out, x, 1);
    // --- MLP --- (out now holds r + attn; ln2 normalises it; the MLP adds onto it)
    if (gpt2) {
      be.layernorm(L.ln2, L.mean2!, L.rstd2, out, this.p(l + 'ln2.w'), this.p(l + 'ln2.b'), a.normEps);
      this.linF(l + 'fc', L.g, L.ln2, N, C, I);
      be.gelu(L.act, L.g);
      // the MLP output goes to dtmp (scratch), then is added to the residual
      this.linF(l + 'proj', ws.dtmp, L.act, N, I, C);
    } else {
      be.rmsnorm(L.ln2, L.rstd2, out, this.p(l + 'ln2.w'), a.normEps);
      this.linF(l + 'gate', L.g, L.ln2, N, C, I);
      this.linF(l + 'up', L.u!, L.ln2, N, C, I);
      be.swiglu(L.act, L.g, L.u!);
      this.linF(l + 'down', ws.dtmp, L.act, N, I, C);
    }
    be.copy(L.mid, out); // saved for backward: the second norm's input
    be.axpy(out, ws.dtmp, 1);
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
    const N = B * T, C = a.hidden, V = a.vocab;
    const headGrad = a.tied ? this.gr('embed') : this.gr('lm_head.w');
    if (this.lastHead === 'full') {
      be.tokenLogprobsBackward(ws.dlogits, ws.logits, ws.targets, ws.lseOut, dlogp);
      linearBackward(be, ws.dln, headGrad, null, ws.dlogits, ws.lnf, this.lmHead(), N, C, V);
    } else if (this.lastHead === 'fused') {
      ws.fusedHead(C, this.lmHeadOptions).backward(ws.dln, headGrad, ws.lnf, this.lmHead(), ws.targets, ws.lseOut, dlogp);
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
    const N = B * T, C = a.hidden, H = a.heads, KH = a.kvHeads, D = a.headDim, I = a.intermediate;
    const gpt2 = a.family === 'gpt2';
    const last = ws.res[a.layers];
    if (gpt2) be.layernormBackward(ws.dres, this.grs('norm.w'), this.grs('norm.b'), ws.dln, last, this.p('norm.w'), ws.meanf!, ws.rstdf);
    else be.rmsnormBackward(ws.dres, this.grs('norm.w'), ws.dln, last, this.p('norm.w'), ws.rstdf);
    const attnOpts = { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D, keyMask: ws.keyMask };
    const ropeInv = (heads: number) => ({ batch: B, seq: T, heads, headDim: D, theta: a.ropeTheta, layout: 'half' as const, inverse: true });
    for (let i = a.layers - 1; i >= 0; i--) {
      const x = ws.res[i], l = `l${i}.`;
      if (this.recompute) this.layerForward(i, ws.layers[0], x, ws.res[i + 1]);
      const L = ws.layers[this.recompute ? 0 : i], mid = L.mid;
      // ---- MLP: out = mid + mlp(norm(mid)); dres holds d(out) ----
      if (gpt2) {
        this.linB(l + 'proj', ws.dI1, ws.dres, L.act, N, I, C);
        be.geluBackward(ws.dI2, L.g, ws.dI1);
        this.linB(l + 'fc', ws.dln, ws.dI2, L.ln2, N, C, I);
        be.layernormBackward(ws.dtmp, this.grs(l + 'ln2.w'), this.grs(l + 'ln2.b'), ws.dln, mid, this.p(l + 'ln2.w'), L.mean2!, L.rstd2);
      } else {
        // dact → (dgate, dup)
        this.linB(l + 'down', ws.dI1, ws.dres, L.act, N, I, C);
        be.swigluBackward(ws.dI2, ws.dI3, ws.dI1, L.g, L.u!);
        this.linB(l + 'gate', ws.dln, ws.dI2, L.ln2, N, C, I);
        this.linB(l + 'up', ws.dln, ws.dI3, L.ln2, N, C, I, true);
        be.rmsnormBackward(ws.dtmp, this.grs(l + 'ln2.w'), ws.dln, mid, this.p(l + 'ln2.w'), L.rstd2);
      }
      be.axpy(ws.dres, ws.dtmp, 1); // d(mid) = d(out) + through the MLP
      // ---- attention: mid = x + attn(norm(x)) ----
      this.linB(l + 'o', ws.datt, ws.dres, L.att, N, H * D, C);
      be.attentionBackward(ws.dq, ws.dk, ws.dv, ws.datt, L.q, L.k, L.v, L.att, L.lse, attnOpts);
      let dqIn = ws.dq, dkIn = ws.dk;
      if (!gpt2) {
        be.rope(ws.qpre, ws.dq, ws.positions, ropeInv(H));
        be.rope(ws.kpre, ws.dk, ws.positions, ropeInv(KH));
        dqIn = ws.qpre; dkIn = ws.kpre;
        if (a.qkNorm) {
          // through the per-head norms: d(raw projection) into dq/dk (free once rope is undone)
          be.rmsnormBackward(ws.dq, this.grs(l + 'qn.w'), ws.qpre, L.qraw!, this.p(l + 'qn.w'), L.rq!);
          be.rmsnormBackward(ws.dk, this.grs(l + 'kn.w'), ws.kpre, L.kraw!, this.p(l + 'kn.w'), L.rk!);
          dqIn = ws.dq; dkIn = ws.dk;
        }
      }
      // the first block's input gradient feeds only the embeddings' (and its norm weight's): with
      // those frozen (LoRA) the q/k/v input products and the norm's backward are skipped
      if (i === 0 && !this.gr('embed') && !(gpt2 && this.gr('pos_embed')) && !this.gr(l + 'ln1.w') && !this.gr(l + 'ln1.b')) {
        this.linB(l + 'q', null, dqIn, L.ln1, N, C, H * D);
        this.linB(l + 'k', null, dkIn, L.ln1, N, C, KH * D);
        this.linB(l + 'v', null, ws.dv, L.ln1, N, C, KH * D);
        continue;
      }
      this.linB(l + 'q', ws.dln, dqIn, L.ln1, N, C, H * D);
      this.linB(l + 'k', ws.dln, dkIn, L.ln1, N, C, KH * D, true);
      this.linB(l + 'v', ws.dln, ws.dv, L.ln1, N, C, KH * D, true);
      if (gpt2) be.layernormBackward(ws.dtmp, this.grs(l + 'ln1.w'), this.grs(l + 'ln1.b'), ws.dln, x, this.p(l + 'ln1.w'), L.mean1!, L.rstd1);
      else be.rmsnormBackward(ws.dtmp, this.grs(l + 'ln1.w'), ws.dln, x, this.p(l + 'ln1.w'), L.rstd1);
      be.axpy(ws.dres, ws.dtmp, 1); // d(x)
    }
    if (this.gr('embed')) be.embeddingBackward(this.gr('embed')!, ws.dres, ws.ids);
    if (gpt2 && this.gr('pos_embed')) be.embeddingBackward(this.gr('pos_embed')!, ws.dres, ws.positions);
  }

  dispose(): void {
    this.ws?.dispose(); this.ws = null;
    for (const t of this.loraActs.values()) this.be.dispose(t);
    this.loraActs.clear();
    for (const t of this.scratchGrads.values()) this.be.dispose(t);
    this.scratchGrads.clear();
    if (this.dxa) { this.be.dispose(this.dxa); this.dxa = null; }
    if (this.grads) for (const g of this.grads.values()) this.be.dispose(g);
    this.grads = null;
  }
}
