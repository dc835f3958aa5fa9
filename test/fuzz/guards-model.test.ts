// Issue 18, defects 4 and 5: checkpoint ↔ config matching is strict, and sizes from the input
// are not trusted. On copies of the llama-gqa / gpt2 fixtures:
//  - extra layers (an 8-layer file under a 2-layer config), a bias the config lacks,
//    num_hidden_layers 1 on a 2-layer file: ONE error listing the extra tensors by name;
//  - tie_word_embeddings true beside an lm_head that differs from the embedding: refused
//    (one that IS the embedding, stored twice, loads);
//  - model_type "constructor" / "__proto__" / "toString" (and such architectures): refused,
//    never read as llama or written back as architectures [null];
//  - num_hidden_layers 1e9, a vocab × hidden past one tensor: refused at once (no heap abort);
//  - tokenizer.json: an added token of id 1e9, a vocab id of 2³¹−2, a Metaspace replacement "":
//    one clear error at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configToJson, parseConfig } from '../../src/model/config.js';
import { ModelFileError } from '../../src/model/io-errors.js';
import { SafetensorsFile, writeSafetensorsFile } from '../../src/model/io-files.js';
import { readModelDir } from '../../src/model/modeldir.js';
import { loadModel } from '../../src/model/load.js';
import { getBackend } from '../kernels/harness.js';
import { TokenizerFileError } from '../../src/tokenizer/errors.js';
import { tokenizerFromJSONSync } from '../../src/tokenizer/hf-json.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const fixtures = path.join(root, 'test/fixtures/models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-guards-model-'));

