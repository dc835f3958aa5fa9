// DeBERTa-v2/v3 encoder (Hugging Face DebertaV2Model), forward and backward, over the Backend ops.
// The configuration this reads is DeBERTa-v3's (and PairRM's): relative_attention with
// position_buckets > 0 (log-bucketed relative positions) or ≤ 0 (plain, clamped at
// max_relative_positions), share_att_key, norm_rel_ebd "layer_norm", pos_att_type ⊆ {c2p, p2c},
// position_biased_input false, no conv layer, hidden_act "gelu" (the exact erf form). Anything
// else is refused with a message naming the key (parseDebertaConfig).
//
// Forward, x (N = B·T rows, C = hidden):
//   x = LayerNorm(word_embeddings[ids])                                  (padding ids −1 → a zero row)
//   rel = LayerNorm_enc(rel_embeddings)                                  (R = 2·span, C); span =
//         position_buckets, or max_relative_positions without buckets
//   per layer (post-norm, like BERT):
//     q, k, v = x·Wqᵀ + bq, x·Wkᵀ + bk, x·Wvᵀ + bv                       (B,T,heads,D)
//     pos = rel·[Wk; Wq]ᵀ + [bk; bq]                                       (R, 2, heads, D) — share_att_key:
//           the layer's own key/query projections of the relative embeddings (inference: once at load;
//           training: by every forward, from the current weights)
//     ctx = disentangledAttention(q, k, v, pos, relIdx), scale 1/√(D·(1 + #pos_att_type))
//           relIdx[i,j] = clamp(bucket(i − j) + span, 0, R − 1)   — c2p reads posK at it, p2c reads
//           posQ at the same index (HF gathers p2c at clamp(−bucket(j − i) + span), equal because the
//           bucket is odd in its argument)
//     a = LayerNorm(ctx·Woᵀ + bo + x);  x = LayerNorm(geluErf(a·Wiᵀ + bi)·Wo2ᵀ + bo2 + a)
// Tensor names: HF's under a prefix ("deberta." for DebertaV2For*, "pretrained_model." for
// PairRM, "" for a bare DebertaV2Model):
//   {p}embeddings.word_embeddings.weight (V, C), {p}embeddings.LayerNorm.{weight,bias}
//   {p}encoder.layer.{i}.attention.self.{query,key,value}_proj.{weight (C, C), bias}
//   {p}encoder.layer.{i}.attention.output.dense.*, .attention.output.LayerNorm.*
//   {p}encoder.layer.{i}.intermediate.dense.{weight (I, C), bias}, .output.dense.{weight (C, I), bias}
//   {p}encoder.layer.{i}.output.LayerNorm.*
//   {p}encoder.rel_embeddings.weight (R, C), {p}encoder.LayerNorm.{weight,bias}
import type { Backend, Tensor } from '../kernels/backend.js';
import { HalfArray } from '../kernels/half.js';
import { streamTensors } from './io-files.js';
import type { ParamSpec } from './io-params.js';

export interface DebertaConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  eps: number;
  /** position_buckets (> 0: log buckets), else 0 */
  buckets: number;
  /** max_relative_positions (max_position_embeddings when < 1) */
  maxRelative: number;
  /** rows of rel_embeddings: 2·(buckets > 0 ? buckets : maxRelative) */
  relRows: number;
  c2p: boolean;
  p2c: boolean;
}

class DebertaConfigError extends Error {
  constructor(msg: string) { super(msg); this.name = 'DebertaConfigError'; }
}

