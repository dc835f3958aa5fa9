// llama2.c checkpoints (karpathy/llama2.c run.c / export.py) → a LlamaConfig and tensors in
// Hugging Face names and layouts (io-params.ts). No node: imports (Node reads the file with
// readLlama2cFile in modeldir.ts).
//
// Formats (all little-endian):
//   legacy ("version 0"): 7 × i32 header
//       dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//     vocab_size < 0 means an unshared classifier (|vocab_size| is the vocabulary); then f32:
//       tok_embeddings (V, dim)
//       attention_norm (L, dim) | wq (L, dim, dim) | wk (L, kv_dim, dim) | wv (L, kv_dim, dim)
//       wo (L, dim, dim) | ffn_norm (L, dim) | w1 (L, hidden, dim) | w2 (L, dim, hidden)
//       w3 (L, hidden, dim) | norm (dim) | freq_cis_real (seq_len, hs/2) | freq_cis_imag (same)
//       [output (V, dim) when unshared]
//   version 1: u32 magic 0x616b3432 ("ak42"), i32 version = 1, the same 7 × i32 (vocab_size
//     positive), u8 shared_classifier, zero padding to 256 bytes; then f32:
//       attention_norm (L, dim) | ffn_norm (L, dim) | norm (dim) | tok_embeddings (V, dim)
//       wq | wk | wv | wo | w1 | w2 | w3 (per layer, shapes as above) | [output (V, dim)]
//   version 2 (Q8_0 int8 groups) is not read.
// Weights are torch nn.Linear (out, in). w1 = gate_proj, w2 = down_proj, w3 = up_proj.
//
// Rotary layout: llama2.c rotates interleaved pairs (2i, 2i+1) of each head (Meta's layout;
// its export.py permutes Hugging Face q/k back into it). By default the q and k rows are
// permuted here into Hugging Face's rotate_half layout (pairs i, i + hs/2) — HF's own
// convert_llama_weights_to_hf permutation — so the result is a plain HF Llama checkpoint that
// runs with RopeOptions.layout 'half'. Pass {ropeLayout: 'interleaved'} to keep the file's rows
// (then run rope with layout 'interleaved'). The two give the same logits.
// Fixed by run.c: rms_norm_eps 1e-5, rope_theta 10000, head_dim = dim / n_heads.
import type { LlamaConfig } from './config.js';
import { ModelFileError } from './io-errors.js';

export const LLAMA2C_MAGIC = 0x616b3432;

export interface Llama2cCheckpoint {
  config: LlamaConfig;
  /** HF names (model.embed_tokens.weight, ...); lm_head.weight only when unshared */
  tensors: Map<string, Float32Array>;
  version: 0 | 1;
  ropeLayout: 'half' | 'interleaved';
}

