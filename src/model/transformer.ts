// The decoder-only transformer (Llama family and GPT-2) over the op interface: forward over a
// padded [B, T] batch saving activations, backward accumulating parameter gradients, and
// per-token log-probs of the next token. Runs unchanged on WebGPU and on wasm.
//
// Shapes (N = B·T tokens, C hidden, H heads, KH kv heads, D head dim, I intermediate, V vocab):
//   residual r_i (N,C); q (N,H·D); k, v (N,KH·D) — i.e. (B,T,H,D) row-major; logits (N,V).
// Llama block:  h = rmsnorm(r); q,k,v = h Wᵀ (+b); rope(q,k); a = attn(q,k,v); r += a Woᵀ;
//               h = rmsnorm(r); r += (silu(h Wgᵀ) ⊙ h Wuᵀ) Wdᵀ
// GPT-2 block:  h = layernorm(r); q,k,v = h Wᵀ + b; a = attn; r += a Woᵀ + bo;
//               h = layernorm(r); r += gelu(h Wfcᵀ + bfc) Wprojᵀ + bproj
import type { Backend, Tensor } from '../kernels/backend.js';
import { paramSpecs, validateArch, type Arch } from './arch.js';
import { linearBackward, linearForward } from './layers.js';

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
  readonly logits: Tensor; readonly lseOut: Tensor; readonly logp: Tensor;
  readonly posTmp?: Tensor;
  // backward scratch
  readonly dres: Tensor; readonly dtmp: Tensor; readonly dln: Tensor;
  readonly dq: Tensor; readonly dk: Tensor; readonly dv: Tensor; readonly datt: Tensor;
  readonly dI1: Tensor; readonly dI2: Tensor; readonly dI3: Tensor; readonly dlogits: Tensor;
  readonly qpre: Tensor; readonly kpre: Tensor;

  constructor(private be: Backend, a: Arch, readonly B: number, readonly T: number) {
    const N = B * T, C = a.hidden, HD = a.heads * a.headDim, KD = a.kvHeads * a.headDim, I = a.intermediate;
    const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32', label?: string) => { const x = be.tensor(shape, dtype, label); this.all.push(x); return x; };
    const gpt2 = a.family === 'gpt2';
    this.ids = t([N], 'i32', 'ids'); this.positions = t([N], 'i32', 'positions');
    this.keyMask = t([N], 'i32', 'keyMask'); this.targets = t([N], 'i32', 'targets');
    for (let i = 0; i <= a.layers; i++) this.res.push(t([N, C], 'f32', `res${i}`));
    for (let i = 0; i < a.layers; i++) {
      this.layers.push({
        ln1: t([N, C]), mean1: gpt2 ? t([N]) : undefined, rstd1: t([N]),
        q: t([N, HD]), k: t([N, KD]), v: t([N, KD]), att: t([N, HD]), lse: t([B * a.heads * T]),
        mid: t([N, C]), ln2: t([N, C]), mean2: gpt2 ? t([N]) : undefined, rstd2: t([N]),
        g: t([N, I]), u: gpt2 ? undefined : t([N, I]), act: t([N, I]),
      });
    }
    this.lnf = t([N, C]); this.meanf = gpt2 ? t([N]) : undefined; this.rstdf = t([N]);
    this.logits = t([N, a.vocab], 'f32', 'logits'); this.lseOut = t([N]); this.logp = t([N], 'f32', 'logp');
    if (gpt2) this.posTmp = t([N, C]);
    this.dres = t([N, C]); this.dtmp = t([N, C]); this.dln = t([N, C]);
    this.dq = t([N, HD]); this.dk = t([N, KD]); this.dv = t([N, KD]); this.datt = t([N, HD]);
    this.dI1 = t([N, I]); this.dI2 = t([N, I]); this.dI3 = t([N, I]); this.dlogits = t([N, a.vocab], 'f32', 'dlogits');
    this.qpre = t([N, HD]); this.kpre = t([N, KD]);
  }
  dispose(): void { for (const x of this.all) this.be.dispose(x); this.all.length = 0; }
}

export class Transformer {
  readonly params = new Map<string, Tensor>();
  grads: Map<string, Tensor> | null = null;
  private ws: Workspace | null = null;
  /** the batch of the last forward (backward uses its device copies) */
  private last: Batch | null = null;

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

  /** Allocate (once) and zero the parameter gradients. */
  zeroGrad(): void {
    if (!this.grads) {
      this.grads = new Map();
      for (const [name, p] of this.params) this.grads.set(name, this.be.tensor(p.shape, 'f32', 'grad.' + name));
    }
    for (const g of this.grads.values()) this.be.fill(g, 0);
  }

  private workspace(B: number, T: number): Workspace {
    if (!this.ws || this.ws.B !== B || this.ws.T !== T) {
      this.ws?.dispose();
      this.ws = new Workspace(this.be, this.arch, B, T);
    }
    return this.ws;
  }

