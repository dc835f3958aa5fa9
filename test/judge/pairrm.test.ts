// PairRM as a judge against PyTorch: a tiny random-weight checkpoint in PairRM-hf's exact layout
// (tools/fixture_pairrm.py, test/fixtures/pairrm/) scored by an independent float64
// reimplementation of DeBERTa-v3 + the PairRM head. Checks, on every backend: the encoder's last
// hidden states and the head's logits for raw id sequences (batched with padding, lengths past
// the relative-position clamp), tokenize_pair's layout and truncation from text, P(a ≻ b) through
// loadJudge (both orders, σ of the logit difference), and clear errors for directories with
// pieces missing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJudge } from '../../src/judge/load.js';
import { PairRM } from '../../src/judge/pairrm.js';
import { loadTensors } from '../../src/model/io-files.js';
import { serializeSafetensors } from '../../src/model/safetensors.js';
import { backendNames, expectClose, getBackend, type Backend } from '../kernels/harness.js';
import { logistic, rejects } from './util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.resolve(here, '../fixtures/pairrm');

interface Expected {
  config: { hidden: number };
  sequences: { ids: number[]; hidden: number[]; left: number; right: number; logit: number }[];
  triples: { prompt: string; a: string; b: string; options: Record<string, number>; ids_ab: number[]; ids_ba: number[]; logit_ab: number; logit_ba: number; prob: number }[];
}
const ex: Expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8'));

const tmpDirs: string[] = [];
/** a copy of the fixture in a temp folder, changed by `edit` */
function variant(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-pairrm-'));
  tmpDirs.push(dir);
  for (const f of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, f), path.join(dir, f));
  edit(dir);
  return dir;
}
const editJson = (file: string, f: (j: any) => void) => { const j = JSON.parse(fs.readFileSync(file, 'utf8')); f(j); fs.writeFileSync(file, JSON.stringify(j)); };

