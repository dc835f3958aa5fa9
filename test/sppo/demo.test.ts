// `sppo demo --quick` through the built command (bin/sppo.mjs → dist/node/cli.js): it finishes,
// prints the table (a base row and one row per iteration), writes report.html and the run
// directory, and its numbers are sane and honest — every win rate in [0, 1] inside its 95%
// interval, and each printed accuracy and win rate recomputed here from the iteration's
// eval.json with an independent arithmetic check. Evaluation prompts are held out: none of them
// is among the SPPO training prompts nor in the SFT data's prompt set. Plus `builtin:demo`
// resolving to the shipped model directory, and a clear error for an unknown builtin.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinModelDir, packageRoot } from '../../src/sppo/env/package-root.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-demo-'));
const s = suite('sppo demo');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** the right answer to "A+B=" / "A-B=" — written here, not taken from the judge */
function answerOf(prompt: string): number {
  const m = /^(\d+)([+-])(\d+)=$/.exec(prompt);
  if (!m) throw new Error(`unexpected demo prompt ${prompt}`);
  return m[2] === '+' ? Number(m[1]) + Number(m[3]) : Number(m[1]) - Number(m[3]);
}
const isRight = (prompt: string, response: string) => {
  const m = /^\s*(-?\d+)/.exec(response);
  return m !== null && !/^\s*-?\d+[.,]\d/.test(response) && Number(m[1]) === answerOf(prompt);
};
const prompts = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).prompt as string);

s('builtin:demo is the shipped model directory; an unknown builtin names the known ones', () => {
  assert.is(packageRoot(), root);
  assert.is(builtinModelDir('builtin:demo'), path.join(root, 'models/demo'));
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'README.md', 'LICENSE']) {
    assert.ok(fs.existsSync(path.join(root, 'models/demo', f)), `models/demo/${f}`);
  }
  assert.throws(() => builtinModelDir('builtin:nope'), /no embedded model "nope".*builtin:demo/);
});

s('the evaluation prompts are held out from SPPO training', () => {
  const evalSet = new Set(prompts(path.join(root, 'data/demo/eval-prompts.jsonl')));
  const train = prompts(path.join(root, 'data/demo/train-prompts.jsonl'));
  assert.ok(evalSet.size >= 32 && train.length >= 48);
  for (const p of train) assert.not.ok(evalSet.has(p), `${p} is in both sets`);
});

// the README's sequence in a fresh directory: `sppo demo --quick`, then `sppo demo`
const fresh = path.join(tmp, 'fresh');
fs.mkdirSync(fresh);

