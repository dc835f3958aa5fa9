// llama2.c checkpoints: legacy (v0) and version 1, shared and unshared classifier, against the
// HF-layout safetensors tools/make_model_fixtures.py wrote next to them (whose Meta-layout
// forward it checked equals the HF forward); the q/k row permutation on a hand-built file;
// malformed files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/model/config.js';
import { ModelFileError } from '../../src/model/io-errors.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import { hfParamList } from '../../src/model/io-params.js';
import { interleavedToHalf, parseLlama2c } from '../../src/model/llama2c.js';
import { llama2cSource, modelTokenizerPath, readConfigFile, readLlama2cFile, readModelDir, readModelMeta, writeModelDir } from '../../src/model/modeldir.js';
import { errorOf, FIXTURES, tmpDir } from './io-helpers.js';

const dir = path.join(FIXTURES, 'llama2c');
const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Record<string, { config: Record<string, unknown> }>;

for (const tag of ['untied', 'tied']) {
  for (const v of [0, 1]) {
    test(`v${v}-${tag}.bin reads into the HF names, shapes and rotate_half layout`, () => {
      const ck = readLlama2cFile(path.join(dir, `v${v}-${tag}.bin`));
      assert.is(ck.version, v);
      assert.is(ck.ropeLayout, 'half');
      const want = parseConfig(cases[tag].config);
      const { source: _s, ...wantFields } = want;
      assert.equal(ck.config, wantFields);
      const ref = SafetensorsFile.open(path.join(dir, `hf-${tag}.safetensors`));
      const specs = hfParamList(ck.config);
      assert.equal([...ck.tensors.keys()], specs.map((s) => s.name));
      assert.equal(ref.names(), specs.map((s) => s.name));
      for (const s of specs) {
        const got = ck.tensors.get(s.name)!, exp = ref.readFloat32(s.name);
        assert.is(got.length, exp.length, s.name);
        for (let i = 0; i < exp.length; i++) if (!Object.is(got[i], exp[i])) assert.unreachable(`${s.name}[${i}]: ${got[i]} != ${exp[i]}`);
      }
      // interleaved: q/k rows as stored; converting them gives the HF rows
      const raw = readLlama2cFile(path.join(dir, `v${v}-${tag}.bin`), { ropeLayout: 'interleaved' });
      const q = raw.tensors.get('model.layers.1.self_attn.q_proj.weight')!, k = raw.tensors.get('model.layers.1.self_attn.k_proj.weight')!;
      assert.not.equal([...q], [...ck.tensors.get('model.layers.1.self_attn.q_proj.weight')!]);
      assert.equal([...interleavedToHalf(q, 4, 6, 24)], [...ck.tensors.get('model.layers.1.self_attn.q_proj.weight')!]);
      assert.equal([...interleavedToHalf(k, 2, 6, 24)], [...ck.tensors.get('model.layers.1.self_attn.k_proj.weight')!]);
      assert.equal([...raw.tensors.get('model.layers.1.self_attn.v_proj.weight')!], [...ck.tensors.get('model.layers.1.self_attn.v_proj.weight')!]);
    });
  }
}

/** independent legacy writer: every weight element = a code naming (block, layer, row, col) */
function handBuilt(): { bytes: Uint8Array; code: (block: number, layer: number, row: number, col: number) => number } {
  const dim = 8, hidden = 12, L = 2, H = 2, Hkv = 1, V = 5, seq = 3, hs = dim / H;
  const code = (block: number, layer: number, row: number, col: number) => block * 1e6 + layer * 1e4 + row * 100 + col;
  const vals: number[] = [dim, hidden, L, H, Hkv, -V, seq];
  const mat = (block: number, rows: number, cols: number, layers = L) => {
    for (let l = 0; l < layers; l++) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) vals.push(code(block, l, r, c));
  };
  mat(1, V, dim, 1); mat(2, 1, dim); mat(3, dim, dim); mat(4, Hkv * hs, dim); mat(5, Hkv * hs, dim); mat(6, dim, dim);
  mat(7, 1, dim); mat(8, hidden, dim); mat(9, dim, hidden); mat(10, hidden, dim); mat(11, 1, dim, 1);
  for (let i = 0; i < seq * hs; i++) vals.push(0.5); // freq_cis real + imag
  mat(12, V, dim, 1);
  const buf = Buffer.alloc(vals.length * 4);
  vals.forEach((x, i) => (i < 7 ? buf.writeInt32LE(x, 4 * i) : buf.writeFloatLE(x, 4 * i)));
  return { bytes: new Uint8Array(buf), code };
}

