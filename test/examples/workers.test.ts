// Workers over comlink, in Node (worker_threads through comlink's node adapter):
// - the judge worker answers exactly what the same judge answers in-process, on fresh random
//   pairs; a bad module, a throwing judge and a closed worker each give one clear error;
// - with judgeAhead the coordinator judges unit u while unit u + 1 generates (timestamps from
//   inside the worker), and the run's judgments and final weights equal a plain run's;
// - the run worker (a whole SPPO run off the main thread) ends with the weights of the same run
//   on disk, byte for byte, reports progress/step/iteration events, and stops on abort().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, SEED } from '../kernels/harness.js';
import { workerJudge } from '../../src/workers/judge-client.js';
import { startRunWorker } from '../../src/workers/run-client.js';
import type { RunEvent } from '../../src/workers/run-types.js';
import { loadJudge } from '../../src/judge/load.js';
import { createBackend } from '../../src/kernels/index.js';
import { nodeDeps } from '../../src/sppo/env/node-deps.js';
import { resolveConfig } from '../../src/sppo/config.js';
import { SPPO, type ProgressEvent } from '../../src/sppo/coordinator.js';
import { root } from './built.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-workers-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const rng = new Rng(SEED);
console.log(`  seed ${SEED} (SPPO_SEED=${SEED} reproduces)`);
const tinyJudge = path.join(root, 'test/fixtures/tiny/judge.mjs');

function write(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}
const randomText = () => Array.from({ length: rng.int(0, 24) }, () => String.fromCharCode(rng.int(32, 127))).join('');

function tinyConfig(out: string, extra: Record<string, unknown> = {}) {
  const c = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/tiny/sppo.config.json'), 'utf8'));
  delete c['//'];
  return resolveConfig({ ...c, model: path.join(root, 'test/fixtures/tiny/model'), prompts: path.join(root, 'test/fixtures/tiny/prompts.jsonl'), judge: tinyJudge, out, backend: 'wasm', ...extra });
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try { await p; } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}

const s = suite('workers over comlink (Node worker_threads)');

s('the judge worker answers what the judge answers in-process (fresh random pairs)', async () => {
  for (const spec of [tinyJudge, 'builtin:length?scale=7', 'builtin:sentiment']) {
    const pairs = Array.from({ length: rng.int(1, 40) }, () => ({ prompt: randomText(), a: randomText(), b: randomText() }));
    const local = await loadJudge(spec);
    const remote = await workerJudge(spec);
    try {
      assert.match(remote.name, /\(worker\)$/);
      assert.is(remote.orderSensitive, local.orderSensitive);
      const want = await local.compare(pairs), got = await remote.compare(pairs);
      assert.equal(got, want, spec);
      assert.is(remote.calls, 1);
    } finally { await remote.close(); }
    await rejects(remote.compare(pairs), /the worker was closed/);
  }
});

s('judge worker errors: a missing module, a judge that throws, a wrong answer', async () => {
  await rejects(workerJudge('./no-such-judge.mjs', { cwd: tmp }), /judge \.\/no-such-judge\.mjs not found: no file at .*no-such-judge\.mjs/);
  const throws = await workerJudge(write('throws.mjs', 'export default async () => { throw new Error("judge exploded"); };'));
  try { await rejects(throws.compare([{ prompt: 'p', a: 'a', b: 'b' }]), /threw: judge exploded/); } finally { await throws.close(); }
  const short = await workerJudge(write('short.mjs', 'export default async (pairs) => pairs.slice(1).map(() => 0.5);'));
  try { await rejects(short.compare([{ prompt: 'p', a: 'a', b: 'b' }, { prompt: 'p', a: 'c', b: 'd' }]), /returned 1 value for 2 pairs/); } finally { await short.close(); }
  const dies = await workerJudge(write('dies.mjs', 'export default async () => { process.exit(3); };'));
  await rejects(dies.compare([{ prompt: 'p', a: 'a', b: 'b' }]), /worker judge-worker exited \(code 3\)/);
  await dies.close();
});