  /**
   * Forward over a batch; returns the per-token log-prob tensor (N) of the targets
   * (0 where target = -1). Activations stay saved for backward().
   */
  forward(batch: Batch): { logp: Tensor; logits: Tensor } {
    this.forwardHidden(batch);
    const ws = this.ws!, a = this.arch, be = this.be;
    linearForward(be, ws.logits, ws.lnf, this.lmHead(), undefined, batch.B * batch.T, a.hidden, a.vocab);
    be.tokenLogprobs(ws.logp, ws.lseOut, ws.logits, ws.targets);
    return { logp: ws.logp, logits: ws.logits };
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
      if (id < 0 || id >= a.vocab) throw new Error(`model: token id ${id} at position ${i} is outside the vocabulary (0..${a.vocab - 1})`);
      const tg = batch.targets[i];
      if (tg >= a.vocab) throw new Error(`model: target id ${tg} at position ${i} is outside the vocabulary`);
    }
    const ws = this.workspace(B, T);
    be.write(ws.ids, batch.ids); be.write(ws.positions, batch.positions);
    be.write(ws.keyMask, batch.keyMask); be.write(ws.targets, batch.targets);
    this.last = batch;
    const gpt2 = a.family === 'gpt2';
    // embeddings
    be.embedding(ws.res[0], this.p('embed'), ws.ids);
    if (gpt2) {
      be.embedding(ws.posTmp!, this.p('pos_embed'), ws.positions);
      be.axpy(ws.res[0], ws.posTmp!, 1);
    }
    const attnOpts = { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D, keyMask: ws.keyMask };
    const ropeOpts = (heads: number) => ({ batch: B, seq: T, heads, headDim: D, theta: a.ropeTheta, layout: 'half' as const });
    for (let i = 0; i < a.layers; i++) {
      const L = ws.layers[i], x = ws.res[i], out = ws.res[i + 1], l = `l${i}.`;
      // --- attention ---
      if (gpt2) be.layernorm(L.ln1, L.mean1!, L.rstd1, x, this.p(l + 'ln1.w'), this.p(l + 'ln1.b'), a.normEps);
      else be.rmsnorm(L.ln1, L.rstd1, x, this.p(l + 'ln1.w'), a.normEps);
      const bq = a.qkvBias ? this.p(l + 'q.b') : undefined, bk = a.qkvBias ? this.p(l + 'k.b') : undefined, bv = a.qkvBias ? this.p(l + 'v.b') : undefined;
      if (gpt2) {
        linearForward(be, L.q, L.ln1, this.p(l + 'q.w'), bq, N, C, H * D);
        linearForward(be, L.k, L.ln1, this.p(l + 'k.w'), bk, N, C, KH * D);
      } else {
        linearForward(be, ws.qpre, L.ln1, this.p(l + 'q.w'), bq, N, C, H * D);
        linearForward(be, ws.kpre, L.ln1, this.p(l + 'k.w'), bk, N, C, KH * D);
        be.rope(L.q, ws.qpre, ws.positions, ropeOpts(H));
        be.rope(L.k, ws.kpre, ws.positions, ropeOpts(KH));
      }
      linearForward(be, L.v, L.ln1, this.p(l + 'v.w'), bv, N, C, KH * D);
      be.attention(L.att, L.lse, L.q, L.k, L.v, attnOpts);
      // out = x + att Woᵀ (+bo): projection into out, then add the residual
      linearForward(be, out, L.att, this.p(l + 'o.w'), this.op(l + 'o.b'), N, H * D, C);
      be.axpy(out, x, 1);
      // --- MLP --- (out now holds r + attn; ln2 normalises it; the MLP adds onto it)
      if (gpt2) {
        be.layernorm(L.ln2, L.mean2!, L.rstd2, out, this.p(l + 'ln2.w'), this.p(l + 'ln2.b'), a.normEps);
        linearForward(be, L.g, L.ln2, this.p(l + 'fc.w'), this.p(l + 'fc.b'), N, C, I);
        be.gelu(L.act, L.g);
        // the MLP output goes to dtmp (scratch), then is added to the residual
        linearForward(be, ws.dtmp, L.act, this.p(l + 'proj.w'), this.p(l + 'proj.b'), N, I, C);
      } else {
        be.rmsnorm(L.ln2, L.rstd2, out, this.p(l + 'ln2.w'), a.normEps);
        linearForward(be, L.g, L.ln2, this.p(l + 'gate.w'), this.op(l + 'gate.b'), N, C, I);
        linearForward(be, L.u!, L.ln2, this.p(l + 'up.w'), this.op(l + 'up.b'), N, C, I);
        be.swiglu(L.act, L.g, L.u!);
        linearForward(be, ws.dtmp, L.act, this.p(l + 'down.w'), this.op(l + 'down.b'), N, I, C);
      }
      be.copy(L.mid, out); // saved for backward: the second norm's input
      be.axpy(out, ws.dtmp, 1);
    }
    const last = ws.res[a.layers];
    if (gpt2) be.layernorm(ws.lnf, ws.meanf!, ws.rstdf, last, this.p('norm.w'), this.p('norm.b'), a.normEps);
    else be.rmsnorm(ws.lnf, ws.rstdf, last, this.p('norm.w'), a.normEps);
    return ws.lnf;
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
    be.tokenLogprobsBackward(ws.dlogits, ws.logits, ws.targets, ws.lseOut, dlogp);
    const headGrad = a.tied ? this.gr('embed') : this.gr('lm_head.w');
    linearBackward(be, ws.dln, headGrad, null, ws.dlogits, ws.lnf, this.lmHead(), N, C, V);
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
    if (gpt2) be.layernormBackward(ws.dres, this.gr('norm.w')!, this.gr('norm.b')!, ws.dln, last, this.p('norm.w'), ws.meanf!, ws.rstdf);
    else be.rmsnormBackward(ws.dres, this.gr('norm.w')!, ws.dln, last, this.p('norm.w'), ws.rstdf);
    const attnOpts = { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D, keyMask: ws.keyMask };
    const ropeInv = (heads: number) => ({ batch: B, seq: T, heads, headDim: D, theta: a.ropeTheta, layout: 'half' as const, inverse: true });
    for (let i = a.layers - 1; i >= 0; i--) {
      const L = ws.layers[i], x = ws.res[i], mid = L.mid, l = `l${i}.`;
      // ---- MLP: out = mid + mlp(norm(mid)); dres holds d(out) ----
      if (gpt2) {
        linearBackward(be, ws.dI1, this.gr(l + 'proj.w'), this.gr(l + 'proj.b'), ws.dres, L.act, this.p(l + 'proj.w'), N, I, C);
        be.geluBackward(ws.dI2, L.g, ws.dI1);
        linearBackward(be, ws.dln, this.gr(l + 'fc.w'), this.gr(l + 'fc.b'), ws.dI2, L.ln2, this.p(l + 'fc.w'), N, C, I);
        be.layernormBackward(ws.dtmp, this.gr(l + 'ln2.w')!, this.gr(l + 'ln2.b')!, ws.dln, mid, this.p(l + 'ln2.w'), L.mean2!, L.rstd2);
      } else {
        // dact → (dgate, dup)
        linearBackward(be, ws.dI1, this.gr(l + 'down.w'), this.gr(l + 'down.b'), ws.dres, L.act, this.p(l + 'down.w'), N, I, C);
        be.swigluBackward(ws.dI2, ws.dI3, ws.dI1, L.g, L.u!);
        linearBackward(be, ws.dln, this.gr(l + 'gate.w'), this.gr(l + 'gate.b'), ws.dI2, L.ln2, this.p(l + 'gate.w'), N, C, I);
        linearBackward(be, ws.dln, this.gr(l + 'up.w'), this.gr(l + 'up.b'), ws.dI3, L.ln2, this.p(l + 'up.w'), N, C, I, true);
        be.rmsnormBackward(ws.dtmp, this.gr(l + 'ln2.w')!, ws.dln, mid, this.p(l + 'ln2.w'), L.rstd2);
      }
      be.axpy(ws.dres, ws.dtmp, 1); // d(mid) = d(out) + through the MLP
      // ---- attention: mid = x + attn(norm(x)) ----
      linearBackward(be, ws.datt, this.gr(l + 'o.w'), this.gr(l + 'o.b'), ws.dres, L.att, this.p(l + 'o.w'), N, H * D, C);
      be.attentionBackward(ws.dq, ws.dk, ws.dv, ws.datt, L.q, L.k, L.v, L.att, L.lse, attnOpts);
      let dqIn = ws.dq, dkIn = ws.dk;
      if (!gpt2) {
        be.rope(ws.qpre, ws.dq, ws.positions, ropeInv(H));
        be.rope(ws.kpre, ws.dk, ws.positions, ropeInv(KH));
        dqIn = ws.qpre; dkIn = ws.kpre;
      }
      const bias = (n: string) => this.gr(l + n);
      linearBackward(be, ws.dln, this.gr(l + 'q.w'), bias('q.b'), dqIn, L.ln1, this.p(l + 'q.w'), N, C, H * D);
      linearBackward(be, ws.dln, this.gr(l + 'k.w'), bias('k.b'), dkIn, L.ln1, this.p(l + 'k.w'), N, C, KH * D, true);
      linearBackward(be, ws.dln, this.gr(l + 'v.w'), bias('v.b'), ws.dv, L.ln1, this.p(l + 'v.w'), N, C, KH * D, true);
      if (gpt2) be.layernormBackward(ws.dtmp, this.gr(l + 'ln1.w')!, this.gr(l + 'ln1.b')!, ws.dln, x, this.p(l + 'ln1.w'), L.mean1!, L.rstd1);
      else be.rmsnormBackward(ws.dtmp, this.gr(l + 'ln1.w')!, ws.dln, x, this.p(l + 'ln1.w'), L.rstd1);
      be.axpy(ws.dres, ws.dtmp, 1); // d(x)
    }
    be.embeddingBackward(this.gr('embed')!, ws.dres, ws.ids);
    if (gpt2) be.embeddingBackward(this.gr('pos_embed')!, ws.dres, ws.positions);
  }

  dispose(): void {
    this.ws?.dispose(); this.ws = null;
    if (this.grads) for (const g of this.grads.values()) this.be.dispose(g);
    this.grads = null;
  }
}