/** reads a DeBERTa-v2/v3 config.json object; throws one error naming the unsupported key */
export function parseDebertaConfig(json: Record<string, unknown>, file: string): DebertaConfig {
  const need = (k: string): number => {
    const v = json[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new DebertaConfigError(`${file}: "${k}" must be a positive integer (got ${JSON.stringify(v)})`);
    return v;
  };
  const refuse = (k: string, why: string) => { throw new DebertaConfigError(`${file}: ${k} ${why}: only DeBERTa-v3-style encoders (relative attention, no absolute positions, no conv layer) are supported`); };
  const hidden = need('hidden_size'), heads = need('num_attention_heads');
  if (hidden % heads !== 0) throw new DebertaConfigError(`${file}: hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`);
  if (json.relative_attention !== true) refuse('"relative_attention"', `is ${JSON.stringify(json.relative_attention)}, not true`);
  if ((json.position_biased_input ?? true) !== false) refuse('"position_biased_input"', 'is not false (absolute position embeddings)');
  if (typeof json.conv_kernel_size === 'number' && json.conv_kernel_size > 0) refuse('"conv_kernel_size"', `is ${json.conv_kernel_size}`);
  if ((json.hidden_act ?? 'gelu') !== 'gelu') refuse('"hidden_act"', `is ${JSON.stringify(json.hidden_act)}, not "gelu"`);
  if (json.share_att_key !== true) refuse('"share_att_key"', 'is not true');
  const norm = String(json.norm_rel_ebd ?? 'none');
  if (!norm.split('|').map((s) => s.trim()).includes('layer_norm')) refuse('"norm_rel_ebd"', `is ${JSON.stringify(json.norm_rel_ebd)}, not "layer_norm"`);
  if (typeof json.type_vocab_size === 'number' && json.type_vocab_size > 0) refuse('"type_vocab_size"', `is ${json.type_vocab_size} (token type embeddings)`);
  if (json.embedding_size !== undefined && json.embedding_size !== hidden) refuse('"embedding_size"', `${json.embedding_size} differs from hidden_size`);
  let types = json.pos_att_type ?? [];
  if (typeof types === 'string') types = types.toLowerCase().split('|').map((s) => s.trim());
  if (!Array.isArray(types) || types.some((t) => t !== 'c2p' && t !== 'p2c')) refuse('"pos_att_type"', `${JSON.stringify(json.pos_att_type)} is not a subset of ["c2p", "p2c"]`);
  const maxPos = need('max_position_embeddings');
  const mr = typeof json.max_relative_positions === 'number' ? json.max_relative_positions : -1;
  const maxRelative = mr < 1 ? maxPos : mr;
  const buckets = typeof json.position_buckets === 'number' && json.position_buckets > 0 ? json.position_buckets : 0;
  const eps = typeof json.layer_norm_eps === 'number' ? json.layer_norm_eps : 1e-7;
  return {
    vocabSize: need('vocab_size'), hidden, layers: need('num_hidden_layers'), heads, intermediate: need('intermediate_size'), eps,
    buckets, maxRelative, relRows: 2 * (buckets > 0 ? buckets : maxRelative),
    c2p: (types as string[]).includes('c2p'), p2c: (types as string[]).includes('p2c'),
  };
}

/** the encoder's tensors under prefix p, HF names and shapes */
export function debertaParamList(cfg: DebertaConfig, p: string): ParamSpec[] {
  const C = cfg.hidden, I = cfg.intermediate;
  const out: ParamSpec[] = [
    { name: `${p}embeddings.word_embeddings.weight`, shape: [cfg.vocabSize, C] },
    { name: `${p}embeddings.LayerNorm.weight`, shape: [C] }, { name: `${p}embeddings.LayerNorm.bias`, shape: [C] },
  ];
  for (let l = 0; l < cfg.layers; l++) {
    const L = `${p}encoder.layer.${l}.`;
    for (const n of ['query_proj', 'key_proj', 'value_proj']) out.push({ name: `${L}attention.self.${n}.weight`, shape: [C, C] }, { name: `${L}attention.self.${n}.bias`, shape: [C] });
    out.push(
      { name: `${L}attention.output.dense.weight`, shape: [C, C] }, { name: `${L}attention.output.dense.bias`, shape: [C] },
      { name: `${L}attention.output.LayerNorm.weight`, shape: [C] }, { name: `${L}attention.output.LayerNorm.bias`, shape: [C] },
      { name: `${L}intermediate.dense.weight`, shape: [I, C] }, { name: `${L}intermediate.dense.bias`, shape: [I] },
      { name: `${L}output.dense.weight`, shape: [C, I] }, { name: `${L}output.dense.bias`, shape: [C] },
      { name: `${L}output.LayerNorm.weight`, shape: [C] }, { name: `${L}output.LayerNorm.bias`, shape: [C] },
    );
  }
  out.push(
    { name: `${p}encoder.rel_embeddings.weight`, shape: [cfg.relRows, C] },
    { name: `${p}encoder.LayerNorm.weight`, shape: [C] }, { name: `${p}encoder.LayerNorm.bias`, shape: [C] },
  );
  return out;
}

/** HF make_log_bucket_position for one relative position: |rel| ≤ bucketSize/2 stays, farther
 *  positions get sign·(ceil(log(|rel|/mid)/log((maxPosition−1)/mid)·(mid−1)) + mid) */
export function logBucketPosition(rel: number, bucketSize: number, maxPosition: number): number {
  const mid = bucketSize >> 1;
  const a = Math.abs(rel);
  if (a <= mid) return rel;
  const logPos = Math.ceil(Math.log(a / mid) / Math.log((maxPosition - 1) / mid) * (mid - 1)) + mid;
  return Math.sign(rel) * logPos;
}

/** relIdx (T,T) of a sequence of T: clamp(bucket(i − j) + span, 0, R − 1) */
export function relativeIndex(cfg: DebertaConfig, T: number): Int32Array {
  const span = cfg.relRows >> 1;
  const out = new Int32Array(T * T);
  const byDelta = new Int32Array(2 * T - 1);
  for (let d = -(T - 1); d <= T - 1; d++) {
    const r = cfg.buckets > 0 ? logBucketPosition(d, cfg.buckets, cfg.maxRelative) : d;
    byDelta[d + T - 1] = Math.min(Math.max(r + span, 0), cfg.relRows - 1);
  }
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) out[i * T + j] = byDelta[i - j + T - 1];
  return out;
}