s('judgeAhead: unit u is judged while unit u+1 generates; same judgments and weights as a plain run', async () => {
  // a slow module judge that drops a marker file when each call starts (from inside the worker).
  // The overlap is shown by a handshake, not by clocks: when unit 1's generation is reported done,
  // the main thread blocks until unit 0's judge call has started. With judgeAhead that call runs in
  // the judge worker already, so the marker appears; a plain run would only call the judge after
  // the main thread moves on, so the wait would run out.
  const marks = path.join(tmp, 'judge-marks');
  const slow = write('slow.mjs', `import fs from 'node:fs';
const base = (await import(${JSON.stringify(new URL('file://' + tinyJudge).href)})).default;
let call = 0;
export default async (pairs) => {
  fs.writeFileSync(${JSON.stringify(marks)} + '/start-' + call++, String(pairs.length));
  await new Promise((r) => setTimeout(r, 150));
  return base(pairs);
};`);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const waitFor = (file: string, ms: number) => { // blocks this thread (the coordinator's) on purpose
    for (let t = 0; t < ms; t += 5) { if (fs.existsSync(file)) return true; Atomics.wait(sleeper, 0, 0, 5); }
    return fs.existsSync(file);
  };
  const run = async (name: string, ahead: boolean) => {
    fs.rmSync(marks, { recursive: true, force: true });
    fs.mkdirSync(marks, { recursive: true });
    const cfg = tinyConfig(path.join(tmp, name), { judge: slow, iterations: 1, evalSize: 0, maxNewTokens: 16 });
    const be = await createBackend('wasm');
    const deps = await nodeDeps(cfg, be);
    const judge = ahead ? await workerJudge(slow) : deps.judge;
    deps.judge = judge;
    deps.judgeAhead = ahead;
    const seen: { unit: number; judgeCallsStarted: number; sawUnit0Judged?: boolean }[] = [];
    const sppo = new SPPO(cfg, deps);
    sppo.addEventListener('progress', (e) => {
      const p = (e as CustomEvent<ProgressEvent>).detail;
      if (p.stage !== 'generate') return;
      const entry: (typeof seen)[number] = { unit: p.done - 1, judgeCallsStarted: fs.readdirSync(marks).length };
      if (ahead && p.done === 2) entry.sawUnit0Judged = waitFor(path.join(marks, 'start-0'), 60_000);
      seen.push(entry);
    });
    try { await sppo.run(); } finally { await judge.close?.(); be.destroy(); }
    return { cfg, seen, calls: fs.readdirSync(marks).length };
  };
  const plain = await run('plain', false);
  const ahead = await run('ahead', true);
  assert.is(ahead.seen.length, 3, 'three generation units (6 prompts, 2 per unit)');
  assert.is(ahead.calls, 3, 'one judge call per unit');
  assert.is(plain.calls, 3, 'one judge call per unit (plain)');
  // plain: no judge call has started while any unit was still being generated
  assert.equal(plain.seen.map((e) => e.judgeCallsStarted), [0, 0, 0], 'plain run judges only after generation');
  // ahead: unit 0's judge call started while the coordinator was busy with unit 1
  assert.is(ahead.seen[1].sawUnit0Judged, true, 'unit 0 judged while unit 1 generates');
  for (const f of ['iter-1/judgments.jsonl', 'iter-1/samples.jsonl', 'iter-1/records.jsonl', 'iter-1/model/model.safetensors']) {
    assert.ok(fs.readFileSync(path.join(plain.cfg.out, f)).equals(fs.readFileSync(path.join(ahead.cfg.out, f))), `${f} identical`);
  }
});

s('the run worker: a whole run off the main thread, the same weights as on disk; events; abort', async () => {
  const disk = tinyConfig(path.join(tmp, 'disk'));
  const be = await createBackend('wasm');
  try { await new SPPO(disk, await nodeDeps(disk, be)).run(); } finally { be.destroy(); }
  const w = await startRunWorker();
  const events: RunEvent[] = [];
  try {
    const res = await w.run({
      config: { ...disk, model: 'tiny', prompts: 'prompts.jsonl', out: 'ignored' },
      models: { tiny: path.join(root, 'test/fixtures/tiny/model') },
      texts: { 'prompts.jsonl': fs.readFileSync(path.join(root, 'test/fixtures/tiny/prompts.jsonl'), 'utf8') },
    }, (e) => { events.push(e); });
    const want = fs.readFileSync(path.join(disk.out, 'iter-2/model/model.safetensors'));
    const got = res.model.get('model.safetensors')!;
    assert.ok(Buffer.from(got).equals(want), 'final weights identical byte for byte');
    assert.equal(res.model.get('tokenizer.json'), new Uint8Array(fs.readFileSync(path.join(root, 'test/fixtures/tiny/model/tokenizer.json'))));
    assert.is(res.summaries.length, 2);
    assert.is(res.backend.kind, 'wasm');
    const diskSummary = JSON.parse(fs.readFileSync(path.join(disk.out, 'summary.json'), 'utf8')).iterations;
    res.summaries.forEach((sm, i) => { assert.is(sm.finalLoss, diskSummary[i].finalLoss); assert.equal(sm.eval, diskSummary[i].eval); });
    await new Promise((r) => setTimeout(r, 50)); // the last proxied events
    const types = new Set(events.map((e) => e.type));
    for (const t of ['backend', 'progress', 'step', 'iteration']) assert.ok(types.has(t as RunEvent['type']), `event ${t}`);
    const its = events.filter((e) => e.type === 'iteration');
    assert.is(its.length, 2);
    assert.is(its[0].type === 'iteration' && its[0].detail.eval?.samples.length, disk.evalSize);
    assert.is(events.filter((e) => e.type === 'step').length, 6);
    // a bad request: one clear error, and the worker lives on
    await rejects(w.run({ config: { ...disk, model: 'nope', prompts: 'prompts.jsonl' }, models: {}, texts: { 'prompts.jsonl': 'a prompt' } }), /no model "nope" was given/);
    // abort mid-run
    const p = w.run({
      config: { ...disk, model: 'tiny', prompts: 'prompts.jsonl', iterations: 3 }, models: { tiny: path.join(root, 'test/fixtures/tiny/model') },
      texts: { 'prompts.jsonl': fs.readFileSync(path.join(root, 'test/fixtures/tiny/prompts.jsonl'), 'utf8') },
    }, (e) => { if (e.type === 'progress' && e.detail.stage === 'judge') void w.abort('test abort'); });
    await rejects(p, /run aborted \(test abort\)/);
  } finally { await w.terminate(); }
});

s.run();
