// Inference with a KV cache: a prefill over left-padded prompts, then one token per step.
// Per layer the cache holds K and V as (B, S, KH·D) — slot j of row b is the j-th position of
// the padded row (padding slots are masked out by keyMask). Only the last position's logits
// are computed and read back each step (B·V floats), since sampling happens on the host.
import type { Backend, Tensor } from '../kernels/backend.js';
import type { Transformer } from './transformer.js';
import { linearForward } from './layers.js';
import { positionLimit, ropeExtras } from './arch.js';

export class KVDecoder {
  private readonly kc: Tensor[] = [];
  private readonly vc: Tensor[] = [];
  private readonly all: Tensor[] = [];
  private readonly mask: Int32Array;
  private readonly maskT: Tensor;
  /** padding slots at the left of each row */
  private readonly padLeft: Int32Array;
  private chunk = -1;
  private bufs: Record<string, Tensor> = {};
  /** next free slot (same for every row: rows are left-aligned to a common prompt end) */
  slot = 0;
  private readonly lastHidden: Tensor;
  private readonly logits: Tensor;

  constructor(readonly model: Transformer, readonly B: number, readonly S: number) {
    const a = model.arch, be = model.be;
    if (a.family === 'gpt2' && S > a.maxPositions) throw new Error(`generate: ${S} positions exceed GPT-2's n_positions=${a.maxPositions}: lower max new tokens or the prompt length`);
    const lim = positionLimit(a);
    if (S > lim.limit) throw new Error(`generate: ${S} positions reach ${lim.why}: lower max new tokens or the prompt length to at most ${lim.limit} in all`);
    const KD = a.kvHeads * a.headDim;
    for (let i = 0; i < a.layers; i++) {
      this.kc.push(this.t([B * S * KD], 'f32', `kcache${i}`));
      this.vc.push(this.t([B * S * KD], 'f32', `vcache${i}`));
    }
    this.mask = new Int32Array(B * S);
    this.maskT = this.t([B * S], 'i32', 'cache-mask');
    this.padLeft = new Int32Array(B);
    this.lastHidden = this.t([B, a.hidden]);
    this.logits = this.t([B, a.vocab], 'f32', 'decode-logits');
  }

  private t(shape: number[], dtype: 'f32' | 'i32' = 'f32', label?: string): Tensor {
    const x = this.model.be.tensor(shape, dtype, label);
    this.all.push(x);
    return x;
  }

  /** scratch tensors sized for Tq tokens per row */
  private scratch(Tq: number): Record<string, Tensor> {
    if (this.chunk === Tq) return this.bufs;
    const be = this.model.be, a = this.model.arch;
    for (const t of Object.values(this.bufs)) be.dispose(t);
    const N = this.B * Tq, C = a.hidden, HD = a.heads * a.headDim, KD = a.kvHeads * a.headDim, I = a.intermediate;
    const mk = (shape: number[], dtype: 'f32' | 'i32' = 'f32') => be.tensor(shape, dtype);
    this.bufs = {
      ids: mk([N], 'i32'), pos: mk([N], 'i32'), x: mk([N, C]), h: mk([N, C]), stat1: mk([N]), stat2: mk([N]),
      qpre: mk([N, HD]), kpre: mk([N, KD]), q: mk([N, HD]), k: mk([N, KD]), v: mk([N, KD]), att: mk([N, HD]),
      o: mk([N, C]), g: mk([N, I]), u: mk([N, I]), act: mk([N, I]), pe: mk([N, C]),
    };
    if (a.qkNorm) {
      // Qwen3's per-head q/k norms: normed q, k and their (unused) rstd per (row, head)
      Object.assign(this.bufs, { qn: mk([N, HD]), kn: mk([N, KD]), rq: mk([N * a.heads]), rk: mk([N * a.kvHeads]) });
    }
    this.chunk = Tq;
    return this.bufs;
  }

  /**
   * Prefill: prompts (each at least one token) left-padded to the longest, written into
   * slots [0, P). Returns the next-token logits (B, V) on the host.
   */
  async prefill(prompts: ArrayLike<number>[]): Promise<Float32Array> {
    if (prompts.length !== this.B) throw new Error(`generate: ${prompts.length} prompts for a decoder of batch ${this.B}`);
    const P = Math.max(...prompts.map((p) => p.length));
    if (P < 1) throw new Error('generate: every prompt needs at least one token (e.g. BOS)');
    if (P >= this.S) throw new Error(`generate: a prompt of ${P} tokens leaves no room in a cache of ${this.S}`);
    for (const p of prompts) for (let j = 0; j < p.length; j++) this.checkId(p[j]);
    // padding slots hold -1: the embedding gives it zeros, no table row is read for them
    const ids = new Int32Array(this.B * P).fill(-1), pos = new Int32Array(this.B * P);
    this.mask.fill(0);
    prompts.forEach((p, b) => {
      const pad = P - p.length;
      this.padLeft[b] = pad;
      for (let j = 0; j < p.length; j++) {
        ids[b * P + pad + j] = p[j];
        pos[b * P + pad + j] = j;
        this.mask[b * this.S + pad + j] = 1;
      }
    });
    this.slot = 0;
    return this.run(ids, pos, P);
  }

