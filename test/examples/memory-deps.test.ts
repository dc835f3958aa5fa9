// Models and runs without a file system (what browsers, workers and Deno scripts use):
// ModelFiles load/save round trips (single file and sharded) with fresh random weights, model
// sources (URL through a fetch, picked File objects), one clear error per bad input, and a whole
// SPPO run on memoryDeps that ends with the same weights, byte for byte, as the same run on
// disk through nodeDeps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backendNames, getBackend, Rng, SEED } from '../kernels/harness.js';
import { loadModelFromFiles, modelToFiles, type ModelFiles } from '../../src/model/memory-dir.js';
import { SafetensorsBuffer, serializeSafetensors, shardFileName } from '../../src/model/safetensors.js';
import { modelFiles, modelFilesFromDir, modelFilesFromFileList, modelFilesFromURL } from '../../src/sppo/env/model-source.js';
import { memoryDeps } from '../../src/sppo/env/memory-deps.js';
import { nodeDeps } from '../../src/sppo/env/node-deps.js';
import { resolveConfig } from '../../src/sppo/config.js';
import { SPPO } from '../../src/sppo/coordinator.js';
import { MemoryStore } from '../../src/sppo/env/store.js';
import { getBuiltin } from '../../src/judge/builtins.js';
import { root } from './built.js';

const tinyDir = path.join(root, 'test/fixtures/tiny/model');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-memdeps-'));
const rng = new Rng(SEED);
console.log(`  seed ${SEED} (SPPO_SEED=${SEED} reproduces)`);
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** every tensor of a safetensors file, by name */
function tensors(bytes: Uint8Array): Map<string, Float32Array> {
  const f = new SafetensorsBuffer(bytes);
  return new Map(f.names().map((n) => [n, f.readFloat32(n)]));
}

function tinyConfig(out: string, backend: string) {
  const c = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/tiny/sppo.config.json'), 'utf8'));
  delete c['//'];
  return resolveConfig({ ...c, model: tinyDir, prompts: path.join(root, 'test/fixtures/tiny/prompts.jsonl'), judge: 'builtin:length', out, backend, evalSize: 3 });
}

