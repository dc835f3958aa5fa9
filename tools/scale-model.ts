// Random-weight models in the exact shapes of real checkpoints (config.json numbers of
// SmolLM2-135M, Qwen2.5-0.5B, Llama-3.2-1B), written as Hugging Face model directories: bf16
// model.safetensors streamed tensor by tensor (a 1B model is never held whole in memory),
// config.json, and GPT-2's tokenizer.json, its vocabulary extended to the model's with entries
// no merge produces (so sampled ids decode; encoding is GPT-2's). Used by `npm run bench -- scale`, the SPPO_BIG tests and the browser tests;
// 'tiny-*' shapes run the same paths in every test run.
//   node --import tsx tools/scale-model.ts SHAPE OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpt2TokenizerJson } from './tokenizer/gpt2-tokenizer-json.js';

export interface ScaleShape {
  /** config.json fields (HF names) */
  modelType: 'llama' | 'qwen2';
  hidden: number; layers: number; heads: number; kvHeads: number; intermediate: number; vocab: number;
  tied: boolean; ropeTheta: number; normEps: number; maxPositions: number;
}

export const SHAPES: Record<string, ScaleShape> = {
  'smollm2-135m': { modelType: 'llama', hidden: 576, layers: 30, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152, tied: true, ropeTheta: 100000, normEps: 1e-5, maxPositions: 8192 },
  'qwen2.5-0.5b': { modelType: 'qwen2', hidden: 896, layers: 24, heads: 14, kvHeads: 2, intermediate: 4864, vocab: 151936, tied: true, ropeTheta: 1000000, normEps: 1e-6, maxPositions: 32768 },
  'llama3.2-1b': { modelType: 'llama', hidden: 2048, layers: 16, heads: 32, kvHeads: 8, intermediate: 8192, vocab: 128256, tied: true, ropeTheta: 500000, normEps: 1e-5, maxPositions: 131072 },
  // small shapes with the same structure (GQA, tied head, qwen2 biases) and awkward sizes, for every test run
  'tiny-llama': { modelType: 'llama', hidden: 48, layers: 3, heads: 6, kvHeads: 2, intermediate: 80, vocab: 50301, tied: true, ropeTheta: 100000, normEps: 1e-5, maxPositions: 512 },
  'tiny-qwen2': { modelType: 'qwen2', hidden: 56, layers: 2, heads: 7, kvHeads: 1, intermediate: 104, vocab: 50311, tied: true, ropeTheta: 1000000, normEps: 1e-6, maxPositions: 512 },
};