type T = { name: string; shape: number[]; data: Float32Array; dtype: 'F32' };
function fixture(name: string): { config: Record<string, any>; tensors: T[] } {
  const f = SafetensorsFile.open(path.join(fixtures, name, 'model.safetensors'));
  return {
    config: JSON.parse(fs.readFileSync(path.join(fixtures, name, 'config.json'), 'utf8')),
    tensors: f.names().map((n) => ({ name: n, shape: [...f.info(n)!.shape], data: f.readFloat32(n), dtype: 'F32' as const })),
  };
}
let dirs = 0;
function modelDir(config: Record<string, unknown>, tensors: T[]): string {
  const dir = path.join(tmp, `m${dirs++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}
function errorOf(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected an error');
}

const s = suite('guards: checkpoints match their config; sizes are not trusted');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

s('the fixtures load (the strict check passes what matches)', () => {
  for (const name of ['llama-gqa', 'qwen2-tied', 'gpt2']) assert.equal(readModelDir(path.join(fixtures, name)).unused, []);
});

s('extra layers, a bias the config lacks, fewer layers than the file: one error naming the tensors', () => {
  const { config, tensors } = fixture('llama-gqa');
  // 8 layers in the file (layers 2..7 copies of 0/1) under the 2-layer config
  const more = [...tensors];
  for (let l = 2; l < 8; l++) for (const t of tensors) if (t.name.startsWith(`model.layers.${l % 2}.`)) more.push({ ...t, name: t.name.replace(`layers.${l % 2}.`, `layers.${l}.`) });
  let e = errorOf(() => readModelDir(modelDir(config, more)));
  assert.instance(e, ModelFileError);
  assert.match(e.message, /holds 54 tensors that .*config\.json does not describe: .*model\.layers\.2\./);
  assert.match(e.message, /num_hidden_layers = 2/);
  // a q_proj.bias the config (attention_bias false) does not have
  const q = tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!;
  e = errorOf(() => readModelDir(modelDir(config, [...tensors, { name: 'model.layers.0.self_attn.q_proj.bias', shape: [q.shape[0]], data: new Float32Array(q.shape[0]), dtype: 'F32' }])));
  assert.match(e.message, /holds 1 tensor that .* does not describe: model\.layers\.0\.self_attn\.q_proj\.bias/);
  assert.match(e.message, /biases the config does not/);
  // num_hidden_layers 1 on the 2-layer file
  e = errorOf(() => readModelDir(modelDir({ ...config, num_hidden_layers: 1 }, tensors)));
  assert.match(e.message, /holds 9 tensors that .* does not describe: model\.layers\.1\./);
  assert.match(e.message, /num_hidden_layers = 1/);
});

s('loadModel (tensors streamed to the device) refuses the same checkpoints before streaming', async () => {
  const be = await getBackend('wasm');
  const { config, tensors } = fixture('llama-gqa');
  const q = tensors.find((t) => t.name === 'model.layers.1.self_attn.k_proj.weight')!;
  const extra = { name: 'model.layers.1.self_attn.k_proj.bias', shape: [q.shape[0]], data: new Float32Array(q.shape[0]), dtype: 'F32' as const };
  for (const [cfg, ts, re] of [
    [config, [...tensors, extra], /does not describe: model\.layers\.1\.self_attn\.k_proj\.bias/],
    [{ ...config, num_hidden_layers: 1 }, tensors, /holds 9 tensors that .* does not describe/],
    [{ ...config, tie_word_embeddings: true }, tensors, /"tie_word_embeddings" is true, but the checkpoint holds its own lm_head\.weight/],
  ] as [Record<string, unknown>, T[], RegExp][]) {
    const e = errorOf(() => loadModel(be, modelDir(cfg, ts)));
    assert.instance(e, ModelFileError);
    assert.match(e.message, re);
  }
  loadModel(be, path.join(fixtures, 'llama-gqa')).model.dispose();
});

s('tie_word_embeddings true with an lm_head: refused unless it is the embedding itself', () => {
  const { config, tensors } = fixture('llama-gqa');
  const e = errorOf(() => readModelDir(modelDir({ ...config, tie_word_embeddings: true }, tensors)));
  assert.instance(e, ModelFileError);
  assert.match(e.message, /"tie_word_embeddings" is true, but the checkpoint holds its own lm_head\.weight/);
  const emb = tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
  const same = tensors.map((t) => (t.name === 'lm_head.weight' ? { ...t, data: emb.data.slice() } : t));
  assert.equal(readModelDir(modelDir({ ...config, tie_word_embeddings: true }, same)).unused, ['lm_head.weight']);
  // gpt2 ties by default: an lm_head that differs is refused the same way
  const g = fixture('gpt2');
  const wte = g.tensors.find((t) => t.name === 'transformer.wte.weight')!;
  const head = { ...wte, name: 'lm_head.weight', data: wte.data.map((x) => x + 1) };
  assert.match(errorOf(() => readModelDir(modelDir(g.config, [...g.tensors, head]))).message, /tie_word_embeddings/);
});

s('model_type and architectures are looked up as own keys only', () => {
  const { config } = fixture('llama-gqa');
  for (const t of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    const e = errorOf(() => parseConfig({ ...config, model_type: t }, 'x/config.json'));
    assert.instance(e, ModelFileError);
    assert.match(e.message, new RegExp(`x/config\\.json: field "model_type" is "${t}", which sppo does not support`));
    const noType = { ...config, architectures: [t] } as Record<string, unknown>;
    delete noType.model_type;
    assert.match(errorOf(() => parseConfig(noType, 'x/config.json')).message, /"model_type" is missing/);
  }
  // and what parses writes back a real architecture
  assert.equal(configToJson(parseConfig(config)).architectures, ['LlamaForCausalLM']);
});

s('sizes past what a tensor or the machine can hold: refused at once', () => {
  const { config } = fixture('llama-gqa');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ num_hidden_layers: 1e9 }, /field "num_hidden_layers" is 1000000000, above the largest sppo accepts \(1024\)/],
    [{ vocab_size: 2 ** 31 - 2, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8 }, /field "vocab_size" makes a tensor of 2147483646 × 4096/],
    [{ hidden_size: 1e9 }, /field "hidden_size" is 1000000000, above/],
    [{ max_position_embeddings: 1e12 }, /field "max_position_embeddings" is 1000000000000, above/],
    [{ num_attention_heads: 4096 }, /field "num_attention_heads"/],
    [{ intermediate_size: 1.5 }, /field "intermediate_size" is 1\.5, not an integer/],
  ];
  for (const [over, re] of cases) assert.match(errorOf(() => parseConfig({ ...config, ...over }, 'c.json')).message, re);
  const g = fixture('gpt2').config;
  assert.match(errorOf(() => parseConfig({ ...g, n_layer: 1e9 }, 'g.json')).message, /field "n_layer" is 1000000000, above/);
  assert.match(errorOf(() => parseConfig({ ...g, n_positions: 2 ** 30 }, 'g.json')).message, /field "n_positions"/);
});

s('tokenizer.json: huge ids and an empty Metaspace replacement are one clear error', () => {
  const tok = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/tiny/model/tokenizer.json'), 'utf8'));
  const load = (j: unknown) => errorOf(() => tokenizerFromJSONSync(j as object, null, { file: 't.json' }));
  let e = load({ ...tok, added_tokens: [...tok.added_tokens, { id: 1e9, content: '<big>', special: true }] });
  assert.instance(e, TokenizerFileError);
  assert.match(e.message, /added_tokens\[2\]\.id: the largest token id is 1000000000, but the file holds only \d+ tokens/);
  e = load({ ...tok, model: { ...tok.model, vocab: { ...tok.model.vocab, far: 2 ** 31 - 2 } } });
  assert.match(e.message, /model\.vocab: the largest token id is 2147483646/);
  e = load({ ...tok, pre_tokenizer: { type: 'Metaspace', replacement: '', prepend_scheme: 'always', split: true } });
  assert.match(e.message, /a Metaspace replacement is exactly one character/);
  e = load({ ...tok, decoder: { type: 'Metaspace', replacement: '', prepend_scheme: 'always', split: true } });
  assert.match(e.message, /a Metaspace replacement is exactly one character/);
  // still fine: a few added tokens past the vocabulary
  tokenizerFromJSONSync({ ...tok, added_tokens: [...tok.added_tokens, { id: 300, content: '<x>', special: true }] });
});

s.run();