/** Meta interleaved rows (per head: 2j + s) → HF rotate_half rows (per head: s·hs/2 + j). */
export function interleavedToHalf(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < half; j++) {
      for (let s = 0; s < 2; s++) {
        const src = (h * headDim + 2 * j + s) * cols, dst = (h * headDim + s * half + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/** what the header of a llama2.c checkpoint says (enough for its config; nothing else read) */
interface Llama2cLayout {
  config: LlamaConfig; version: 0 | 1; shared: boolean; dataStart: number; hs: number; kvDim: number;
  sizes: Record<'emb' | 'attNorm' | 'ffnNorm' | 'norm' | 'wq' | 'wk' | 'wv' | 'wo' | 'w1' | 'w2' | 'w3' | 'freqs' | 'out', number>;
  order: ('emb' | 'attNorm' | 'ffnNorm' | 'norm' | 'wq' | 'wk' | 'wv' | 'wo' | 'w1' | 'w2' | 'w3' | 'freqs' | 'out')[];
}

/**
 * The header of a llama2.c checkpoint (its first 256 bytes, or all of a shorter file) and the
 * file's size → the model's config and layout, with one clear error when the header is not a
 * llama2.c model or the size does not match it. Readers that only need the config read no more.
 */
export function llama2cLayout(head: Uint8Array, fileSize: number, source = 'llama2.c checkpoint'): Llama2cLayout {
  const notOurs = (what: string): never => {
    throw new ModelFileError(source, what, 'pass a float32 llama2.c checkpoint (export.py --version 0 or --version 1), e.g. stories15M.bin');
  };
  if (fileSize < 28 || head.length < 28) notOurs(`is ${fileSize} bytes, too short for a llama2.c header`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let version: 0 | 1 = 0, hdr = 0, dataStart = 28, shared: boolean;
  if (dv.getUint32(0, true) === LLAMA2C_MAGIC) {
    if (fileSize < 256 || head.length < 37) notOurs(`has the "ak42" magic but is ${fileSize} bytes, shorter than its 256-byte header`);
    const v = dv.getInt32(4, true);
    if (v === 2) {
      throw new ModelFileError(source, 'is a version 2 (Q8_0 int8-quantized) llama2.c checkpoint, which sppo does not read',
        'export the model again in float32: python export.py out.bin --version 1 (or --version 0)');
    }
    if (v !== 1) notOurs(`has the "ak42" magic but version ${v}; only versions 0 (legacy) and 1 are float32`);
    version = 1; hdr = 8; dataStart = 256;
  }
  const [dim, hidden, L, heads, kvHeads, vocabRaw, seqLen] = Array.from({ length: 7 }, (_, i) => dv.getInt32(hdr + 4 * i, true));
  const header = `dim ${dim}, hidden_dim ${hidden}, n_layers ${L}, n_heads ${heads}, n_kv_heads ${kvHeads}, vocab_size ${vocabRaw}, seq_len ${seqLen}`;
  const sane = (x: number, max: number) => x > 0 && x <= max;
  if (!sane(dim, 1 << 16) || !sane(hidden, 1 << 18) || !sane(L, 1024) || !sane(heads, 1024) || !sane(kvHeads, 1024)
    || !sane(Math.abs(vocabRaw), 1 << 22) || !sane(seqLen, 1 << 22) || dim % heads !== 0 || heads % kvHeads !== 0 || (dim / heads) % 2 !== 0) {
    notOurs(`has a header that is not a llama2.c model (${header})`);
  }
  if (version === 1) {
    if (vocabRaw < 0) notOurs(`is version 1 but has a negative vocab_size (${header})`);
    shared = head[hdr + 28] !== 0;
  } else {
    shared = vocabRaw > 0;
  }
  const V = Math.abs(vocabRaw), hs = dim / heads, kvDim = kvHeads * hs;
  // element counts of each block, in file order
  const sizes = {
    emb: V * dim, attNorm: L * dim, ffnNorm: L * dim, norm: dim,
    wq: L * dim * dim, wk: L * kvDim * dim, wv: L * kvDim * dim, wo: L * dim * dim,
    w1: L * hidden * dim, w2: L * dim * hidden, w3: L * hidden * dim,
    freqs: version === 0 ? seqLen * hs : 0, out: shared ? 0 : V * dim,
  };
  const order: Llama2cLayout['order'] = version === 0
    ? ['emb', 'attNorm', 'wq', 'wk', 'wv', 'wo', 'ffnNorm', 'w1', 'w2', 'w3', 'norm', 'freqs', 'out']
    : ['attNorm', 'ffnNorm', 'norm', 'emb', 'wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3', 'out'];
  const floats = order.reduce((s, k) => s + sizes[k], 0);
  const want = dataStart + 4 * floats;
  if (fileSize !== want) {
    throw new ModelFileError(source, `is ${fileSize} bytes, but its header (${header}${version === 1 ? `, shared_classifier ${shared}` : ''}) needs ${want}`,
      fileSize < want ? 'the file is truncated; copy or export it again' : 'the file is not a float32 llama2.c checkpoint of this version (a quantized export?); export it again with export.py --version 1');
  }
  const config: LlamaConfig = {
    arch: 'llama', modelType: 'llama',
    vocabSize: V, hiddenSize: dim, intermediateSize: hidden, numLayers: L,
    numHeads: heads, numKvHeads: kvHeads, headDim: hs, maxPositions: seqLen,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null,
    qkvBias: false, oBias: false, mlpBias: false, slidingWindow: null,
    tieWordEmbeddings: shared,
    // llama2.c's sentencepiece tokenizer (Llama 2 vocabulary): <s> = 1, </s> = 2
    bosTokenId: 1, eosTokenIds: [2], padTokenId: null,
  };
  return { config, version, shared, dataStart, hs, kvDim, sizes, order };
}

export function parseLlama2c(bytes: Uint8Array, source = 'llama2.c checkpoint', o: { ropeLayout?: 'half' | 'interleaved' } = {}): Llama2cCheckpoint {
  const { config, version, dataStart, hs, sizes, order } = llama2cLayout(bytes.subarray(0, 256), bytes.length, source);
  const { hiddenSize: dim, numLayers: L, numHeads: heads, numKvHeads: kvHeads, tieWordEmbeddings: shared } = config;
  const floats = order.reduce((s, k) => s + sizes[k], 0);
  const want = dataStart + 4 * floats;
  const all = new Float32Array(floats);
  new Uint8Array(all.buffer).set(bytes.subarray(dataStart, want));
  const block: Partial<Record<keyof typeof sizes, Float32Array>> = {};
  let at = 0;
  for (const k of order) { block[k] = all.subarray(at, at + sizes[k]); at += sizes[k]; }
  const layer = (k: keyof typeof sizes, i: number) => block[k]!.slice(i * (sizes[k] / L), (i + 1) * (sizes[k] / L));
  const layout = o.ropeLayout ?? 'half';
  const rope = (w: Float32Array, nh: number) => (layout === 'half' ? interleavedToHalf(w, nh, hs, dim) : w);

  const tensors = new Map<string, Float32Array>();
  tensors.set('model.embed_tokens.weight', block.emb!.slice());
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    tensors.set(`${p}.input_layernorm.weight`, layer('attNorm', i));
    tensors.set(`${p}.self_attn.q_proj.weight`, rope(layer('wq', i), heads));
    tensors.set(`${p}.self_attn.k_proj.weight`, rope(layer('wk', i), kvHeads));
    tensors.set(`${p}.self_attn.v_proj.weight`, layer('wv', i));
    tensors.set(`${p}.self_attn.o_proj.weight`, layer('wo', i));
    tensors.set(`${p}.post_attention_layernorm.weight`, layer('ffnNorm', i));
    tensors.set(`${p}.mlp.gate_proj.weight`, layer('w1', i));
    tensors.set(`${p}.mlp.up_proj.weight`, layer('w3', i));
    tensors.set(`${p}.mlp.down_proj.weight`, layer('w2', i));
  }
  tensors.set('model.norm.weight', block.norm!.slice());
  if (!shared) tensors.set('lm_head.weight', block.out!.slice());

  return { config, tensors, version, ropeLayout: layout };
}