for (const be of backendNames()) {
  const s = suite(`memory models and runs [${be}]`);

  s('ModelFiles round trip: fresh random weights out and back in, exactly (single file and sharded)', async () => {
    const backend = await getBackend(be);
    const files = await modelFilesFromDir(tinyDir);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(files.has(f), f);
    const lm = loadModelFromFiles(backend, files, { label: 'tiny' });
    try {
      // the loaded weights are the file's
      const orig = tensors(files.get('model.safetensors')!);
      const saved0 = tensors((await modelToFiles(lm.model, lm.config, files)).get('model.safetensors')!);
      assert.equal([...saved0.keys()].sort(), [...orig.keys()].sort());
      for (const [n, d] of orig) assert.equal(Array.from(saved0.get(n)!), Array.from(d), n);
      // fresh random weights written on the device come back exactly, and load again
      const want = new Map<string, Float32Array>();
      for (const [n, t] of lm.model.params) { const r = rng.f32(t.size, { std: 0.5 }); backend.write(t, r); want.set(n, r); }
      const out = await modelToFiles(lm.model, lm.config, files);
      assert.equal(out.get('tokenizer.json'), files.get('tokenizer.json'), 'tokenizer carried');
      const again = loadModelFromFiles(backend, out);
      try {
        for (const [n, t] of again.model.params) assert.equal(Array.from(await backend.read(t)), Array.from(want.get(n)!), `reloaded ${n}`);
      } finally { again.model.dispose(); }
      // the same tensors split into 3 shards with an index
      const all = [...tensors(out.get('model.safetensors')!)];
      const parts = [all.slice(0, 4), all.slice(4, 9), all.slice(9)];
      const sharded: ModelFiles = new Map([...out].filter(([k]) => k !== 'model.safetensors'));
      const weightMap: Record<string, string> = {};
      parts.forEach((p, i) => {
        const name = shardFileName(i, parts.length);
        sharded.set(name, serializeSafetensors(p.map(([n, d]) => ({ name: n, shape: [d.length], data: d }))));
        for (const [n] of p) weightMap[n] = name;
      });
      sharded.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap })));
      // shapes in the shards are flat: the loader must refuse them, naming the tensor and shapes
      assert.throws(() => loadModelFromFiles(backend, sharded, { label: 'flat' }), /flat: weights do not match config.json: tensor "[^"]+" has shape \[\d+\], expected \[\d+, \d+\]/);
      // with the right shapes they load
      const shapes = new SafetensorsBuffer(out.get('model.safetensors')!);
      parts.forEach((p, i) => sharded.set(shardFileName(i, parts.length), serializeSafetensors(p.map(([n, d]) => ({ name: n, shape: shapes.info(n).shape, data: d })))));
      const sh = loadModelFromFiles(backend, sharded);
      try {
        for (const [n, t] of sh.model.params) assert.equal(Array.from(await backend.read(t)), Array.from(want.get(n)!), `sharded ${n}`);
      } finally { sh.model.dispose(); }
      // a shard the index names but nobody gave
      const missing = new Map(sharded); missing.delete(shardFileName(1, 3));
      assert.throws(() => loadModelFromFiles(backend, missing, { label: 'm' }), /names shard "model-00002-of-00003.safetensors", which was not given/);
    } finally { lm.model.dispose(); }
  });

  s('bad model files: one clear error each', async () => {
    const backend = await getBackend(be);
    const files = await modelFilesFromDir(tinyDir);
    const without = (k: string) => new Map([...files].filter(([n]) => n !== k));
    assert.throws(() => loadModelFromFiles(backend, without('config.json'), { label: 'x' }), /x: has no config\.json\. Fix: give a Hugging Face model directory/);
    assert.throws(() => loadModelFromFiles(backend, without('model.safetensors'), { label: 'x' }), /holds no model\.safetensors and no model\.safetensors\.index\.json/);
    const t = tensors(files.get('model.safetensors')!);
    const shapes = new SafetensorsBuffer(files.get('model.safetensors')!);
    const dropped = [...t].filter(([n]) => n !== 'model.norm.weight').map(([n, d]) => ({ name: n, shape: shapes.info(n).shape, data: d }));
    const bad = new Map(files); bad.set('model.safetensors', serializeSafetensors(dropped));
    assert.throws(() => loadModelFromFiles(backend, bad, { label: 'x' }), /1 tensor missing: "model\.norm\.weight"/);
  });

  s('memoryDeps: a whole SPPO run in memory ends with the weights of the same run on disk', async () => {
    const backend = await getBackend(be);
    const disk = tinyConfig(path.join(tmp, `disk-${be}`), be);
    await new SPPO(disk, await nodeDeps(disk, backend)).run();
    const cfg = resolveConfig({ ...disk, model: 'tiny', prompts: 'prompts.jsonl', out: 'memory' });
    const store = new MemoryStore();
    const deps = await memoryDeps(cfg, {
      backend, judge: getBuiltin('length')!.make({}), store,
      models: { tiny: await modelFiles(tinyDir) },
      texts: { 'prompts.jsonl': fs.readFileSync(path.join(root, 'test/fixtures/tiny/prompts.jsonl'), 'utf8') },
    });
    const sums = await new SPPO(cfg, deps).run();
    assert.is(sums.length, 2);
    const mem = deps.checkpoints.get('iter-2/model')!.get('model.safetensors')!;
    const onDisk = new Uint8Array(fs.readFileSync(path.join(disk.out, 'iter-2/model/model.safetensors')));
    assert.ok(mem.length === onDisk.length && mem.every((b, i) => b === onDisk[i]), 'final weights identical byte for byte');
    for (const f of ['iter-1/samples.jsonl', 'iter-1/judgments.jsonl', 'iter-2/records.jsonl', 'iter-2/metrics.jsonl']) {
      const a = await store.readText(f), b = fs.readFileSync(path.join(disk.out, f), 'utf8');
      if (f.includes('metrics')) {
        const strip = (t: string) => t.trim().split('\n').map((l) => { const o = JSON.parse(l); delete o.tokensPerSecond; return o; });
        assert.equal(strip(a), strip(b), f);
      } else assert.is(a, b, f);
    }
    assert.ok(await store.exists('iter-2/model/config.json'), 'the model is listed in the store');
    // errors name the cause and the fix
    await assert_rejects(deps.readPrompts('nope.jsonl'), /no prompts "nope\.jsonl" were given: pass its text in memoryDeps/);
    await assert_rejects(deps.loadPolicy(backend, 'other'), /no model "other" was given: the config's "model" must name one of the models passed to memoryDeps \(tiny\)/);
    await assert_rejects(deps.loadPolicy(backend, 'run:iter-9/model'), /checkpoint iter-9\/model is not in memory/);
    const noTok = await memoryDeps(cfg, { backend, judge: getBuiltin('length')!.make({}), models: { tiny: new Map([...(await modelFiles(tinyDir))].filter(([n]) => n !== 'tokenizer.json')) }, texts: {} });
    await assert_rejects(noTok.loadPolicy(backend, 'tiny'), /model tiny has no tokenizer\.json/);
  });

  s('memoryDeps on a store that keeps bytes: a run stopped twice resumes from the store alone, same weights', async () => {
    const backend = await getBackend(be);
    const cfg = resolveConfig({ ...tinyConfig('memory', be), model: 'tiny', prompts: 'prompts.jsonl' });
    const store = new BytesStore();
    const inputs = async () => ({
      backend, judge: getBuiltin('length')!.make({}), store,
      models: { tiny: await modelFiles(tinyDir) },
      texts: { 'prompts.jsonl': fs.readFileSync(path.join(root, 'test/fixtures/tiny/prompts.jsonl'), 'utf8') },
    });
    // stop 1: after iteration 1; stop 2: in iteration 2's training, after step 2 (a train checkpoint)
    const stops = [(type: string, d: any) => type === 'iteration' && d.iteration === 1, (type: string, d: any) => type === 'step' && d.iteration === 2 && d.step === 2];
    for (const stop of stops) {
      const ac = new AbortController();
      const sppo = new SPPO(cfg, await memoryDeps(cfg, await inputs()));
      for (const type of ['iteration', 'step']) sppo.addEventListener(type, (e) => { if (stop(type, (e as CustomEvent).detail)) ac.abort('test stop'); });
      await assert_rejects(sppo.run(ac.signal), /run aborted \(test stop\)/);
    }
    assert.ok(await store.exists('iter-1/model/model.safetensors') && await store.exists('iter-2/train/ckpt.safetensors'), 'checkpoints kept as bytes');
    const deps = await memoryDeps(cfg, await inputs());
    const logs: string[] = [];
    const sppo = new SPPO(cfg, deps);
    sppo.addEventListener('log', (e) => logs.push((e as CustomEvent).detail));
    await sppo.run();
    assert.ok(logs.some((l) => /iteration 2: resuming training at step 2 of 3/.test(l)), `resumed from the training checkpoint: ${logs.join(' | ')}`);
    const resumed = deps.checkpoints.get('iter-2/model')!.get('model.safetensors')!;
    const straight = new Uint8Array(fs.readFileSync(path.join(tmp, `disk-${be}`, 'iter-2/model/model.safetensors')));
    assert.ok(resumed.length === straight.length && resumed.every((b, i) => b === straight[i]), 'same final weights as the uninterrupted run');
  });
  s.run();
}

