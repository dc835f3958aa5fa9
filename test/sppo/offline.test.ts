// Offline training (config "offline") and magnetic SPPO through the coordinator, on the tiny
// example model with the wasm backend:
// - both file formats parse, bad lines name file, line and field;
// - the original's columns give records whose targets are η(chosen_probs_win − ½) and
//   η(chosen_probs_lose − ½), with reference log-probs computed here by the base model;
// - the same data in sppo's format (K = 2) trains to byte-identical weights;
// - every loss trains on it;
// - magnetic SPPO stores μ's log-probs: π_t's own while μ = π_t, the base model's otherwise,
//   with targets η(P̂ − ½)/(1 + ηα);
// - `sppo export-preferences` writes both formats and they read back as the same groups.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../../src/kernels/index.js';
import { loadModel } from '../../src/model/load.js';
import { SPPO } from '../../src/sppo/env/node-sppo.js';
import { parseOffline } from '../../src/sppo/offline.js';
import type { SPPOConfig } from '../../src/sppo/config.js';
import { LOSSES, sequenceLogprobs } from '../../src/train/preference.js';
import { SEED, Rng } from '../kernels/harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const model = path.join(root, 'test/fixtures/tiny/model');
const s = suite('offline preference data and magnetic SPPO');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-offline-'));
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// the original's columns, P̂ drawn fresh per run (printed seed); one line with chat message lists
const rng = new Rng(SEED ^ 0x0ff1);
const texts = [['kind words to you', 'no'], ['blue', 'zz'], ['clear and bright', '?'], ['hello there friend', '...']];
const original = texts.map(([c, r], i) => {
  const pw = 0.5 + 0.5 * rng.f32(1, { lo: 0, hi: 1 })[0], pl = 0.5 * rng.f32(1, { lo: 0, hi: 1 })[0];
  const prompt = `Prompt number ${i}?`;
  return i === 3
    ? { prompt: [{ role: 'user', content: prompt }], chosen: [{ role: 'user', content: prompt }, { role: 'assistant', content: c }], rejected: [{ role: 'user', content: prompt }, { role: 'assistant', content: r }], chosen_probs: 0.8, chosen_probs_win: pw, chosen_probs_lose: pl }
    : { prompt, chosen: c, rejected: r, chosen_probs: 0.5 + (pw - pl) / 2, chosen_probs_win: pw, chosen_probs_lose: pl };
});
const sppoFormat = original.map((o) => ({
  prompt: o.prompt,
  responses: [typeof o.chosen === 'string' ? o.chosen : o.chosen[1].content, typeof o.rejected === 'string' ? o.rejected : o.rejected[1].content],
  winrates: [o.chosen_probs_win, o.chosen_probs_lose],
  matrix: [[0.5, o.chosen_probs], [1 - o.chosen_probs, 0.5]],
}));
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const fileOriginal = path.join(tmp, 'original.jsonl'), fileSppo = path.join(tmp, 'sppo.jsonl');
fs.writeFileSync(fileOriginal, jsonl(original));
fs.writeFileSync(fileSppo, jsonl(sppoFormat));