  /** One decode step: the next token of every row. Returns logits (B, V) on the host. */
  async step(tokens: Int32Array): Promise<Float32Array> {
    if (this.slot >= this.S) throw new Error(`generate: the KV cache of ${this.S} slots is full`);
    const pos = new Int32Array(this.B);
    for (let b = 0; b < this.B; b++) {
      pos[b] = this.slot - this.padLeft[b];
      this.mask[b * this.S + this.slot] = 1;
    }
    for (let b = 0; b < this.B; b++) this.checkId(tokens[b]);
    return this.run(tokens, pos, 1);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.model.arch.vocab) throw new Error(`generate: token id ${id} is outside the vocabulary (0..${this.model.arch.vocab - 1})`);
  }

  private async run(ids: Int32Array, pos: Int32Array, Tq: number): Promise<Float32Array> {
    const m = this.model, a = m.arch, be: Backend = m.be;
    const B = this.B, S = this.S, N = B * Tq, C = a.hidden, H = a.heads, KH = a.kvHeads, D = a.headDim, I = a.intermediate;
    const s = this.scratch(Tq);
    const gpt2 = a.family === 'gpt2';
    // LoRA scratch x·Aᵀ (N, r), made on first use
    let xaT: Tensor | null = null;
    const xa = () => { if (!xaT) { const r = [...m.lora.values()][0].rank; xaT = be.tensor([N, r]); } return xaT; };
    be.write(s.ids, ids); be.write(s.pos, pos); be.write(this.maskT, this.mask);
    const start = this.slot;
    be.embedding(s.x, m.p('embed'), s.ids);
    if (gpt2) { be.embedding(s.pe, m.p('pos_embed'), s.pos); be.axpy(s.x, s.pe, 1); }
    for (let i = 0; i < a.layers; i++) {
      const l = `l${i}.`;
      if (gpt2) be.layernorm(s.h, s.stat1, s.stat2, s.x, m.p(l + 'ln1.w'), m.p(l + 'ln1.b'), a.normEps);
      else be.rmsnorm(s.h, s.stat1, s.x, m.p(l + 'ln1.w'), a.normEps);
      const bias = (n: string) => m.op(l + n);
      if (gpt2) {
        m.project(l + 'q', s.q, s.h, N, C, H * D, xa);
        m.project(l + 'k', s.k, s.h, N, C, KH * D, xa);
      } else {
        m.project(l + 'q', s.qpre, s.h, N, C, H * D, xa);
        m.project(l + 'k', s.kpre, s.h, N, C, KH * D, xa);
        const ro = (heads: number) => ({ batch: B, seq: Tq, heads, headDim: D, theta: a.ropeTheta, rotaryDim: a.rotaryDim, ...ropeExtras(a), layout: 'half' as const });
        if (a.qkNorm) {
          be.rmsnorm(s.qn, s.rq, s.qpre, m.p(l + 'qn.w'), a.normEps);
          be.rmsnorm(s.kn, s.rk, s.kpre, m.p(l + 'kn.w'), a.normEps);
        }
        be.rope(s.q, a.qkNorm ? s.qn : s.qpre, s.pos, ro(H));
        be.rope(s.k, a.qkNorm ? s.kn : s.kpre, s.pos, ro(KH));
      }
      m.project(l + 'v', s.v, s.h, N, C, KH * D, xa);
      const kvo = { batch: B, queries: Tq, slots: S, start, rowSize: KH * D };
      be.kvWrite(this.kc[i], s.k, kvo);
      be.kvWrite(this.vc[i], s.v, kvo);
      be.attentionCached(s.att, s.q, this.kc[i], this.vc[i], { batch: B, queries: Tq, slots: S, start, heads: H, kvHeads: KH, headDim: D, keyMask: this.maskT });
      m.project(l + 'o', s.o, s.att, N, H * D, C, xa);
      be.axpy(s.x, s.o, 1);
      if (gpt2) {
        be.layernorm(s.h, s.stat1, s.stat2, s.x, m.p(l + 'ln2.w'), m.p(l + 'ln2.b'), a.normEps);
        m.project(l + 'fc', s.g, s.h, N, C, I, xa);
        be.gelu(s.act, s.g);
        m.project(l + 'proj', s.o, s.act, N, I, C, xa);
      } else {
        be.rmsnorm(s.h, s.stat1, s.x, m.p(l + 'ln2.w'), a.normEps);
        m.project(l + 'gate', s.g, s.h, N, C, I, xa);
        m.project(l + 'up', s.u, s.h, N, C, I, xa);
        be.swiglu(s.act, s.g, s.u);
        m.project(l + 'down', s.o, s.act, N, I, C, xa);
      }
      be.axpy(s.x, s.o, 1);
    }
    // the last position of each row → (B, C) → norm → logits (B, V)
    for (let b = 0; b < B; b++) be.copy(this.lastHidden, s.x, { srcOffset: (b * Tq + Tq - 1) * C, dstOffset: b * C, count: C });
    const hs = this.bufs.h, st1 = this.bufs.stat1, st2 = this.bufs.stat2;
    // reuse the first B rows of the scratch norm buffers
    const hB = Tq === 1 ? hs : be.tensor([B, C]);
    const s1 = Tq === 1 ? st1 : be.tensor([B]);
    const s2 = Tq === 1 ? st2 : be.tensor([B]);
    if (gpt2) be.layernorm(hB, s1, s2, this.lastHidden, m.p('norm.w'), m.p('norm.b'), a.normEps);
    else be.rmsnorm(hB, s1, this.lastHidden, m.p('norm.w'), a.normEps);
    linearForward(be, this.logits, hB, a.tied ? m.p('embed') : m.p('lm_head.w'), undefined, B, C, a.vocab);
    const out = (await be.read(this.logits)) as Float32Array;
    if (xaT) be.dispose(xaT);
    if (Tq !== 1) { be.dispose(hB); be.dispose(s1); be.dispose(s2); }
    this.slot = start + Tq;
    return out;
  }

  dispose(): void {
    const be = this.model.be;
    for (const t of this.all) be.dispose(t);
    for (const t of Object.values(this.bufs)) be.dispose(t);
    this.all.length = 0;
    this.bufs = {};
  }
}
