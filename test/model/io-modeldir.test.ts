// Model directories: the PyTorch fixtures load with the expected names and shapes; write → read
// round trips (F32 exact, F16, BF16, sharded); tokenizer files carried; atomic replace; GPT-2
// names with and without "transformer."; and what we write loads in the reference loader of
// tools/make_model_fixtures.py (--check) — live when Debian's torch is installed, otherwise by
// comparing our bytes with the committed, torch-checked output (check-<dtype>.json).
//   SPPO_UPDATE_FIXTURES=1 rewrites those check-<dtype>.json files (needs /usr/bin/python3 + torch);
//   SPPO_NO_TORCH=1 takes the no-torch path even where torch exists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/model/config.js';
import { ModelFileError } from '../../src/model/io-errors.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import { hfParamList } from '../../src/model/io-params.js';
import { readModelDir, writeModelDir } from '../../src/model/modeldir.js';
import { f16BitsToFloat, floatToBf16Bits, floatToF16Bits, serializeSafetensors } from '../../src/model/safetensors.js';
import { errorOf, FIXTURES, ROOT, tmpDir } from './io-helpers.js';

const NAMES = ['llama-gqa', 'qwen2-tied', 'gpt2', 'qwen3-gqa', 'qwen3-tied', 'gemma2-gqa', 'gemma2-bias'];
const work = tmpDir('modeldir');
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

test('fixtures: config, parameters, batch and expected values have the names and shapes the model needs', () => {
  for (const name of NAMES) {
    const dir = path.join(FIXTURES, name);
    const m = readModelDir(dir);
    const specs = hfParamList(m.config);
    assert.equal([...m.tensors.keys()], specs.map((s) => s.name), name);
    assert.equal(m.unused, [], `${name}: no stray tensors`);
    assert.equal(m.dtypes, { F32: specs.length });
    const st = SafetensorsFile.open(path.join(dir, 'model.safetensors'));
    for (const s of specs) assert.equal(st.info(s.name)!.shape, s.shape, s.name);
    const batch = JSON.parse(fs.readFileSync(path.join(dir, 'batch.json'), 'utf8'));
    const B = batch.input_ids.length, T = batch.input_ids[0].length, V = m.config.vocabSize;
    for (const k of ['attention_mask', 'position_ids', 'labels']) assert.equal([batch[k].length, batch[k][0].length], [B, T], k);
    assert.ok(batch.attention_mask[0][T - 1] === 0 && batch.attention_mask[1][0] === 0, 'row 0 right-padded, row 1 left-padded');
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
      assert.ok(batch.input_ids[b][t] >= 0 && batch.input_ids[b][t] < V);
      if (batch.labels[b][t] !== -100) assert.is(batch.labels[b][t], batch.input_ids[b][t]);
      if (!batch.attention_mask[b][t]) assert.is(batch.labels[b][t], -100);
    }
    const ex = SafetensorsFile.open(path.join(dir, 'expected.safetensors'));
    assert.equal(ex.info('logits')!.shape, [B, T, V]);
    assert.equal(ex.info('token_logprobs')!.shape, [B, T - 1]);
    assert.equal(ex.info('seq_logprobs')!.shape, [B]);
    assert.equal(ex.info('loss')!.shape, [1]);
    for (const s of specs) assert.equal(ex.info(`grad.${s.name}`)!.shape, s.shape, `grad.${s.name}`);
    assert.is(ex.names().length, 4 + specs.length);
    // the expected values are self-consistent: loss = -Σ seq_logprobs / #labelled tokens
    const n = batch.labels.flat().filter((x: number) => x !== -100).length - batch.labels.filter((r: number[]) => r[0] !== -100).length;
    const seq = ex.readFloat32('seq_logprobs'), loss = ex.readFloat32('loss')[0];
    assert.ok(Math.abs(-(seq[0] + seq[1] + seq[2]) / n - loss) < 1e-5 * loss, `${name}: loss ${loss}`);
    for (const v of ex.readFloat32('logits')) if (!Number.isFinite(v)) assert.unreachable('non-finite logit');
  }
});