/** relative-index tables kept per encoder (one per sequence length, least recently used dropped) */
const REL_CACHE = 4;

/** per-layer tensor names (HF, without the prefix) */
const LAYER_NAMES = {
  wq: 'attention.self.query_proj.weight', bq: 'attention.self.query_proj.bias',
  wk: 'attention.self.key_proj.weight', bk: 'attention.self.key_proj.bias',
  wv: 'attention.self.value_proj.weight', bv: 'attention.self.value_proj.bias',
  wo: 'attention.output.dense.weight', bo: 'attention.output.dense.bias',
  ln1w: 'attention.output.LayerNorm.weight', ln1b: 'attention.output.LayerNorm.bias',
  wi: 'intermediate.dense.weight', bi: 'intermediate.dense.bias',
  wo2: 'output.dense.weight', bo2: 'output.dense.bias',
  ln2w: 'output.LayerNorm.weight', ln2b: 'output.LayerNorm.bias',
} as const;
type LayerKey = keyof typeof LAYER_NAMES;
type Layer = Record<LayerKey, Tensor> & {
  /** (R, 2, heads, D): rel·[Wk; Wq]ᵀ + [bk; bq] */
  pos: Tensor;
};

/** what a training forward keeps for backward, per layer */
interface Saved {
  xin: Tensor; q: Tensor; k: Tensor; v: Tensor; ctx: Tensor; lse: Tensor;
  e1: Tensor; mean1: Tensor; rstd1: Tensor; a: Tensor; inter: Tensor; g: Tensor;
  e2: Tensor; mean2: Tensor; rstd2: Tensor;
}

export class DebertaEncoder {
  /** every tensor by HF name (prefix included), on the device */
  readonly params = new Map<string, Tensor>();
  /** gradients by the same names (training only; zeroGrad() makes them) */
  grads: Map<string, Tensor> | null = null;
  private readonly layers: Layer[] = [];
  private readonly relCache = new Map<number, Tensor>();
  private training = false;
  /** training: LayerNorm_enc(rel_embeddings) of the current weights and its stats */
  private rel: { out: Tensor; mean: Tensor; rstd: Tensor } | null = null;
  private saved: { ids: Tensor; mask: Tensor; e0: Tensor; mean0: Tensor; rstd0: Tensor; layers: Saved[]; B: number; T: number } | null = null;