/** a MemoryStore that keeps bytes too (like opfsStore in a browser) */
class BytesStore extends MemoryStore {
  readonly bytes = new Map<string, Uint8Array>();
  async writeBytes(p: string, d: Uint8Array) { this.bytes.set(p, d.slice()); await this.writeText(p, '(bytes)'); }
  async readBytes(p: string) { const b = this.bytes.get(p); if (!b) throw new Error(`${p} does not exist`); return b.slice(); }
}

async function assert_rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try { await p; } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}

const src = suite('model sources');
src('a model folder by URL: single file, sharded, optional files absent, errors', async () => {
  const files = await modelFilesFromDir(tinyDir);
  const served = new Map<string, Uint8Array>(files);
  const requested: string[] = [];
  const fakeFetch = (async (url: string) => {
    requested.push(url);
    const name = url.replace('https://models.test/tiny/', '');
    const b = served.get(name);
    if (name === 'broken.safetensors') return new Response('oops', { status: 500 });
    return b ? new Response(b as BodyInit) : new Response('not found', { status: 404 });
  }) as typeof fetch;
  const got = await modelFilesFromURL('https://models.test/tiny', { fetch: fakeFetch });
  assert.equal([...got.keys()].sort(), [...files.keys()].sort());
  for (const [k, v] of files) assert.equal(got.get(k), v, k);
  assert.ok(requested.includes('https://models.test/tiny/config.json'), 'a trailing slash is added to the folder URL');
  // sharded
  served.delete('model.safetensors');
  const t = new SafetensorsBuffer(files.get('model.safetensors')!);
  const names = t.names();
  const mk = (ns: string[]) => serializeSafetensors(ns.map((n) => ({ name: n, shape: t.info(n).shape, data: t.readFloat32(n) })));
  served.set('model-00001-of-00002.safetensors', mk(names.slice(0, 5)));
  served.set('model-00002-of-00002.safetensors', mk(names.slice(5)));
  served.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ weight_map: Object.fromEntries(names.map((n, i) => [n, i < 5 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors'])) })));
  const sh = await modelFilesFromURL('https://models.test/tiny/', { fetch: fakeFetch });
  assert.ok(sh.has('model-00002-of-00002.safetensors') && sh.has('model.safetensors.index.json') && !sh.has('model.safetensors'));
  served.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ weight_map: { a: 'broken.safetensors' } })));
  await assert_rejects(modelFilesFromURL('https://models.test/tiny/', { fetch: fakeFetch }), /broken\.safetensors answered HTTP 500/);
  served.delete('config.json');
  await assert_rejects(modelFilesFromURL('https://models.test/tiny/', { fetch: fakeFetch }), /https:\/\/models\.test\/tiny\/config\.json answered HTTP 404: the model URL must be a folder holding config\.json/);
  await assert_rejects(modelFilesFromURL('https://models.test/nothing/', { fetch: (async () => { throw new TypeError('network down'); }) as typeof fetch }), /cannot fetch https:\/\/models\.test\/nothing\/config\.json \(network down\)/);
});

src('picked files: the folder holding config.json, loose files, records of bytes', async () => {
  const files = await modelFilesFromDir(tinyDir);
  const file = (rel: string, b: Uint8Array) => ({ name: rel.split('/').pop()!, webkitRelativePath: rel, arrayBuffer: async () => b.slice().buffer });
  const picked = [...[...files].map(([n, b]) => file(`models/tiny/${n}`, b)), file('models/README.md', new Uint8Array([1])), file('models/tiny/sub/config.json', new Uint8Array([2]))];
  const got = await modelFilesFromFileList(picked);
  assert.equal([...got.keys()].sort(), [...files.keys()].sort());
  assert.equal(got.get('config.json'), files.get('config.json'), 'the shallowest config.json wins');
  const loose = await modelFiles(Object.fromEntries([...files].map(([n, b]) => [n, b.slice().buffer])));
  assert.equal(loose.get('model.safetensors'), files.get('model.safetensors'));
  await assert_rejects(modelFilesFromFileList([file('a/b.txt', new Uint8Array(1))]), /the files picked hold no config\.json \(got b\.txt\): pick a Hugging Face model folder/);
  await assert_rejects(modelFilesFromDir(tmp), /holds no config\.json: give a Hugging Face model directory/);
});

src.run();