test('hand-built legacy file: blocks land in the right HF tensors; q/k rows follow HF permute()', () => {
  const { bytes, code } = handBuilt();
  const ck = parseLlama2c(bytes, 'hand.bin');
  const c = ck.config;
  assert.equal([c.hiddenSize, c.intermediateSize, c.numLayers, c.numHeads, c.numKvHeads, c.vocabSize, c.maxPositions, c.tieWordEmbeddings, c.headDim],
    [8, 12, 2, 2, 1, 5, 3, false, 4]);
  const at = (name: string, cols: number, r: number, col: number) => Math.fround(ck.tensors.get(name)![r * cols + col]);
  const f = Math.fround;
  assert.is(at('model.embed_tokens.weight', 8, 4, 7), f(code(1, 0, 4, 7)));
  assert.is(at('lm_head.weight', 8, 3, 2), f(code(12, 0, 3, 2)));
  assert.is(at('model.norm.weight', 8, 0, 5), f(code(11, 0, 0, 5)));
  assert.is(at('model.layers.1.input_layernorm.weight', 8, 0, 3), f(code(2, 1, 0, 3)));
  assert.is(at('model.layers.1.post_attention_layernorm.weight', 8, 0, 3), f(code(7, 1, 0, 3)));
  assert.is(at('model.layers.1.self_attn.v_proj.weight', 8, 3, 1), f(code(5, 1, 3, 1)));
  assert.is(at('model.layers.0.self_attn.o_proj.weight', 8, 6, 2), f(code(6, 0, 6, 2)));
  assert.is(at('model.layers.1.mlp.gate_proj.weight', 8, 11, 7), f(code(8, 1, 11, 7)));
  assert.is(at('model.layers.1.mlp.down_proj.weight', 12, 7, 11), f(code(9, 1, 7, 11)));
  assert.is(at('model.layers.1.mlp.up_proj.weight', 8, 10, 0), f(code(10, 1, 10, 0)));
  // HF permute(w, n_heads): view(H, hs/2, 2, dim).transpose(1, 2): new row (h, s, j) = old row (h, j, s)
  for (const [name, block, heads] of [['q_proj', 3, 2], ['k_proj', 4, 1]] as const) {
    for (let h = 0; h < heads; h++) for (let s = 0; s < 2; s++) for (let j = 0; j < 2; j++) {
      assert.is(at(`model.layers.1.self_attn.${name}.weight`, 8, h * 4 + s * 2 + j, 5), f(code(block, 1, h * 4 + 2 * j + s, 5)), `${name} h${h} s${s} j${j}`);
    }
  }
});

test('a llama2.c model saves as an HF directory and reads back the same', () => {
  const ck = readLlama2cFile(path.join(dir, 'v1-tied.bin'));
  const out = path.join(tmpDir('l2c'), 'model');
  writeModelDir(out, { config: ck.config, tensors: ck.tensors });
  const back = readModelDir(out);
  const { source: _s, ...cfg } = back.config;
  assert.equal(cfg, ck.config);
  for (const [n, v] of ck.tensors) assert.equal([...back.tensors.get(n)!], [...v], n);
  fs.rmSync(path.dirname(out), { recursive: true });
});