  private constructor(readonly be: Backend, readonly cfg: DebertaConfig, readonly prefix: string) {}

  private p(name: string): Tensor { return this.params.get(this.prefix + name)!; }

  /**
   * Streams the encoder's tensors (prefix p) from a checkpoint (model directory, index or
   * .safetensors file) onto the backend, never holding the whole checkpoint on the host. For
   * inference a BF16/F16 checkpoint's matrices (word embeddings, projections) stay 16-bit on the
   * device (matmul and embedding read them, accumulating in f32), and each layer's relative
   * projections are computed once here; with `training` everything is f32 and they are
   * recomputed by every forward. `extra` tensors (a head) are returned on the host as f32.
   */
  static load(be: Backend, cfg: DebertaConfig, target: string, prefix: string, extra: ParamSpec[] = [], o: { training?: boolean } = {}): { encoder: DebertaEncoder; extra: Map<string, Float32Array> } {
    const enc = new DebertaEncoder(be, cfg, prefix);
    enc.training = !!o.training;
    const C = cfg.hidden, R = cfg.relRows;
    const all = debertaParamList(cfg, prefix);
    // the relative embeddings and their norm first: each layer's pos is made as soon as its
    // key/query projections arrive
    const first = new Set([`${prefix}encoder.rel_embeddings.weight`, `${prefix}encoder.LayerNorm.weight`, `${prefix}encoder.LayerNorm.bias`]);
    const order = [...all.filter((s) => first.has(s.name)), ...all.filter((s) => !first.has(s.name)), ...extra];
    const extraNames = new Set(extra.map((s) => s.name));
    const isMatrix = (s: ParamSpec) => !enc.training && s.shape.length === 2 && !first.has(s.name) && !extraNames.has(s.name);
    const host = new Map<string, Float32Array>();
    const out = new Map<string, Float32Array>();
    let rel: Tensor | null = null;
    const f32 = (d: Float32Array | HalfArray) => (d instanceof HalfArray ? d.toFloat32() : d);
    try {
      streamTensors(target, order, (name, data) => {
        if (extraNames.has(name)) { out.set(name, f32(data)); return; }
        const spec = all.find((s) => s.name === name)!;
        const t = data instanceof HalfArray ? be.fromArray(data.bits, spec.shape, data.dtype, name) : be.fromArray(data, spec.shape, 'f32', name);
        enc.params.set(name, t);
        if (enc.training) return;
        if (first.has(name)) {
          host.set(name, f32(data));
          if (host.size === 3) rel = enc.relNorm(enc.p('encoder.rel_embeddings.weight'), enc.p('encoder.LayerNorm.weight'), enc.p('encoder.LayerNorm.bias')).out;
          return;
        }
        // keep f32 host copies of the key/query projections until the layer's pos is made
        const m = /encoder\.layer\.(\d+)\.attention\.self\.(query|key)_proj\.(weight|bias)$/.exec(name);
        if (m) {
          host.set(name, f32(data));
          const L = `${prefix}encoder.layer.${m[1]}.attention.self.`;
          const names = ['key_proj.weight', 'query_proj.weight', 'key_proj.bias', 'query_proj.bias'].map((n) => L + n);
          if (names.every((n) => host.has(n))) {
            const pos = be.tensor([R, 2 * C], 'f32', `deberta-pos-${m[1]}`);
            enc.params.set(`pos.${m[1]}`, pos);
            const wkq = new Float32Array(2 * C * C), bkq = new Float32Array(2 * C);
            wkq.set(host.get(names[0])!, 0); wkq.set(host.get(names[1])!, C * C);
            bkq.set(host.get(names[2])!, 0); bkq.set(host.get(names[3])!, C);
            const tw = be.fromArray(wkq, [2 * C, C]), tb = be.fromArray(bkq, [2 * C]);
            be.matmul(pos, rel!, tw, { m: R, n: 2 * C, k: C, transB: true, bias: tb });
            be.dispose(tw); be.dispose(tb);
            for (const n of names) host.delete(n);
          }
        }
      }, { keepHalf: isMatrix });
    } catch (e) {
      enc.dispose();
      if (rel) be.dispose(rel);
      throw e;
    }
    if (rel) be.dispose(rel);
    for (let l = 0; l < cfg.layers; l++) {
      const layer = {} as Layer;
      for (const [key, n] of Object.entries(LAYER_NAMES)) layer[key as LayerKey] = enc.p(`encoder.layer.${l}.${n}`);
      if (enc.training) {
        layer.pos = be.tensor([R, 2 * C], 'f32', `deberta-pos-${l}`);
      } else {
        layer.pos = enc.params.get(`pos.${l}`)!;
        enc.params.delete(`pos.${l}`);
      }
      enc.layers.push(layer);
    }
    return { encoder: enc, extra: out };
  }