test('write → read: F32 exact, F16 and BF16 rounded, sharded, config kept, no temp dirs left', () => {
  const src = readModelDir(path.join(FIXTURES, 'llama-gqa'));
  const cases = [
    { dtype: 'F32' as const, shard: undefined, round: (x: number) => x },
    { dtype: 'F16' as const, shard: undefined, round: (x: number) => f16BitsToFloat(floatToF16Bits(x)) },
    { dtype: 'BF16' as const, shard: undefined, round: (x: number) => new Float32Array(new Uint32Array([floatToBf16Bits(x) << 16]).buffer)[0] },
    { dtype: 'F32' as const, shard: 50_000, round: (x: number) => x },
  ];
  for (const c of cases) {
    const out = path.join(work, `rt-${c.dtype}-${c.shard ?? 1}`);
    writeModelDir(out, { config: src.config, tensors: src.tensors, dtype: c.dtype, maxShardBytes: c.shard });
    const files = fs.readdirSync(out).sort();
    if (c.shard) {
      assert.ok(files.includes('model.safetensors.index.json') && !files.includes('model.safetensors'));
      assert.ok(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length >= 4, files.join(' '));
      const index = JSON.parse(fs.readFileSync(path.join(out, 'model.safetensors.index.json'), 'utf8'));
      assert.is(index.metadata.total_size, [...src.tensors.values()].reduce((s, t) => s + 4 * t.length, 0));
    } else {
      assert.equal(files, ['config.json', 'model.safetensors']);
      assert.equal(SafetensorsFile.open(path.join(out, 'model.safetensors')).metadata, { format: 'pt' });
    }
    const back = readModelDir(out);
    assert.equal(back.dtypes, { [c.dtype]: src.tensors.size });
    const { source: _a, ...want } = src.config, { source: _b, ...got } = back.config;
    assert.equal(got, want);
    assert.is(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).torch_dtype, { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[c.dtype]);
    for (const [n, v] of src.tensors) {
      const g = back.tensors.get(n)!;
      for (let i = 0; i < v.length; i++) if (!Object.is(g[i], c.round(v[i]))) assert.unreachable(`${c.dtype} ${n}[${i}]: ${g[i]} vs ${v[i]}`);
    }
  }
  assert.equal(fs.readdirSync(work).filter((f) => /\.(tmp|old)-/.test(f)), []);
});