test('malformed llama2.c files: one clear error each', () => {
  const good = fs.readFileSync(path.join(dir, 'v0-untied.bin'));
  const v1 = fs.readFileSync(path.join(dir, 'v1-untied.bin'));
  const expect = (bytes: Uint8Array, cause: RegExp) => {
    const e = errorOf(() => parseLlama2c(bytes, 'bad.bin'));
    assert.instance(e, ModelFileError, e.message);
    assert.ok(e.message.startsWith('bad.bin: '), e.message);
    assert.match(e.message, cause);
    assert.match(e.message, /\. Fix: \S/);
  };
  expect(good.subarray(0, 20), /is 20 bytes, too short for a llama2.c header/);
  expect(good.subarray(0, good.length - 4), new RegExp(`is ${good.length - 4} bytes, but its header \\(dim 24, .*\\) needs ${good.length}`));
  expect(Buffer.concat([good, Buffer.alloc(4)]), /needs/);
  expect(v1.subarray(0, v1.length - 1), /shared_classifier false\) needs/);
  const q8 = Buffer.from(v1); q8.writeInt32LE(2, 4);
  expect(q8, /version 2 \(Q8_0 int8-quantized\)/);
  const v3 = Buffer.from(v1); v3.writeInt32LE(3, 4);
  expect(v3, /version 3; only versions 0/);
  const junk = Buffer.from(good); junk.writeInt32LE(-5, 0);
  expect(junk, /header that is not a llama2.c model \(dim -5/);
  const odd = Buffer.from(good); odd.writeInt32LE(5, 12); // 24 dims over 5 heads
  expect(odd, /not a llama2.c model/);
  expect(new Uint8Array(fs.readFileSync(path.join(dir, 'hf-tied.safetensors'))), /not a llama2.c model/);
});

test('a llama2.c model where a model directory goes: folder or .bin file, config from the header, tensors, tokenizer', () => {
  const t = tmpDir('l2c-source');
  try {
    const a = path.join(t, 'a'), b = path.join(t, 'b'), two = path.join(t, 'two');
    for (const d of [a, b, two]) fs.mkdirSync(d);
    fs.copyFileSync(path.join(dir, 'v1-untied.bin'), path.join(a, 'model.bin'));
    fs.writeFileSync(path.join(a, 'tokenizer.bin'), 'tok');
    fs.copyFileSync(path.join(dir, 'v0-tied.bin'), path.join(b, 'stories.bin'));
    fs.copyFileSync(path.join(dir, 'v0-tied.bin'), path.join(two, 'x.bin'));
    fs.copyFileSync(path.join(dir, 'v1-tied.bin'), path.join(two, 'y.bin'));
    assert.equal(llama2cSource(a), { model: path.join(a, 'model.bin'), tokenizer: path.join(a, 'tokenizer.bin') });
    assert.equal(llama2cSource(b), { model: path.join(b, 'stories.bin'), tokenizer: null });
    assert.equal(llama2cSource(path.join(two, 'y.bin')), { model: path.join(two, 'y.bin'), tokenizer: null });
    assert.match(errorOf(() => llama2cSource(two)).message, /holds no config\.json and 2 llama2\.c checkpoints \(x\.bin, y\.bin\).*name one/);
    assert.is(llama2cSource(path.join(FIXTURES, 'llama-gqa')), null, 'a Hugging Face folder');
    assert.is(llama2cSource(path.join(t, 'missing')), null);
    assert.is(modelTokenizerPath(path.join(a, 'model.bin')), path.join(a, 'tokenizer.bin'));
    assert.is(modelTokenizerPath(b), path.join(b, 'tokenizer.bin'), 'named even when absent (the loader then says it is missing)');
    // the config from the 256-byte header = the one from the whole file
    const { source: _s, ...want } = parseConfig(cases.untied.config);
    assert.equal(readConfigFile(a), readLlama2cFile(path.join(a, 'model.bin')).config);
    assert.equal(readConfigFile(a), want);
    assert.equal(readModelMeta(path.join(a, 'model.bin')).generation, null);
    // readModelDir: HF names, rotate_half rows (= the HF fixture's tensors)
    const md = readModelDir(a);
    const ref = SafetensorsFile.open(path.join(dir, 'hf-untied.safetensors'));
    assert.equal([...md.tensors.keys()].sort(), ref.names().sort());
    for (const n of ref.names()) assert.equal([...md.tensors.get(n)!], [...ref.readFloat32(n)], n);
    assert.equal(md.carried, ['tokenizer.bin']);
    // a truncated file: one error naming it, from the header alone
    fs.writeFileSync(path.join(b, 'stories.bin'), fs.readFileSync(path.join(dir, 'v0-tied.bin')).subarray(0, 300));
    assert.match(errorOf(() => readConfigFile(b)).message, /stories\.bin.*is 300 bytes, but its header .* needs \d+.*truncated/s);
  } finally { fs.rmSync(t, { recursive: true, force: true }); }
});

test.run();