  /** LayerNorm_enc(raw) (R, C) on the device, with its stats */
  private relNorm(raw: Tensor, w: Tensor, b: Tensor): { out: Tensor; mean: Tensor; rstd: Tensor } {
    const { be, cfg } = this;
    const R = cfg.relRows, C = cfg.hidden;
    const out = be.tensor([R, C], 'f32', 'deberta-rel'), mean = be.tensor([R]), rstd = be.tensor([R]);
    be.layernorm(out, mean, rstd, raw, w, b, cfg.eps);
    if (!this.training) { be.dispose(mean); be.dispose(rstd); }
    return { out, mean, rstd };
  }

  /** training: the relative projections of the current weights, pos = rel·[Wk; Wq]ᵀ + [bk; bq] */
  private refreshPos(): void {
    const { be, cfg } = this;
    const C = cfg.hidden, R = cfg.relRows;
    if (this.rel) for (const t of Object.values(this.rel)) be.dispose(t);
    this.rel = this.relNorm(this.p('encoder.rel_embeddings.weight'), this.p('encoder.LayerNorm.weight'), this.p('encoder.LayerNorm.bias'));
    const wkq = be.tensor([2 * C, C]), bkq = be.tensor([2 * C]);
    for (const L of this.layers) {
      be.copy(wkq, L.wk, { dstOffset: 0, count: C * C }); be.copy(wkq, L.wq, { dstOffset: C * C, count: C * C });
      be.copy(bkq, L.bk, { dstOffset: 0, count: C }); be.copy(bkq, L.bq, { dstOffset: C, count: C });
      be.matmul(L.pos, this.rel.out, wkq, { m: R, n: 2 * C, k: C, transB: true, bias: bkq });
    }
    be.dispose(wkq); be.dispose(bkq);
  }

  /** relIdx of length T, the last few lengths kept (T×T i32 each: 16 MiB at T = 2048) */
  private relIdx(T: number): Tensor {
    let t = this.relCache.get(T);
    if (t) {
      this.relCache.delete(T);
    } else {
      t = this.be.fromArray(relativeIndex(this.cfg, T), [T, T], 'i32', `deberta-rel-${T}`);
      if (this.relCache.size >= REL_CACHE) {
        const [oldT, old] = this.relCache.entries().next().value as [number, Tensor];
        this.relCache.delete(oldT);
        this.be.dispose(old);
      }
    }
    this.relCache.set(T, t); // most recent last
    return t;
  }