test('tokenizer files are carried; overwrite replaces the model and keeps other files; refusals', () => {
  const src = readModelDir(path.join(FIXTURES, 'qwen2-tied'));
  const tokDir = path.join(work, 'tok');
  fs.mkdirSync(tokDir);
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) fs.writeFileSync(path.join(tokDir, f), `{"f": "${f}"}`);
  fs.writeFileSync(path.join(tokDir, 'generation_config.json'), '{"eos_token_id": [87, 88], "temperature": 0.6}');
  const out = path.join(work, 'carried');
  writeModelDir(out, { config: src.config, tensors: src.tensors, copyFrom: tokDir });
  assert.equal(fs.readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  const m = readModelDir(out);
  assert.equal(m.carried, ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json']);
  assert.equal([m.generation!.eosTokenIds, m.generation!.temperature], [[87, 88], 0.6]);
  // existing directory: refused unless overwrite; with overwrite, other files survive and
  // shards of an earlier sharded save do not linger
  assert.throws(() => writeModelDir(out, { config: src.config, tensors: src.tensors }), /exists; pass overwrite: true/);
  fs.writeFileSync(path.join(out, 'notes.txt'), 'keep me');
  writeModelDir(out, { config: src.config, tensors: src.tensors, overwrite: true, maxShardBytes: 30_000 });
  writeModelDir(out, { config: src.config, tensors: src.tensors, overwrite: true, dtype: 'F16', generation: { bosTokenId: null, eosTokenIds: [88], padTokenId: null, topK: 5 } });
  const files = fs.readdirSync(out).sort();
  assert.equal(files, ['config.json', 'generation_config.json', 'model.safetensors', 'notes.txt', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  assert.is(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'keep me');
  assert.equal(readModelDir(out).generation!.topK, 5);
  // tensors that do not match the config are refused before anything is written
  const bad = new Map(src.tensors); bad.delete('model.norm.weight'); bad.set('junk', new Float32Array(1));
  const e = errorOf(() => writeModelDir(path.join(work, 'never'), { config: src.config, tensors: bad }));
  assert.match(e.message, /"model.norm.weight" is missing/);
  assert.match(e.message, /not parameters of this config: junk/);
  assert.not.ok(fs.existsSync(path.join(work, 'never')));
  assert.equal(fs.readdirSync(work).filter((f) => /\.(tmp|old)-/.test(f)), []);
  // reading: not a directory, no config.json, config and weights disagree
  assert.instance(errorOf(() => readModelDir(path.join(work, 'nope'))), ModelFileError);
  const noCfg = path.join(work, 'nocfg'); fs.mkdirSync(noCfg);
  assert.match(errorOf(() => readModelDir(noCfg)).message, /config.json: does not exist\. Fix: /);
  const wrong = path.join(work, 'wrong');
  writeModelDir(wrong, { config: src.config, tensors: src.tensors });
  const cfg = JSON.parse(fs.readFileSync(path.join(wrong, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(wrong, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 3, tie_word_embeddings: false }));
  const e2 = errorOf(() => readModelDir(wrong));
  assert.match(e2.message, /model.safetensors: does not match the model: 13 tensors missing: "lm_head.weight" \[89, 32\], "model.layers.2.input_layernorm.weight" \[32\], .*Fix: check that config.json belongs to these weights/);
});

test('GPT-2: written with the "transformer." prefix and no lm_head; hub names without the prefix read too', () => {
  const src = readModelDir(path.join(FIXTURES, 'gpt2'));
  const out = path.join(work, 'gpt2');
  writeModelDir(out, { config: src.config, tensors: src.tensors });
  const names = SafetensorsFile.open(path.join(out, 'model.safetensors')).names();
  assert.ok(names.every((n) => n.startsWith('transformer.')), names.join(' '));
  assert.is(names.length, hfParamList(src.config).length);
  // the hub's gpt2 checkpoint: no prefix, plus attention-mask buffers
  const hub = path.join(work, 'gpt2-hub');
  fs.mkdirSync(hub);
  fs.copyFileSync(path.join(out, 'config.json'), path.join(hub, 'config.json'));
  const tensors = [...src.tensors].map(([n, data]) => ({ name: n.replace(/^transformer\./, ''), shape: hfParamList(src.config).find((p) => p.name === n)!.shape, data }));
  tensors.push({ name: 'h.0.attn.bias', shape: [1, 1, 2, 2], data: Float32Array.from([1, 0, 1, 1]) });
  fs.writeFileSync(path.join(hub, 'model.safetensors'), serializeSafetensors(tensors));
  const back = readModelDir(hub);
  assert.equal(back.unused, []);
  for (const [n, v] of src.tensors) assert.equal([...back.tensors.get(n)!], [...v], n);
});

// ---- the reference loader --------------------------------------------------------------------

const PY = '/usr/bin/python3';
const haveTorch = process.env.SPPO_NO_TORCH !== '1' && fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const update = process.env.SPPO_UPDATE_FIXTURES === '1';

interface CheckOut { dir: string; weights_sha256: string; config: Record<string, unknown>; dtypes: string[]; logits: number[][][] }

function relErr(a: number[][][], b: number[][][]): number {
  const x = a.flat(2), y = b.flat(2);
  assert.is(x.length, y.length);
  let e = 0, m = 0;
  for (let i = 0; i < x.length; i++) { e = Math.max(e, Math.abs(x[i] - y[i])); m = Math.max(m, Math.abs(y[i])); }
  return e / m;
}

test('what we write loads in the reference loader (tools/make_model_fixtures.py --check) as HF would', () => {
  const written: { name: string; dtype: string; dir: string }[] = [];
  for (const name of NAMES) {
    const src = readModelDir(path.join(FIXTURES, name));
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const dir = path.join(work, 'check', `${name}-${dtype.toLowerCase()}`);
      writeModelDir(dir, { config: src.config, tensors: src.tensors, dtype });
      written.push({ name, dtype, dir });
    }
  }
  if (update && !haveTorch) throw new Error(`SPPO_UPDATE_FIXTURES=1 needs ${PY} with torch (apt-get install python3-torch)`);
  let live: Map<string, CheckOut> | null = null;
  if (haveTorch) {
    const dirs = [...written.map((w) => w.dir), ...NAMES.map((n) => path.join(FIXTURES, n))];
    const r = spawnSync(PY, [path.join(ROOT, 'tools/make_model_fixtures.py'), '--check', ...dirs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reference loader refused what we wrote:\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as CheckOut);
    live = new Map(lines.map((l, i) => [dirs[i], l]));
  } else {
    console.log('  (no /usr/bin/python3 with torch: comparing our bytes with the committed torch-checked output instead)');
  }
  for (const w of written) {
    const committedFile = path.join(FIXTURES, w.name, `check-${w.dtype.toLowerCase()}.json`);
    if (live) {
      const got = live.get(w.dir)!;
      const orig = live.get(path.join(FIXTURES, w.name))!;
      assert.equal(got.dtypes, [w.dtype]);
      // same parameters as the fixture (F32: bit-identical; F16, BF16: rounded) → same logits
      const e = relErr(got.logits, orig.logits);
      assert.ok(e <= (w.dtype === 'F32' ? 1e-7 : w.dtype === 'F16' ? 2e-2 : 5e-2), `${w.name} ${w.dtype}: logits differ from the fixture's by ${e}`);
      if (update) fs.writeFileSync(committedFile, JSON.stringify({ ...got, dir: path.basename(w.dir) }) + '\n');
      else {
        const committed = JSON.parse(fs.readFileSync(committedFile, 'utf8')) as CheckOut;
        assert.ok(relErr(got.logits, committed.logits) <= 1e-6, `${w.name} ${w.dtype}: logits differ from the committed check`);
      }
    }
    // always (torch or not): our bytes are the ones the reference loader accepted
    const committed = JSON.parse(fs.readFileSync(committedFile, 'utf8')) as CheckOut;
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(w.dir, 'model.safetensors'))).digest('hex');
    assert.is(sha, committed.weights_sha256, `${w.name} ${w.dtype}: model.safetensors differs from the torch-checked one; rerun with SPPO_UPDATE_FIXTURES=1 where torch exists`);
    const cfg = JSON.parse(fs.readFileSync(path.join(w.dir, 'config.json'), 'utf8'));
    assert.equal(cfg, committed.config, `${w.name} ${w.dtype}: config.json differs from the torch-checked one`);
    assert.equal(parseConfig(cfg).vocabSize, committed.logits[0][0].length);
  }
});

test.run();