const eta = 4;
async function run(name: string, over: Partial<SPPOConfig>) {
  const out = path.join(tmp, name);
  const cfg = { model, offline: fileOriginal, out, iterations: 1, k: 2, loss: 'sppo', eta, optimizer: 'adamw', lr: 0.01, lrSchedule: 'constant', batchSize: 2, backend: 'wasm', seed: 3, ...over } as Partial<SPPOConfig>;
  const sums = await new SPPO(cfg).run();
  const lines = (t: number, f: string) => fs.readFileSync(path.join(out, `iter-${t}`, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { out, sums, lines };
}

s('parse: both formats, chat lists, and one clear error per bad line (file, line, field)', () => {
  const a = parseOffline(jsonl(original), 'o.jsonl'), b = parseOffline(jsonl(sppoFormat), 's.jsonl');
  assert.equal(a.map((g) => g.responses), b.map((g) => g.responses));
  assert.equal(a.map((g) => g.winrates), b.map((g) => g.winrates));
  assert.is(a[3].prompt.messages!.length, 1);
  assert.is(a[3].responses[0], texts[3][0]);
  const bad = (line: object, re: RegExp) => assert.throws(() => parseOffline(`${JSON.stringify(original[0])}\n\n${JSON.stringify(line)}\n`, 'd.jsonl'), (e: Error) => /^d\.jsonl: line 3: /.test(e.message) && re.test(e.message));
  bad({ ...original[0], chosen_probs_win: 1.5 }, /"chosen_probs_win" must be a probability/);
  bad({ ...original[0], chosen_probs_lose: undefined }, /"chosen_probs_lose"/);
  bad({ ...original[0], rejected: 7 }, /"rejected" must be a string or a non-empty list/);
  bad({ ...original[0], chosen: [{ role: 'user', content: 'x' }] }, /"chosen" .* last message is "user"/);
  bad({ prompt: 'p', responses: ['a'], winrates: [0.5] }, /"responses" holds 1/);
  bad({ prompt: 'p', responses: ['a', 'b'], winrates: [0.5] }, /"winrates" must be a list of 2/);
  bad({ prompt: 'p', responses: ['a', 'b'], winrates: [0.5, 0.5], matrix: [[0.5, 0.7], [0.7, 0.5]] }, /"matrix\[1\]\[0\]" \+ "matrix\[0\]\[1\]" must be 1/);
  bad({ responses: ['a', 'b'], winrates: [0.5, 0.5] }, /"prompt" is missing/);
  bad({ prompt: 'p', text: 'x' }, /neither the original columns/);
  assert.throws(() => parseOffline('{"prompt": "a"\n', 'e.jsonl'), /e\.jsonl: line 1 is not valid JSON/);
  assert.throws(() => parseOffline('\n', 'e.jsonl'), /no preference lines/);
});

s('original columns: targets η(chosen_probs_win − ½), η(chosen_probs_lose − ½); reference log-probs from the base model', async () => {
  const { lines, sums } = await run('orig', {});
  const recs = lines(1, 'records.jsonl');
  assert.is(recs.length, 8);
  assert.is(sums[0].samples, 8);
  const be = await createBackend('wasm');
  const lm = loadModel(be, model);
  const ref = await sequenceLogprobs(lm.model, recs, 4);
  lm.model.dispose(); be.destroy();
  for (let g = 0; g < 4; g++) {
    const [c, r] = [recs[2 * g], recs[2 * g + 1]];
    assert.is(c.role, 'chosen'); assert.is(r.role, 'rejected');
    assert.ok(Math.abs(c.target - eta * (original[g].chosen_probs_win - 0.5)) < 1e-12, `chosen target ${c.target} (seed ${SEED})`);
    assert.ok(Math.abs(r.target - eta * (original[g].chosen_probs_lose - 0.5)) < 1e-12, `rejected target ${r.target}`);
    // the response is the text's tokens (one byte each here) and the EOS the model stops with
    assert.is(c.responseIds.length, Buffer.byteLength(sppoFormat[g].responses[0]) + 1);
    assert.is(c.responseIds[c.responseIds.length - 1], 257);
    for (const x of [c, r]) assert.ok(Number.isFinite(x.refLogp) && x.refLogp < 0 && Math.abs(x.refLogp - ref[recs.indexOf(x)]) < 1e-4, `refLogp ${x.refLogp} vs ${ref[recs.indexOf(x)]}`);
  }
});

s('the same data in sppo format (K = 2) trains to the same weights, byte for byte', async () => {
  const a = await run('same-a', {}), b = await run('same-b', { offline: fileSppo });
  const w = (o: string) => fs.readFileSync(path.join(o, 'iter-1/model/model.safetensors'));
  assert.ok(w(a.out).equals(w(b.out)), 'weights differ');
  assert.not.ok(w(a.out).equals(fs.readFileSync(path.join(model, 'model.safetensors'))), 'training changed nothing');
});

s('every loss trains on offline data', async () => {
  for (const loss of LOSSES) {
    const { sums } = await run(`loss-${loss}`, { loss, ...(loss.startsWith('sppo') ? {} : { beta: 0.1 }) });
    assert.ok(Number.isFinite(sums[0].finalLoss) && sums[0].steps === 2, `${loss}: ${JSON.stringify(sums[0])}`);
  }
});

s('magnetic SPPO in the coordinator: μ = π_0, then the policy every M iterations; targets η(P̂ − ½)/(1 + ηα)', async () => {
  const alpha = 0.5;
  const { lines } = await run('magnet', { magnet: alpha, magnetEvery: 2, iterations: 3, loss: 'sppo_all' });
  const r1 = lines(1, 'records.jsonl'), r2 = lines(2, 'records.jsonl'), r3 = lines(3, 'records.jsonl');
  for (const r of r1) assert.is(r.magnetLogp, r.refLogp, 'iteration 1: μ = π_0 = π_1’s reference');
  // iteration 2: μ is still the base model; the data is the same, so μ's log-probs are iteration 1's references
  let moved = 0;
  r2.forEach((r: any, i: number) => { assert.ok(Math.abs(r.magnetLogp - r1[i].refLogp) < 1e-5, `μ log-prob ${r.magnetLogp} vs base ${r1[i].refLogp}`); moved = Math.max(moved, Math.abs(r.refLogp - r.magnetLogp)); });
  assert.ok(moved > 1e-3, 'π_1 differs from the base model');
  for (const r of r3) assert.is(r.magnetLogp, r.refLogp, 'iteration 3: refreshed, μ = π_2');
  const groups = parseOffline(fs.readFileSync(fileOriginal, 'utf8'), 'f');
  for (const r of r1) assert.ok(Math.abs(r.target - (eta * (groups[r.group].winrates[r.sample] - 0.5)) / (1 + eta * alpha)) < 1e-12);
});

s('config: offline runs need no prompts or judge; magnet needs an SPPO loss', async () => {
  const { resolveConfig } = await import('../../src/sppo/config.js');
  assert.is(resolveConfig({ model: 'm', offline: 'f.jsonl' }).judge, '');
  assert.throws(() => resolveConfig({ model: 'm' }), /"prompts" is required/);
  assert.throws(() => resolveConfig({ model: 'm', offline: 'f', evalSize: 2 }), /needs "evalPrompts"/);
  assert.throws(() => resolveConfig({ model: 'm', offline: 'f', loss: 'dpo', magnet: 0.1 }), /"magnet" .* SPPO losses/);
  assert.throws(() => resolveConfig({ model: 'm', offline: 'f', magnet: -1 }), /"magnet" must be a finite number ≥ 0/);
  assert.throws(() => resolveConfig({ model: 'm', offline: 'f', magnetEvery: 0 }), /"magnetEvery" must be an integer ≥ 1/);
});

s('sppo export-preferences writes both formats; they read back as the iteration’s groups', () => {
  const dir = path.join(tmp, 'orig/iter-1'), out = path.join(tmp, 'export');
  const r = spawnSync(process.execPath, [bin, 'export-preferences', dir, '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc, { prompts: 4, samples: 8, files: { sppo: path.join(out, 'preferences.sppo.jsonl'), original: path.join(out, 'preferences.original.jsonl') } });
  const a = parseOffline(fs.readFileSync(doc.files.original, 'utf8'), 'a'), b = parseOffline(fs.readFileSync(doc.files.sppo, 'utf8'), 'b');
  const src = parseOffline(fs.readFileSync(fileOriginal, 'utf8'), 'src');
  for (const g of [a, b]) {
    assert.equal(g.map((x) => x.responses), src.map((x) => x.responses));
    assert.equal(g.map((x) => x.winrates), src.map((x) => x.winrates));
    assert.equal(g.map((x) => x.matrix), src.map((x) => x.matrix));
  }
  const bad = spawnSync(process.execPath, [bin, 'export-preferences', path.join(tmp, 'nope')], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /cannot read .*nope\/samples\.jsonl \(ENOENT\)/);
});

s.run();