  /**
   * Last hidden states (B·T, C) of B sequences of T slots: ids (B·T) i32, −1 at padding;
   * keyMask (B·T) i32, 1 = real token. The caller disposes the result. In training mode the
   * activations are kept for backward() (until the next forward or dropSaved()).
   */
  forward(ids: Int32Array, keyMask: Int32Array, B: number, T: number): Tensor {
    const { be, cfg } = this;
    const C = cfg.hidden, N = B * T, Hh = cfg.heads, D = C / Hh, I = cfg.intermediate;
    const train = this.training;
    if (train) { this.dropSaved(); this.refreshPos(); }
    const tIds = be.fromArray(ids, [N], 'i32'), tMask = be.fromArray(keyMask, [B, T], 'i32');
    const e0 = be.tensor([N, C]), mean0 = be.tensor([N]), rstd0 = be.tensor([N]);
    be.embedding(e0, this.p('embeddings.word_embeddings.weight'), tIds);
    let x = be.tensor([N, C], 'f32', 'deberta-x');
    be.layernorm(x, mean0, rstd0, e0, this.p('embeddings.LayerNorm.weight'), this.p('embeddings.LayerNorm.bias'), cfg.eps);
    const rel = this.relIdx(T);
    const scale = 1 / Math.sqrt(D * (1 + (cfg.c2p ? 1 : 0) + (cfg.p2c ? 1 : 0)));
    const mm = (out: Tensor, inp: Tensor, w: Tensor, bias: Tensor, n: number, kk: number) => be.matmul(out, inp, w, { m: N, n, k: kk, transB: true, bias });
    const mk = (shape: number[]) => be.tensor(shape);
    // inference reuses one set of temporaries; training keeps each layer's
    const tmp = mk([N, C]);
    let S: Saved | null = null;
    const fresh = (): Saved => ({
      xin: x, q: mk([N, C]), k: mk([N, C]), v: mk([N, C]), ctx: mk([N, C]), lse: mk([B * Hh * T]),
      e1: mk([N, C]), mean1: mk([N]), rstd1: mk([N]), a: mk([N, C]), inter: mk([N, I]), g: mk([N, I]),
      e2: mk([N, C]), mean2: mk([N]), rstd2: mk([N]),
    });
    const saved: Saved[] = [];
    for (const L of this.layers) {
      if (train || !S) S = fresh();
      S.xin = x;
      mm(S.q, x, L.wq, L.bq, C, C); mm(S.k, x, L.wk, L.bk, C, C); mm(S.v, x, L.wv, L.bv, C, C);
      be.disentangledAttention(S.ctx, S.lse, S.q, S.k, S.v, L.pos, rel, { batch: B, seq: T, heads: Hh, headDim: D, relRows: cfg.relRows, scale, c2p: cfg.c2p, p2c: cfg.p2c, keyMask: tMask });
      mm(tmp, S.ctx, L.wo, L.bo, C, C);
      be.add(S.e1, tmp, x);
      be.layernorm(S.a, S.mean1, S.rstd1, S.e1, L.ln1w, L.ln1b, cfg.eps);
      mm(S.inter, S.a, L.wi, L.bi, I, C);
      be.geluErf(S.g, S.inter);
      mm(tmp, S.g, L.wo2, L.bo2, C, I);
      be.add(S.e2, tmp, S.a);
      const next = train ? mk([N, C]) : x;
      be.layernorm(next, S.mean2, S.rstd2, S.e2, L.ln2w, L.ln2b, cfg.eps);
      if (train) saved.push(S);
      x = next;
    }
    be.dispose(tmp);
    if (train) {
      // each layer's input is kept in its Saved (layer 0's: the embeddings' LayerNorm output); the
      // last output is the caller's
      this.saved = { ids: tIds, mask: tMask, e0, mean0, rstd0, layers: saved, B, T };
      return x;
    }
    if (S) for (const [key, t] of Object.entries(S)) if (key !== 'xin') be.dispose(t);
    for (const t of [tIds, tMask, e0, mean0, rstd0]) be.dispose(t);
    return x;
  }

  /** zeroes (allocating once) a gradient per parameter, by the params names */
  zeroGrad(): Map<string, Tensor> {
    if (!this.training) throw new Error('DeBERTa: zeroGrad() needs an encoder loaded for training');
    if (!this.grads) {
      this.grads = new Map();
      for (const [n, t] of this.params) this.grads.set(n, this.be.tensor(t.shape, 'f32', `grad:${n}`));
    }
    for (const g of this.grads.values()) this.be.fill(g, 0);
    return this.grads;
  }