for (const bname of backendNames()) {
  const s = suite(`pairrm judge [${bname}]`);
  let be: Backend;
  s.before(async () => { be = await getBackend(bname); });
  s.after(() => { for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  s('encoder hidden states and head logits match PyTorch (batched, padded)', async () => {
    const m = PairRM.load(be, fixture);
    try {
      const C = ex.config.hidden;
      // all sequences in one batch: shorter ones padded (ids −1, key mask 0)
      const T = Math.ceil(Math.max(...ex.sequences.map((q) => q.ids.length)) / 8) * 8, B = ex.sequences.length;
      const ids = new Int32Array(B * T).fill(-1), mask = new Int32Array(B * T);
      ex.sequences.forEach((q, b) => q.ids.forEach((id, t) => { ids[b * T + t] = id; mask[b * T + t] = 1; }));
      const h = m.encoder.forward(ids, mask, B, T);
      const hv = await be.read(h);
      be.dispose(h);
      const rels: string[] = [];
      ex.sequences.forEach((q, b) => {
        const got = hv.subarray(b * T * C, (b * T + q.ids.length) * C);
        rels.push(expectClose(got, q.hidden, 1e-4, `hidden states of a sequence of ${q.ids.length}`).toExponential(1));
      });
      const z = await m.logits(ex.sequences.map((q) => q.ids), 2);
      const relZ = expectClose(z, ex.sequences.map((q) => q.logit), 1e-4, 'logits');
      // absolute agreement of the logits too (they are O(1))
      for (let i = 0; i < z.length; i++) assert.ok(Math.abs(z[i] - ex.sequences[i].logit) < 1e-4, `logit ${i}: ${z[i]} vs ${ex.sequences[i].logit}`);
      console.log(`    [${bname}] hidden rel err ${rels.join(', ')}; logits rel err ${relZ.toExponential(1)}`);
    } finally { m.dispose(); }
  });

  s('tokenize_pair from text: layout, prefixes and truncation', async () => {
    for (const t of ex.triples) {
      const m = PairRM.load(be, fixture, t.options);
      try {
        assert.equal(m.encode(t.prompt, t.a, t.b), t.ids_ab, `ids of ${JSON.stringify([t.prompt, t.a, t.b])}`);
        assert.equal(m.encode(t.prompt, t.b, t.a), t.ids_ba, `ids of the swapped pair ${JSON.stringify([t.prompt, t.b, t.a])}`);
      } finally { m.dispose(); }
    }
  });

  s('loadJudge(DIR): P(a ≻ b) = σ(z(a,b) − z(b,a)) matches PyTorch, both orders', async () => {
    const plain = ex.triples.filter((t) => Object.keys(t.options).length === 0);
    const judge = await loadJudge(fixture, { backend: be, batchSize: 4 });
    try {
      assert.is(judge.orderSensitive, false);
      assert.is((judge.info as any).kind, 'pairrm');
      const p = await judge.compare(plain.map((t) => ({ prompt: t.prompt, a: t.a, b: t.b })));
      const rel = expectClose(p, plain.map((t) => t.prob), 1e-4, 'P(a ≻ b)');
      for (let i = 0; i < p.length; i++) {
        assert.ok(Math.abs(p[i] - plain[i].prob) < 1e-4, `P ${i}: ${p[i]} vs ${plain[i].prob}`);
        // the fixture's probability is the logistic of its own two logits
        assert.ok(Math.abs(plain[i].prob - logistic(plain[i].logit_ab - plain[i].logit_ba)) < 1e-12);
      }
      const swapped = await judge.compare(plain.map((t) => ({ prompt: t.prompt, a: t.b, b: t.a })));
      for (let i = 0; i < p.length; i++) assert.ok(Math.abs(p[i] + swapped[i] - 1) < 1e-6, `P(a≻b) + P(b≻a) = ${p[i] + swapped[i]}`);
      console.log(`    [${bname}] P(a ≻ b) rel err ${rel.toExponential(1)}`);
    } finally { await judge.close?.(); }
    // truncation options through the spec's query
    const cut = ex.triples.filter((t) => Object.keys(t.options).length > 0);
    for (const t of cut) {
      const q = Object.entries(t.options).map(([k, v]) => `${k}=${v}`).join('&');
      const j = await loadJudge(`${fixture}?${q}`, { backend: be });
      try {
        const [pp] = await j.compare([{ prompt: t.prompt, a: t.a, b: t.b }]);
        assert.ok(Math.abs(pp - t.prob) < 1e-4, `truncated P: ${pp} vs ${t.prob}`);
      } finally { await j.close?.(); }
    }
  });

  s('a BF16 checkpoint: matrices stay 16-bit on the device, logits close to the f32 ones', async () => {
    const dir = variant((d) => {
      const f = path.join(d, 'model.safetensors');
      const names = JSON.parse(fs.readFileSync(f).subarray(8, 8 + Number(fs.readFileSync(f).readBigUInt64LE(0))).toString('utf8'));
      const specs = Object.entries(names).filter(([n]) => n !== '__metadata__').map(([name, v]: [string, any]) => ({ name, shape: v.shape as number[] }));
      const { tensors } = loadTensors(f, specs);
      fs.writeFileSync(f, serializeSafetensors(specs.map((sp) => ({ ...sp, data: tensors.get(sp.name)!, dtype: 'BF16' as const }))));
    });
    const m32 = PairRM.load(be, fixture), before = be.memoryStats().bytesInUse;
    const m16 = PairRM.load(be, dir);
    try {
      const grew16 = be.memoryStats().bytesInUse - before;
      const z16 = await m16.logits(ex.sequences.map((q) => q.ids));
      const z32 = await m32.logits(ex.sequences.map((q) => q.ids));
      for (let i = 0; i < z16.length; i++) {
        assert.ok(Number.isFinite(z16[i]) && Math.abs(z16[i] - z32[i]) < 0.05, `bf16 logit ${z16[i]} vs f32 ${z32[i]}`);
      }
      // the 16-bit copy holds less device memory than the f32 one (its matrices are half the size)
      const m32b = PairRM.load(be, fixture);
      const after = be.memoryStats().bytesInUse;
      m32b.dispose();
      assert.ok(grew16 < after - before - grew16, `bf16 model ${grew16} B, f32 model ${after - before - grew16} B`);
    } finally { m16.dispose(); m32.dispose(); }
  });

  s('clear errors for directories with pieces missing', async () => {
    const noSpm = variant((d) => fs.rmSync(path.join(d, 'spm.model')));
    await rejects(loadJudge(noSpm, { backend: be }), /no spm\.model/, /SentencePiece/);
    const noWeights = variant((d) => { fs.rmSync(path.join(d, 'model.safetensors')); fs.writeFileSync(path.join(d, 'pytorch_model.bin'), 'x'); });
    await rejects(loadJudge(noWeights, { backend: be }), /no model\.safetensors/, /pytorch_model\.bin/);
    const noIds = variant((d) => editJson(path.join(d, 'config.json'), (j) => { delete j.cand2_prefix_id; }));
    await rejects(loadJudge(noIds, { backend: be }), /cand2_prefix_id/);
    const absPos = variant((d) => editJson(path.join(d, 'config.json'), (j) => { j.position_biased_input = true; }));
    await rejects(loadJudge(absPos, { backend: be }), /position_biased_input/);
    const otherDeberta = variant((d) => editJson(path.join(d, 'config.json'), (j) => { j.architectures = ['DebertaV2ForSequenceClassification']; }));
    await rejects(loadJudge(otherDeberta, { backend: be }), /DeBERTa-v2 model directory/, /but not PairRM/);
    const blender = variant((d) => fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ ranker_type: 'pairranker', model_type: 'deberta', model_name: 'microsoft/deberta-v3-large', source_maxlength: 1224, candidate_maxlength: 412 })));
    await rejects(loadJudge(blender, { backend: be }), /llm-blender's own layout/, /PairRM-hf/);
    const missingTensor = variant((d) => {
      // drop one tensor from the safetensors file by renaming it in the header
      const f = path.join(d, 'model.safetensors');
      const buf = fs.readFileSync(f);
      const n = Number(buf.readBigUInt64LE(0));
      const header = buf.subarray(8, 8 + n).toString('utf8').replace('"head_layer.4.bias"', '"head_layer.9.bias"');
      fs.writeFileSync(f, Buffer.concat([buf.subarray(0, 8), Buffer.from(header, 'utf8'), buf.subarray(8 + n)]));
    });
    await rejects(loadJudge(missingTensor, { backend: be }), /head_layer\.4\.bias/);
    await rejects(loadJudge(fixture, { backend: be, maxLength: 64 }), /sourceMaxLength and candidateMaxLength/);
  });

  s.run();
}
