// DeBERTa-v2/v3 encoder (Hugging Face DebertaV2Model), forward only, over the Backend ops.
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
//           the layer's own key/query projections of the relative embeddings; computed once at load
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

interface Layer {
  wq: Tensor; bq: Tensor; wk: Tensor; bk: Tensor; wv: Tensor; bv: Tensor;
  wo: Tensor; bo: Tensor; ln1w: Tensor; ln1b: Tensor;
  wi: Tensor; bi: Tensor; wo2: Tensor; bo2: Tensor; ln2w: Tensor; ln2b: Tensor;
  /** (R, 2, heads, D): rel·[Wk; Wq]ᵀ + [bk; bq] */
  pos: Tensor;
}

export class DebertaEncoder {
  private emb!: Tensor;
  private embLnW!: Tensor;
  private embLnB!: Tensor;
  private readonly layers: Layer[] = [];
  private readonly owned: Tensor[] = [];
  private readonly relCache = new Map<number, Tensor>();

  private constructor(readonly be: Backend, readonly cfg: DebertaConfig) {}

  /**
   * Streams the encoder's tensors (prefix p) from a checkpoint (model directory, index or
   * .safetensors file) onto the backend, never holding the whole checkpoint on the host. A
   * BF16/F16 checkpoint's matrices (word embeddings, projections) stay 16-bit on the device
   * (matmul and embedding read them, accumulating in f32); norms, biases and the precomputed
   * relative projections are f32. `extra` tensors (a head) are returned on the host as f32.
   */
  static load(be: Backend, cfg: DebertaConfig, target: string, prefix: string, extra: ParamSpec[] = []): { encoder: DebertaEncoder; extra: Map<string, Float32Array> } {
    const enc = new DebertaEncoder(be, cfg);
    const C = cfg.hidden, R = cfg.relRows;
    const all = debertaParamList(cfg, prefix);
    // the relative embeddings and their norm first: each layer's pos is made as soon as its
    // key/query projections arrive
    const first = new Set([`${prefix}encoder.rel_embeddings.weight`, `${prefix}encoder.LayerNorm.weight`, `${prefix}encoder.LayerNorm.bias`]);
    const order = [...all.filter((s) => first.has(s.name)), ...all.filter((s) => !first.has(s.name)), ...extra];
    const extraNames = new Set(extra.map((s) => s.name));
    const isMatrix = (s: ParamSpec) => s.shape.length === 2 && !first.has(s.name) && !extraNames.has(s.name);
    const host = new Map<string, Float32Array>();
    const out = new Map<string, Float32Array>();
    const dev = new Map<string, Tensor>();
    let rel: Tensor | null = null;
    const f32 = (d: Float32Array | HalfArray) => (d instanceof HalfArray ? d.toFloat32() : d);
    try {
      streamTensors(target, order, (name, data) => {
        if (extraNames.has(name)) { out.set(name, f32(data)); return; }
        if (first.has(name)) {
          host.set(name, f32(data));
          if (host.size === 3) rel = enc.relNorm(host.get(`${prefix}encoder.rel_embeddings.weight`)!, host.get(`${prefix}encoder.LayerNorm.weight`)!, host.get(`${prefix}encoder.LayerNorm.bias`)!);
          return;
        }
        const spec = all.find((s) => s.name === name)!;
        const t = data instanceof HalfArray ? be.fromArray(data.bits, spec.shape, data.dtype, name) : be.fromArray(data, spec.shape, 'f32', name);
        enc.owned.push(t);
        dev.set(name, t);
        // keep f32 host copies of the key/query projections until the layer's pos is made
        const m = /encoder\.layer\.(\d+)\.attention\.self\.(query|key)_proj\.(weight|bias)$/.exec(name);
        if (m) {
          host.set(name, f32(data));
          const L = `${prefix}encoder.layer.${m[1]}.attention.self.`;
          const names = ['key_proj.weight', 'query_proj.weight', 'key_proj.bias', 'query_proj.bias'].map((n) => L + n);
          if (names.every((n) => host.has(n))) {
            const pos = be.tensor([R, 2 * C], 'f32', `deberta-pos-${m[1]}`);
            enc.owned.push(pos);
            dev.set(`pos.${m[1]}`, pos);
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
    const get = (n: string) => dev.get(prefix + n)!;
    enc.emb = get('embeddings.word_embeddings.weight');
    enc.embLnW = get('embeddings.LayerNorm.weight');
    enc.embLnB = get('embeddings.LayerNorm.bias');
    for (let l = 0; l < cfg.layers; l++) {
      const w = (n: string) => get(`encoder.layer.${l}.${n}`);
      enc.layers.push({
        wq: w('attention.self.query_proj.weight'), bq: w('attention.self.query_proj.bias'),
        wk: w('attention.self.key_proj.weight'), bk: w('attention.self.key_proj.bias'),
        wv: w('attention.self.value_proj.weight'), bv: w('attention.self.value_proj.bias'),
        wo: w('attention.output.dense.weight'), bo: w('attention.output.dense.bias'),
        ln1w: w('attention.output.LayerNorm.weight'), ln1b: w('attention.output.LayerNorm.bias'),
        wi: w('intermediate.dense.weight'), bi: w('intermediate.dense.bias'),
        wo2: w('output.dense.weight'), bo2: w('output.dense.bias'),
        ln2w: w('output.LayerNorm.weight'), ln2b: w('output.LayerNorm.bias'),
        pos: dev.get(`pos.${l}`)!,
      });
    }
    return { encoder: enc, extra: out };
  }

  /** LayerNorm_enc(rel_embeddings) (R, C) on the device */
  private relNorm(relRaw: Float32Array, w: Float32Array, b: Float32Array): Tensor {
    const { be, cfg } = this;
    const R = cfg.relRows, C = cfg.hidden;
    const tr = be.fromArray(relRaw, [R, C]), tw = be.fromArray(w, [C]), tb = be.fromArray(b, [C]);
    const rel = be.tensor([R, C], 'f32', 'deberta-rel'), mean = be.tensor([R]), rstd = be.tensor([R]);
    be.layernorm(rel, mean, rstd, tr, tw, tb, cfg.eps);
    for (const t of [tr, tw, tb, mean, rstd]) be.dispose(t);
    return rel;
  }

  private relIdx(T: number): Tensor {
    let t = this.relCache.get(T);
    if (!t) {
      t = this.be.fromArray(relativeIndex(this.cfg, T), [T, T], 'i32', `deberta-rel-${T}`);
      this.relCache.set(T, t);
    }
    return t;
  }

  /**
   * Last hidden states (B·T, C) of B sequences of T slots: ids (B·T) i32, −1 at padding;
   * keyMask (B·T) i32, 1 = real token. The caller disposes the result.
   */
  forward(ids: Int32Array, keyMask: Int32Array, B: number, T: number): Tensor {
    const { be, cfg } = this;
    const C = cfg.hidden, N = B * T, Hh = cfg.heads, D = C / Hh, I = cfg.intermediate;
    const tIds = be.fromArray(ids, [N], 'i32'), tMask = be.fromArray(keyMask, [B, T], 'i32');
    const e = be.tensor([N, C]), mean = be.tensor([N]), rstd = be.tensor([N]);
    be.embedding(e, this.emb, tIds);
    const x = be.tensor([N, C], 'f32', 'deberta-x');
    be.layernorm(x, mean, rstd, e, this.embLnW, this.embLnB, cfg.eps);
    const q = be.tensor([N, C]), k = be.tensor([N, C]), v = be.tensor([N, C]), ctx = be.tensor([N, C]);
    const lse = be.tensor([B * Hh * T]), tmp = be.tensor([N, C]), a = be.tensor([N, C]);
    const inter = be.tensor([N, I]), g = be.tensor([N, I]);
    const rel = this.relIdx(T);
    const scale = 1 / Math.sqrt(D * (1 + (cfg.c2p ? 1 : 0) + (cfg.p2c ? 1 : 0)));
    const mm = (out: Tensor, inp: Tensor, w: Tensor, bias: Tensor, n: number, kk: number) => be.matmul(out, inp, w, { m: N, n, k: kk, transB: true, bias });
    for (const L of this.layers) {
      mm(q, x, L.wq, L.bq, C, C); mm(k, x, L.wk, L.bk, C, C); mm(v, x, L.wv, L.bv, C, C);
      be.disentangledAttention(ctx, lse, q, k, v, L.pos, rel, { batch: B, seq: T, heads: Hh, headDim: D, relRows: cfg.relRows, scale, c2p: cfg.c2p, p2c: cfg.p2c, keyMask: tMask });
      mm(tmp, ctx, L.wo, L.bo, C, C);
      be.add(e, tmp, x);
      be.layernorm(a, mean, rstd, e, L.ln1w, L.ln1b, cfg.eps);
      mm(inter, a, L.wi, L.bi, I, C);
      be.geluErf(g, inter);
      mm(tmp, g, L.wo2, L.bo2, C, I);
      be.add(e, tmp, a);
      be.layernorm(x, mean, rstd, e, L.ln2w, L.ln2b, cfg.eps);
    }
    for (const t of [tIds, tMask, e, mean, rstd, q, k, v, ctx, lse, tmp, a, inter, g]) be.dispose(t);
    return x;
  }

  dispose(): void {
    for (const t of this.owned) this.be.dispose(t);
    for (const t of this.relCache.values()) this.be.dispose(t);
    this.owned.length = 0;
    this.relCache.clear();
  }
}
