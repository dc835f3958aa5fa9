// Inference with a KV cache: a prefill over left-padded prompts, then one token per step.
// Per layer the cache holds K and V as (B, S, KH·D) — slot j of row b is the j-th position of
// the padded row (padding slots are masked out by keyMask). Only the last position's logits
// are computed and read back each step (B·V floats), since sampling happens on the host.
// The blocks are training's (layers*.ts); only the attention proper differs: keys and values
// go into the cache, and the queries attend over it.
import type { Backend, Tensor } from '../kernels/backend.js';
import type { Transformer } from './transformer.js';
import {
  attentionForward, cachedAttention, embeddingForward, linearForward, mlpForward, normForward, normKind,
  type AttentionActs, type BlockContext, type MLPActs,
} from './layers.js';
import { positionLimit } from './arch.js';

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
    const a = model.arch;
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
    // Gemma's (1 + w) norm multipliers: the weights do not change while this decoder lives
    model.refreshNormWeights();
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
    // the residual goes x → mid (attention block) → x (MLP block); h and the norm stats serve both blocks
    this.bufs = {
      ids: mk([N], 'i32'), pos: mk([N], 'i32'), x: mk([N, C]), mid: mk([N, C]), h: mk([N, C]), stat1: mk([N]), stat2: mk([N]),
      qpre: mk([N, HD]), kpre: mk([N, KD]), q: mk([N, HD]), k: mk([N, KD]), v: mk([N, KD]), att: mk([N, HD]),
      fc: mk([N, I]), act: mk([N, I]),
    };
    // Gemma-2's post-norms: o's / down's output before the norm (shared), and the norm's rstd
    if (this.model.blocks.some((o) => o.postNorms)) Object.assign(this.bufs, { po: mk([N, C]), prstd: mk([N]) });
    if (a.family === 'gpt2') this.bufs.pe = mk([N, C]);
    if (this.model.blocks.some((o) => o.mlp !== 'gelu')) this.bufs.up = mk([N, I]);
    if (this.model.blocks.some((o) => o.qkNorm)) {
      // Qwen3's per-head q/k norms: the raw projections and their (unused) rstd per (row, head)
      Object.assign(this.bufs, { qraw: mk([N, HD]), kraw: mk([N, KD]), rq: mk([N * a.heads]), rk: mk([N * a.kvHeads]) });
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
    const B = this.B, S = this.S, N = B * Tq, C = a.hidden;
    const s = this.scratch(Tq);
    // LoRA scratch x·Aᵀ (N, r), made on first use and shared by every linear (nothing is saved)
    let xaT: Tensor | null = null;
    const ctx: BlockContext = { be, B, T: Tq, positions: s.pos, loraXA: (l) => (xaT ??= be.tensor([N, l.lora!.rank])) };
    be.write(s.ids, ids); be.write(s.pos, pos); be.write(this.maskT, this.mask);
    const start = this.slot;
    embeddingForward(be, s.x, s.ids, s.pos, m.embeddingParams(), s.pe ?? s.h);
    const attn: AttentionActs = {
      ln: s.h, mean: s.stat1, rstd: s.stat2, qraw: s.qraw, kraw: s.kraw, rq: s.rq, rk: s.rk,
      qpre: s.qpre, kpre: s.kpre, q: s.q, k: s.k, v: s.v, att: s.att, ao: s.po, prstd: s.prstd,
    };
    const mlp: MLPActs = { ln: s.h, mean: s.stat1, rstd: s.stat2, fc: s.fc, up: s.up, act: s.act, fo: s.po, prstd: s.prstd };
    for (let i = 0; i < a.layers; i++) {
      const o = m.blocks[i], p = m.blockParams(i);
      // the attention proper: this step's keys and values into slots [start, start+Tq), queries over the cache
      const cached = cachedAttention(ctx, o, this.kc[i], this.vc[i], S, start, this.maskT);
      attentionForward(ctx, o, p.attn, attn, s.x, s.mid, cached);
      mlpForward(ctx, o, p.mlp, mlp, s.mid, s.x);
    }
    // the last position of each row → (B, C) → norm → logits (B, V)
    for (let b = 0; b < B; b++) be.copy(this.lastHidden, s.x, { srcOffset: (b * Tq + Tq - 1) * C, dstOffset: b * C, count: C });
    // one query per row: the scratch norm buffers are (B, ·) already; a prefill needs (B, ·) ones
    const hB = Tq === 1 ? s.h : be.tensor([B, C]);
    const s1 = Tq === 1 ? s.stat1 : be.tensor([B]);
    const s2 = Tq === 1 ? s.stat2 : be.tensor([B]);
    normForward(be, normKind(a), a.normEps, hB, { mean: s1, rstd: s2 }, this.lastHidden, m.finalNormParams());
    linearForward(be, this.logits, hB, m.headLinear(), B);
    if (m.finalSoftcap) be.softcap(this.logits, this.logits, m.finalSoftcap);
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