  /**
   * Backward of the last training forward: dH (B·T, C), the gradient of the loss with respect to
   * its output; every parameter gradient ACCUMULATES into grads (zeroGrad() first).
   *   per layer, last first (x = LN2(e2), e2 = g·Wo2ᵀ + bo2 + a, g = gelu(inter), inter = a·Wiᵀ + bi,
   *   a = LN1(e1), e1 = ctx·Woᵀ + bo + xin, ctx = attention(q, k, v, pos)):
   *     de2 = LN2ᵀ(dx); dWo2 += de2ᵀg; dg = de2·Wo2; dinter = gelu'(inter)·dg; dWi += dinterᵀa;
   *     da = de2 + dinter·Wi; de1 = LN1ᵀ(da); dWo += de1ᵀctx; dctx = de1·Wo;
   *     (dq, dk, dv, dpos) = attentionᵀ(dctx); dxin = de1 + dq·Wq + dk·Wk + dv·Wv; dW{q,k,v} += d{q,k,v}ᵀxin;
   *     [dWk; dWq] += dposᵀ·rel, [dbk; dbq] += Σ_r dpos, drel += dpos·[Wk; Wq]
   *   then LN_embᵀ → word-embedding rows (embeddingBackward), and LN_encᵀ(drel) → rel_embeddings.
   */
  backward(dH: Tensor): void {
    const { be, cfg } = this;
    if (!this.saved || !this.grads) throw new Error('DeBERTa: backward() needs a training forward and zeroGrad() first');
    const { B, T, layers: saved } = this.saved;
    const C = cfg.hidden, N = B * T, Hh = cfg.heads, D = C / Hh, I = cfg.intermediate, R = cfg.relRows;
    const G = (name: string) => this.grads!.get(this.prefix + name)!;
    const scale = 1 / Math.sqrt(D * (1 + (cfg.c2p ? 1 : 0) + (cfg.p2c ? 1 : 0)));
    const rel = this.relIdx(T);
    const dx = be.tensor([N, C]), de = be.tensor([N, C]), da = be.tensor([N, C]), dctx = be.tensor([N, C]);
    const dq = be.tensor([N, C]), dk = be.tensor([N, C]), dv = be.tensor([N, C]);
    const dg = be.tensor([N, I]), dinter = be.tensor([N, I]);
    const dpos = be.tensor([R, 2 * C]), drel = be.tensor([R, C]);
    const dwkq = be.tensor([2 * C, C]), dbkq = be.tensor([2 * C]), half = be.tensor([C * C]), halfB = be.tensor([C]);
    const wkq = be.tensor([2 * C, C]);
    be.copy(dx, dH);
    be.fill(drel, 0);
    const wgrad = (gw: Tensor, dout: Tensor, inp: Tensor, n: number, k: number) => be.matmul(gw, dout, inp, { m: n, n: k, k: N, transA: true, accumulate: true });
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const L = this.layers[l], S = saved[l];
      const nm = (key: LayerKey) => `encoder.layer.${l}.${LAYER_NAMES[key]}`;
      be.layernormBackward(de, G(nm('ln2w')), G(nm('ln2b')), dx, S.e2, L.ln2w, S.mean2, S.rstd2);
      wgrad(G(nm('wo2')), de, S.g, C, I); be.sumRows(G(nm('bo2')), de, { accumulate: true });
      be.matmul(dg, de, L.wo2, { m: N, n: I, k: C });
      be.geluErfBackward(dinter, S.inter, dg);
      wgrad(G(nm('wi')), dinter, S.a, I, C); be.sumRows(G(nm('bi')), dinter, { accumulate: true });
      be.copy(da, de);
      be.matmul(da, dinter, L.wi, { m: N, n: C, k: I, accumulate: true });
      be.layernormBackward(de, G(nm('ln1w')), G(nm('ln1b')), da, S.e1, L.ln1w, S.mean1, S.rstd1);
      wgrad(G(nm('wo')), de, S.ctx, C, C); be.sumRows(G(nm('bo')), de, { accumulate: true });
      be.matmul(dctx, de, L.wo, { m: N, n: C, k: C });
      be.disentangledAttentionBackward(dq, dk, dv, dpos, dctx, S.q, S.k, S.v, L.pos, rel, S.ctx, S.lse,
        { batch: B, seq: T, heads: Hh, headDim: D, relRows: R, scale, c2p: cfg.c2p, p2c: cfg.p2c, keyMask: this.saved.mask });
      // dx of this layer's input: the residual plus the three projections
      be.copy(dx, de);
      for (const [d, w, b, gw, gb] of [[dq, L.wq, L.bq, 'wq', 'bq'], [dk, L.wk, L.bk, 'wk', 'bk'], [dv, L.wv, L.bv, 'wv', 'bv']] as const) {
        void b;
        wgrad(G(nm(gw)), d, S.xin, C, C); be.sumRows(G(nm(gb)), d, { accumulate: true });
        be.matmul(dx, d, w, { m: N, n: C, k: C, accumulate: true });
      }
      // pos = rel·[Wk; Wq]ᵀ + [bk; bq]
      be.matmul(dwkq, dpos, this.rel!.out, { m: 2 * C, n: C, k: R, transA: true });
      be.copy(half, dwkq, { srcOffset: 0, count: C * C }); be.axpy(G(nm('wk')), half, 1);
      be.copy(half, dwkq, { srcOffset: C * C, count: C * C }); be.axpy(G(nm('wq')), half, 1);
      be.sumRows(dbkq, dpos);
      be.copy(halfB, dbkq, { srcOffset: 0, count: C }); be.axpy(G(nm('bk')), halfB, 1);
      be.copy(halfB, dbkq, { srcOffset: C, count: C }); be.axpy(G(nm('bq')), halfB, 1);
      be.copy(wkq, L.wk, { dstOffset: 0, count: C * C }); be.copy(wkq, L.wq, { dstOffset: C * C, count: C * C });
      be.matmul(drel, dpos, wkq, { m: R, n: C, k: 2 * C, accumulate: true });
    }
    // embeddings: x0 = LN_emb(e0), e0 = word_embeddings[ids]
    be.layernormBackward(de, G('embeddings.LayerNorm.weight'), G('embeddings.LayerNorm.bias'), dx, this.saved.e0, this.p('embeddings.LayerNorm.weight'), this.saved.mean0, this.saved.rstd0);
    be.embeddingBackward(G('embeddings.word_embeddings.weight'), de, this.saved.ids);
    // rel = LN_enc(rel_embeddings)
    const drelRaw = be.tensor([R, C]);
    be.layernormBackward(drelRaw, G('encoder.LayerNorm.weight'), G('encoder.LayerNorm.bias'), drel, this.p('encoder.rel_embeddings.weight'), this.p('encoder.LayerNorm.weight'), this.rel!.mean, this.rel!.rstd);
    be.axpy(G('encoder.rel_embeddings.weight'), drelRaw, 1);
    for (const t of [dx, de, da, dctx, dq, dk, dv, dg, dinter, dpos, drel, dwkq, dbkq, half, halfB, wkq, drelRaw]) be.dispose(t);
  }

  /** releases what the last training forward kept */
  dropSaved(): void {
    if (!this.saved) return;
    const { be } = this;
    for (const S of this.saved.layers) for (const t of Object.values(S)) be.dispose(t);
    for (const t of [this.saved.ids, this.saved.mask, this.saved.e0, this.saved.mean0, this.saved.rstd0]) be.dispose(t);
    this.saved = null;
  }

  dispose(): void {
    this.dropSaved();
    for (const t of this.params.values()) this.be.dispose(t);
    for (const L of this.layers) this.be.dispose(L.pos);
    if (this.grads) for (const t of this.grads.values()) this.be.dispose(t);
    if (this.rel) for (const t of Object.values(this.rel)) this.be.dispose(t);
    for (const t of this.relCache.values()) this.be.dispose(t);
    this.params.clear();
    this.layers.length = 0;
    this.relCache.clear();
    this.grads = null;
    this.rel = null;
  }
}