/** HF tensor list of a shape, in checkpoint order: [name, shape, kind] */
function tensors(s: ScaleShape): [string, number[], 'w' | 'norm' | 'bias'][] {
  const D = s.hidden / s.heads, out: [string, number[], 'w' | 'norm' | 'bias'][] = [];
  out.push(['model.embed_tokens.weight', [s.vocab, s.hidden], 'w']);
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}.`;
    out.push([p + 'input_layernorm.weight', [s.hidden], 'norm']);
    out.push([p + 'self_attn.q_proj.weight', [s.heads * D, s.hidden], 'w']);
    out.push([p + 'self_attn.k_proj.weight', [s.kvHeads * D, s.hidden], 'w']);
    out.push([p + 'self_attn.v_proj.weight', [s.kvHeads * D, s.hidden], 'w']);
    if (s.modelType === 'qwen2') {
      out.push([p + 'self_attn.q_proj.bias', [s.heads * D], 'bias']);
      out.push([p + 'self_attn.k_proj.bias', [s.kvHeads * D], 'bias']);
      out.push([p + 'self_attn.v_proj.bias', [s.kvHeads * D], 'bias']);
    }
    out.push([p + 'self_attn.o_proj.weight', [s.hidden, s.heads * D], 'w']);
    out.push([p + 'post_attention_layernorm.weight', [s.hidden], 'norm']);
    out.push([p + 'mlp.gate_proj.weight', [s.intermediate, s.hidden], 'w']);
    out.push([p + 'mlp.up_proj.weight', [s.intermediate, s.hidden], 'w']);
    out.push([p + 'mlp.down_proj.weight', [s.hidden, s.intermediate], 'w']);
  }
  out.push(['model.norm.weight', [s.hidden], 'norm']);
  if (!s.tied) out.push(['lm_head.weight', [s.vocab, s.hidden], 'w']);
  return out;
}

export function paramCountOf(s: ScaleShape): number {
  return tensors(s).reduce((n, [, sh]) => n + sh.reduce((a, b) => a * b, 1), 0);
}

/**
 * Writes the model directory `dir` (created; an existing one is replaced): config.json,
 * model.safetensors (bf16, weights uniform with std 0.02 from a seeded generator, norms 1, biases small),
 * tokenizer.json + tokenizer_config.json (GPT-2's). Written to DIR.tmp then renamed.
 */
export function writeScaleModel(dir: string, shape: string | ScaleShape, seed = 1): ScaleShape {
  const s = typeof shape === 'string' ? SHAPES[shape] : shape;
  if (!s) throw new Error(`scale-model: unknown shape "${shape}": use ${Object.keys(SHAPES).join(', ')}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const D = s.hidden / s.heads;
  const config = {
    architectures: [s.modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'], model_type: s.modelType,
    hidden_size: s.hidden, intermediate_size: s.intermediate, num_hidden_layers: s.layers, num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads, head_dim: D, vocab_size: s.vocab, rms_norm_eps: s.normEps, rope_theta: s.ropeTheta,
    max_position_embeddings: s.maxPositions, tie_word_embeddings: s.tied, torch_dtype: 'bfloat16',
    bos_token_id: 50256, eos_token_id: 50256, hidden_act: 'silu',
    ...(s.modelType === 'qwen2' ? { use_sliding_window: false, sliding_window: null } : { attention_bias: false, mlp_bias: false }),
  };
  fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const tok = gpt2TokenizerJson();
  // the tokenizer covers every id of the model (as a real checkpoint's does): ids past GPT-2's
  // 50257 get vocabulary entries " x<id>" that no merge produces (encoding is GPT-2's), so text
  // sampled from a random model decodes
  const vocab = (tok.tokenizer as any).model.vocab as Record<string, number>;
  for (let id = 50257; id < s.vocab; id++) vocab[`Ġx${id}`] = id;
  fs.writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tok.tokenizer));
  fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify(tok.config));
  // safetensors: header (offsets known from the shapes), then each tensor's bytes in order
  const list = tensors(s);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, shp] of list) {
    const bytes = 2 * shp.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'BF16', shape: shp, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const fd = fs.openSync(path.join(tmp, 'model.safetensors'), 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    fs.writeSync(fd, len);
    fs.writeSync(fd, Buffer.from(json, 'latin1'));
    let x = (seed * 2654435761) >>> 0 || 1;
    const CH = 1 << 22;
    const buf = new Uint16Array(CH), vals = new Float32Array(CH), bits = new Uint32Array(vals.buffer);
    for (const [, shp, kind] of list) {
      let n = shp.reduce((a, b) => a * b, 1);
      while (n > 0) {
        const m = Math.min(n, CH);
        if (kind === 'norm') buf.fill(0x3f80, 0, m);
        else {
          // uniform on ±std·√3 (variance std²) from an xorshift stream; bf16 = the top 16 bits
          // (truncation: random weights need no rounding, and a 1B model writes in seconds)
          const a = (kind === 'bias' ? 0.01 : 0.02) * 1.7320508 * 2 / 4294967296;
          for (let i = 0; i < m; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; vals[i] = (x >>> 0) * a - a * 2147483648; }
          for (let i = 0; i < m; i++) buf[i] = bits[i] >>> 16;
        }
        fs.writeSync(fd, new Uint8Array(buf.buffer, 0, 2 * m));
        n -= m;
      }
    }
    fs.fsyncSync(fd);
  } finally { fs.closeSync(fd); }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return s;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [shape, out] = process.argv.slice(2);
  if (!shape || !out) { console.error(`usage: node --import tsx tools/scale-model.ts SHAPE OUT_DIR (shapes: ${Object.keys(SHAPES).join(', ')})`); process.exit(2); }
  const s = writeScaleModel(out, shape);
  console.error(`wrote ${out}: ${shape}, ${paramCountOf(s).toLocaleString()} parameters (bf16)`);
}
