// Dawn's native warnings ("vkCreateInstance: Found no drivers!", the loader's "Failed to open
// JSON file") stay off stderr in every Node entry point — the library's createBackend() and
// probeAdapter(), a whole run in startRunWorker()'s worker thread, and the CLI — while what Dawn
// said stays available: probeAdapter().log, the no-adapter error's reason, `sppo doctor`'s
// webgpu.dawnLog, and stderr lines "sppo: dawn: ..." under SPPO_DEBUG=1.
// Each case is a child process (the built package, as a user runs it) in an environment where
// Dawn finds no driver: the Vulkan loader told to disable every driver (VK_LOADER_DRIVERS_DISABLE)
// and no SwiftShader fallback (SPPO_SWIFTSHADER_ICD=none); or VK_ICD_FILENAMES naming a missing file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root } from '../examples/built.js';

ensureBuilt();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-dawn-quiet-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const lib = pathToFileURL(path.join(root, 'dist/node/index.js')).href;
const fixture = path.join(root, 'test/fixtures/tiny');

// the library, as a user's script: probe, auto, webgpu (refused), and a run in a worker thread
const script = path.join(tmp, 'entry.mjs');
fs.writeFileSync(script, `
import fs from 'node:fs';
import { createBackend, probeAdapter, startRunWorker } from ${JSON.stringify(lib)};
const out = {};
const p = await probeAdapter();
out.probe = { adapter: !!p.adapter, note: p.note, log: p.log };
const auto = await createBackend('auto');
out.auto = auto.description; auto.destroy();
try { (await createBackend('webgpu')).destroy(); out.webgpu = 'created'; } catch (e) { out.webgpu = e.message; }
const w = await startRunWorker();
try {
  const events = [];
  const res = await w.run({
    config: { model: 'tiny', prompts: 'prompts.jsonl', judge: 'builtin:length', out: 'x', backend: 'auto', iterations: 1, k: 2, maxNewTokens: 2, batchSize: 2, maxPrompts: 2, evalSize: 0 },
    models: { tiny: ${JSON.stringify(path.join(fixture, 'model'))} },
    texts: { 'prompts.jsonl': fs.readFileSync(${JSON.stringify(path.join(fixture, 'prompts.jsonl'))}, 'utf8') },
  }, (e) => events.push(e.type));
  out.worker = res.backend.kind;
  try { await w.run({ config: { model: 'tiny', prompts: 'p', judge: 'builtin:length', out: 'x', backend: 'webgpu', iterations: 1, k: 2 }, models: { tiny: ${JSON.stringify(path.join(fixture, 'model'))} }, texts: { p: 'a prompt' } }); out.workerWebgpu = 'ran'; }
  catch (e) { out.workerWebgpu = e.message; }
} finally { await w.terminate(); }
console.log(JSON.stringify(out));
`);

const NO_DRIVER = { VK_LOADER_DRIVERS_DISABLE: '*', SPPO_SWIFTSHADER_ICD: 'none' };
const DAWN_NOISE = /vkCreateInstance|Found no drivers|loader_get_json|VK_ERROR_|CheckVkSuccess/;

function run(args: string[], env: Record<string, string>) {
  const base = { ...process.env };
  for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'SPPO_DEBUG', 'SPPO_QUIET']) delete base[k];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000, cwd: tmp, env: { ...base, ...env } });
  assert.is(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r;
}
const noisy = (stderr: string) => stderr.split('\n').filter((l) => DAWN_NOISE.test(l));

test('library entry points: no Dawn warning on stderr; Dawn\'s reason in the probe log and the error', () => {
  const r = run([script], NO_DRIVER);
  assert.equal(noisy(r.stderr), [], `Dawn's warnings reached stderr:\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(out.probe.adapter, false);
  assert.ok(out.probe.log.some((l: string) => /Found no drivers/.test(l)), `probe log: ${JSON.stringify(out.probe.log)}`);
  assert.match(out.probe.note, /no usable Vulkan driver.*\(Dawn: vkCreateInstance: Found no drivers!\)/);
  assert.match(out.auto, /^wasm/);
  assert.match(out.webgpu, /no WebGPU adapter.*Found no drivers/);
  assert.is(out.worker, 'wasm', 'the run worker ran on wasm');
  assert.match(out.workerWebgpu, /no WebGPU adapter/);
});

test('SPPO_DEBUG=1: Dawn\'s lines on stderr, prefixed "sppo: dawn:"', () => {
  const r = run([script], { ...NO_DRIVER, SPPO_DEBUG: '1' });
  const lines = r.stderr.split('\n');
  assert.ok(lines.some((l) => l.startsWith('sppo: dawn: ') && /Found no drivers/.test(l)), r.stderr);
  assert.equal(lines.filter((l) => DAWN_NOISE.test(l) && !l.startsWith('sppo: dawn: ')), [], 'only through sppo\'s prefix');
});

test('VK_ICD_FILENAMES naming a missing file: Dawn is not started, the error names the file', () => {
  const r = run([script], { VK_ICD_FILENAMES: path.join(tmp, 'missing_icd.json') });
  assert.equal(noisy(r.stderr), [], r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.match(out.webgpu, /VK_ICD_FILENAMES names .*missing_icd\.json, which does not exist/);
  assert.is(out.worker, 'wasm');
});

test('the CLI the same way: `sppo doctor --json` is quiet and reports Dawn\'s lines', () => {
  const r = run([path.join(root, 'bin/sppo.mjs'), 'doctor', '--json'], NO_DRIVER);
  assert.equal(noisy(r.stderr), [], r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.backends.webgpu.available, false);
  assert.ok(doc.backends.webgpu.dawnLog.some((l: string) => /Found no drivers/.test(l)), JSON.stringify(doc.backends.webgpu));
  assert.is(doc.chosen, 'wasm');
});

test.run();
