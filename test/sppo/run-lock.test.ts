// One writer per run directory (src/sppo/env/run-lock.ts), with real processes: a `sppo train` held
// inside its judge stage (a judge that waits for a gate file) while a second `sppo train` and a
// `sppo train --resume` on the same directory stop at once naming the holder's pid and host; the
// lock goes when the holder exits; a holder killed with SIGKILL leaves a stale lock that the next
// `--resume` recognises and takes; eight processes racing for one directory: exactly one wins.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCK_NAME, acquireRunLock, RunLockedError } from '../../src/sppo/env/run-lock.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const example = path.join(root, 'test/fixtures/tiny');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-lock-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, SPPO_QUIET: '1' };

/** A judge that blocks until `gate` exists, writing `entered` when it first waits. */
function gatedJudge(gate: string, entered: string): string {
  const file = path.join(tmp, `judge-${path.basename(gate)}.mjs`);
  fs.writeFileSync(file, `import fs from 'node:fs';
export default async function judge(pairs) {
  fs.writeFileSync(${JSON.stringify(entered)}, String(process.pid));
  while (!fs.existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 50));
  return pairs.map(({ a, b }) => (a.length === b.length ? 0.5 : a.length > b.length ? 0.7 : 0.3));
}\n`);
  return file;
}

function config(name: string, judge: string): { file: string; out: string } {
  const cfg = JSON.parse(fs.readFileSync(path.join(example, 'sppo.config.json'), 'utf8'));
  const out = path.join(tmp, name);
  Object.assign(cfg, { model: path.join(example, 'model'), prompts: path.join(example, 'prompts.jsonl'), judge, out, backend: 'wasm', iterations: 1, evalSize: 0 });
  const file = path.join(tmp, `cfg-${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return { file, out };
}

async function waitFor(file: string, child: ChildProcess, stderr: () => string): Promise<void> {
  while (!fs.existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`the holder exited early (${child.exitCode}): ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startHolder(cfgFile: string, resume = false): { child: ChildProcess; stderr: () => string; done: Promise<number | null> } {
  let err = '';
  const child = spawn(process.execPath, [bin, 'train', '--config', cfgFile, ...(resume ? ['--resume'] : [])], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => { err += d; });
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stderr: () => err, done };
}

test('a second `sppo train` and a `--resume` stop at once naming the holder; the lock goes with the holder', async () => {
  const gate = path.join(tmp, 'gate-a'), entered = path.join(tmp, 'entered-a');
  const { file, out } = config('a', gatedJudge(gate, entered));
  const holder = startHolder(file);
  try {
    await waitFor(entered, holder.child, holder.stderr);
    const lock = JSON.parse(fs.readFileSync(path.join(out, LOCK_NAME), 'utf8'));
    assert.is(lock.pid, holder.child.pid);
    assert.is(lock.host, os.hostname());
    for (const args of [[], ['--resume']]) {
      const r = spawnSync(process.execPath, [bin, 'train', '--config', file, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      assert.is.not(r.status, 0, `second run ${args.join(' ')} succeeded`);
      assert.match(r.stderr, `is in use by another sppo run: process ${holder.child.pid} on ${os.hostname()}`);
      assert.match(r.stderr, 'One run directory takes one writer');
    }
    assert.ok(!fs.existsSync(path.join(out, 'iter-1', 'summary.json')), 'the holder is still in its judge stage');
  } finally {
    fs.writeFileSync(gate, '');
  }
  assert.is(await holder.done, 0, holder.stderr());
  assert.ok(fs.existsSync(path.join(out, 'iter-1', 'summary.json')));
  assert.ok(!fs.existsSync(path.join(out, LOCK_NAME)), 'the lock file is removed on exit');
});

test('a holder killed with SIGKILL leaves a stale lock: `--resume` recognises it and finishes the run', async () => {
  const gate = path.join(tmp, 'gate-b'), entered = path.join(tmp, 'entered-b');
  const { file, out } = config('b', gatedJudge(gate, entered));
  const holder = startHolder(file);
  await waitFor(entered, holder.child, holder.stderr);
  holder.child.kill('SIGKILL');
  await holder.done;
  assert.is(JSON.parse(fs.readFileSync(path.join(out, LOCK_NAME), 'utf8')).pid, holder.child.pid, 'the killed holder left its lock');
  fs.writeFileSync(gate, '');
  const r = spawnSync(process.execPath, [bin, 'train', '--config', file, '--resume'], { env, encoding: 'utf8', timeout: 240_000 });
  assert.is(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(out, 'iter-1', 'summary.json')));
  assert.ok(!fs.existsSync(path.join(out, LOCK_NAME)));
});

test('eight processes racing for one run directory: exactly one takes the lock', async () => {
  const dir = path.join(tmp, 'race');
  const script = path.join(tmp, 'race.mts');
  const release = path.join(tmp, 'race-release');
  // every process holds what it got until all eight have answered (release file): no timing decides
  fs.writeFileSync(script, `import fs from 'node:fs';
import { acquireRunLock } from ${JSON.stringify(path.join(root, 'src/sppo/env/run-lock.ts'))};
const go = Number(process.argv[2]);
while (Date.now() < go) await new Promise((r) => setTimeout(r, 1));
try { await acquireRunLock(${JSON.stringify(dir)}); console.log('won'); }
catch (e) { console.log(e.name === 'RunLockedError' ? 'refused' : 'error ' + e.message); }
while (!fs.existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20));\n`);
  const go = Date.now() + 4000; // every process imports first, then all start together
  let answered = 0;
  const runs = Array.from({ length: 8 }, () => new Promise<string>((resolve) => {
    let out = '', counted = false;
    const c = spawn(process.execPath, ['--import', 'tsx', script, String(go)], { stdio: ['ignore', 'pipe', 'inherit'] });
    c.stdout!.on('data', (d) => {
      out += d;
      if (!counted && out.includes('\n')) { counted = true; if (++answered === 8) fs.writeFileSync(release, ''); }
    });
    c.on('exit', () => {
      if (!counted) { counted = true; if (++answered === 8) fs.writeFileSync(release, ''); } // died without answering
      resolve(out.trim());
    });
  }));
  const results = await Promise.all(runs);
  assert.equal(results.filter((r) => r === 'won').length, 1, results.join(', '));
  assert.equal(results.filter((r) => r === 'refused').length, 7, results.join(', '));
  assert.ok(!fs.existsSync(path.join(dir, LOCK_NAME)), 'released when the winner exits');
});

test('in one process: re-entrant, released by the last holder; a lock file that is not JSON is reported, not broken', async () => {
  const dir = path.join(tmp, 'inproc');
  const a = await acquireRunLock(dir), b = await acquireRunLock(dir);
  a.release();
  assert.ok(fs.existsSync(path.join(dir, LOCK_NAME)));
  b.release();
  assert.ok(!fs.existsSync(path.join(dir, LOCK_NAME)));
  fs.writeFileSync(path.join(dir, LOCK_NAME), 'garbage');
  try {
    await acquireRunLock(dir);
    assert.unreachable('took a foreign lock');
  } catch (e) {
    assert.instance(e, RunLockedError);
    assert.match((e as Error).message, 'not a lock this version wrote: if no sppo process uses this run directory, delete that file');
  }
  fs.writeFileSync(path.join(tmp, 'a-file'), '');
  try { await acquireRunLock(path.join(tmp, 'a-file')); assert.unreachable('a file as run directory'); } catch (e) {
    assert.match((e as Error).message, /a-file: cannot be used as a run directory \((EEXIST|ENOTDIR): a file is in the way\): choose another "out"/);
  }
});

test.run();
