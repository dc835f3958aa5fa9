// The whole method through the command: `sppo train --config test/fixtures/tiny/sppo.config.json`
// with our own module judge, on every backend — every artifact of the run directory checked —
// and a run killed (SIGKILL) at random moments and resumed until done ends with the same final
// weights, byte for byte, as the run that was never interrupted.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backendNames, Rng, SEED } from '../kernels/harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const example = path.join(root, 'test/fixtures/tiny');

function config(out: string, backend: string): string {
  const cfg = JSON.parse(fs.readFileSync(path.join(example, 'sppo.config.json'), 'utf8'));
  Object.assign(cfg, { model: path.join(example, 'model'), prompts: path.join(example, 'prompts.jsonl'), judge: path.join(example, 'judge.mjs'), out, backend });
  const file = path.join(path.dirname(out), `cfg-${path.basename(out)}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return file;
}

const env = { ...process.env, SPPO_QUIET: '1' };

for (const be of backendNames()) {
  const s = suite(`sppo train end to end [${be}]`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sppo-e2e-${be}-`));
  s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  s('a seeded tiny run writes every artifact', () => {
    const out = path.join(tmp, 'full');
    const r = spawnSync(process.execPath, [bin, 'train', '--config', config(out, be)], { env, encoding: 'utf8', timeout: 240_000 });
    assert.is(r.status, 0, `sppo train failed: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    assert.is(doc.iterations.length, 2);
    for (const f of ['config.json', 'summary.json', 'report.html', 'eval-base.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
    for (const t of [1, 2]) {
      const it = path.join(out, `iter-${t}`);
      for (const f of ['samples.jsonl', 'judgments.jsonl', 'records.jsonl', 'metrics.jsonl', 'eval.json', 'summary.json', 'model/config.json', 'model/model.safetensors', 'model/tokenizer.json']) {
        assert.ok(fs.existsSync(path.join(it, f)), `iter-${t}/${f}`);
      }
      const lines = (f: string) => fs.readFileSync(path.join(it, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const samples = lines('samples.jsonl'), judg = lines('judgments.jsonl'), recs = lines('records.jsonl'), metrics = lines('metrics.jsonl');
      assert.is(samples.length, 6);
      for (const smp of samples) assert.is(smp.responses.length, 3);
      for (const j of judg) {
        assert.is(j.matrix.length, 3);
        for (let a = 0; a < 3; a++) {
          assert.is(j.matrix[a][a], 0.5);
          for (let b = 0; b < 3; b++) assert.ok(Math.abs(j.matrix[a][b] + j.matrix[b][a] - 1) < 1e-12, 'M[a][b] + M[b][a] = 1');
          const wr = j.matrix[a].reduce((x: number, y: number) => x + y, 0) / 3;
          assert.ok(Math.abs(wr - j.winrates[a]) < 1e-12, 'P̂ = row mean');
        }
      }
      assert.is(recs.length, 12, 'sppo: chosen and rejected per prompt');
      for (const rec of recs) assert.ok(Number.isFinite(rec.refLogp) && rec.refLogp < 0, 'reference log-prob stored');
      assert.is(metrics.length, 3, 'ceil(6 prompts / batch 2) steps');
      for (const m of metrics) assert.ok(Number.isFinite(m.loss));
    }
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok(html.includes('<svg') && html.includes('Win rate'), 'report has charts');
  });

  if (be === backendNames()[0]) {
    s('killed at random moments and resumed: identical final weights', async () => {
      const full = path.join(tmp, 'full', 'iter-2', 'model', 'model.safetensors');
      if (!fs.existsSync(full)) {
        const r = spawnSync(process.execPath, [bin, 'train', '--config', config(path.join(tmp, 'full'), be)], { env, encoding: 'utf8', timeout: 240_000 });
        assert.is(r.status, 0, r.stderr);
      }
      const out = path.join(tmp, 'killed');
      const cfgFile = config(out, be);
      const rng = new Rng(SEED ^ 0xdead);
      let kills = 0, done = false;
      // five attempts killed at random moments — a random number of artifacts after the start
      // (new files in the run directory), plus a random delay — then one left to finish
      const count = (dir: string): number => {
        let n = 0;
        try { for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? count(path.join(dir, e.name)) : 1; } catch { /* not yet */ }
        return n;
      };
      for (let attempt = 0; attempt < 6 && !done; attempt++) {
        const args = [bin, 'train', '--config', cfgFile, ...(attempt > 0 ? ['--resume'] : [])];
        const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => { err += d; });
        const before = count(out);
        const wantNew = 1 + Math.floor(rng.next() * 4), delay = rng.next() * 60;
        let killed = false;
        const poll = attempt < 5 ? setInterval(() => {
          if (!killed && count(out) - before >= wantNew) { killed = true; setTimeout(() => child.kill('SIGKILL'), delay); }
        }, 5) : undefined;
        const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => { if (poll) clearInterval(poll); resolve(c); }));
        if (code === 0) done = true;
        else if (code === null) kills++;
        else throw new Error(`resumed run failed (exit ${code}): ${err}`);
      }
      assert.ok(done, 'the resumed run finished');
      assert.ok(kills >= 1, 'at least one kill landed mid-run');
      console.log(`    [${be}] killed ${kills} times, resumed to completion`);
      const a = fs.readFileSync(full), b = fs.readFileSync(path.join(out, 'iter-2', 'model', 'model.safetensors'));
      assert.ok(a.equals(b), 'final weights differ between the interrupted and the uninterrupted run');
    });
  }
  s.run();
}