s('sppo demo --quick: finishes, prints the table, writes the report; numbers are sane', () => {
  const out = path.join(fresh, 'sppo-demo-quick'); // its default folder
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'demo', '--quick', '--backend', 'wasm'], { cwd: fresh, encoding: 'utf8', timeout: 300_000, env: { ...process.env, SPPO_QUIET: '1' } });
  const secs = (Date.now() - t0) / 1000;
  assert.is(r.status, 0, `sppo demo failed (${r.signal ?? r.status}): ${r.stderr}`);
  console.log(`  sppo demo --quick: ${secs.toFixed(0)} s`);
  const lines = r.stdout.split('\n');
  assert.ok(lines.some((l) => /^iteration\s+win rate\s+95% CI\s+accuracy\s+mean length/.test(l)), `table header in:\n${r.stdout}`);
  const rowRe = /^(base|\d+)\s+(–|[\d.]+)\s+(–|\[([\d.]+), ([\d.]+)\])\s+([\d.]+)%\s+([\d.]+) chars$/;
  const rows = lines.map((l) => rowRe.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const T = summary.iterations.length;
  assert.ok(T >= 1);
  assert.is(rows.length, T + 1, `a base row and one row per iteration in:\n${r.stdout}`);
  assert.is(rows[0][1], 'base');
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('<svg') && html.includes('Win rate'), 'report.html has its charts');
  assert.is(lines.filter((l) => l.includes('report.html')).length, 1, 'the table names the report, once');
  assert.not.match(r.stderr, /report\.html/, 'and stderr does not repeat it');
  const trainPrompts = new Set(prompts(path.join(root, 'data/demo/train-prompts.jsonl')));
  for (let t = 1; t <= T; t++) {
    const m = rows[t];
    assert.is(m[1], String(t));
    const win = Number(m[2]), lo = Number(m[4]), hi = Number(m[5]), acc = Number(m[6]) / 100, len = Number(m[7]);
    assert.ok(win >= 0 && win <= 1, `win rate ${win} in [0, 1]`);
    assert.ok(lo <= win + 5e-4 && win <= hi + 5e-4 && lo >= 0 && hi <= 1, `95% CI [${lo}, ${hi}] holds ${win}`);
    assert.ok(hi - lo < 0.6, 'the interval is informative');
    const ev = JSON.parse(fs.readFileSync(path.join(out, `iter-${t}`, 'eval.json'), 'utf8'));
    const samples: { prompt: string; response: string; baseline: string; p: number }[] = ev.samples;
    assert.ok(samples.length >= 32, 'evaluated on held-out prompts');
    for (const x of samples) {
      assert.not.ok(trainPrompts.has(x.prompt), `eval prompt ${x.prompt} was a training prompt`);
      assert.ok(x.p >= 0 && x.p <= 1 && Number.isFinite(x.p), 'judge probability in [0, 1]');
    }
    const mean = (a: number[]) => a.reduce((u, v) => u + v, 0) / a.length;
    assert.ok(Math.abs(mean(samples.map((x) => x.p)) - win) < 5e-4, 'printed win rate = mean judge probability in eval.json');
    const accHere = mean(samples.map((x) => (isRight(x.prompt, x.response) ? 1 : 0)));
    assert.ok(Math.abs(accHere - acc) < 5e-4, `printed accuracy ${acc} = recomputed ${accHere}`);
    assert.ok(Math.abs(mean(samples.map((x) => [...x.response].length)) - len) < 0.05 + 1e-9, 'printed mean length');
    if (t === 1) {
      const baseAcc = mean(samples.map((x) => (isRight(x.prompt, x.baseline) ? 1 : 0)));
      assert.ok(Math.abs(baseAcc - Number(rows[0][6]) / 100) < 5e-4, 'base accuracy');
    }
  }
});

s('then `sppo demo` (full) starts in its own folder, next to the quick run; the quick run resumes as finished', async () => {
  const child = spawn(process.execPath, [bin, 'demo', '--backend', 'wasm'], { cwd: fresh, env: { ...process.env, SPPO_QUIET: '1' } });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  // wait (no clock decides this: the run either writes its config or exits) until the full run has begun
  const full = path.join(fresh, 'sppo-demo');
  const begun = await Promise.race([
    (async () => { while (!fs.existsSync(path.join(full, 'config.json')) || !/^iteration\s+win rate/m.test(stdout)) await new Promise((r) => setTimeout(r, 100)); return true; })(),
    exited.then(() => false),
  ]);
  child.kill('SIGKILL'); // it has shown what this test is about; a killed run resumes (e2e tests)
  await exited;
  assert.ok(begun, `the full demo did not start after the quick one:\n${stderr.slice(-2000)}`);
  assert.not.match(stderr, /holds a run with other settings/);
  assert.match(stdout, new RegExp(`out\\s+${full.replace(/[/.]/g, '\\$&')}$`, 'm'));
  assert.is(JSON.parse(fs.readFileSync(path.join(full, 'config.json'), 'utf8')).evalSize, 256, 'the full settings');
  assert.is(JSON.parse(fs.readFileSync(path.join(fresh, 'sppo-demo-quick/config.json'), 'utf8')).evalSize, 64, 'the quick run is untouched');
  // the quick run again: nothing left to do, same table
  const again = spawnSync(process.execPath, [bin, 'demo', '--quick', '--backend', 'wasm'], { cwd: fresh, encoding: 'utf8', timeout: 300_000, env: { ...process.env, SPPO_QUIET: '1' } });
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /continuing the demo run in .*sppo-demo-quick/);
});

s.run();
