// examples/node/sppo.mjs — the library in a few lines, run as a user runs it (plain node, the
// built bundle through the package's own name): two iterations with the judge in a worker
// thread, then the aligned model saved; the saved weights are the last iterate's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backendNames } from '../kernels/harness.js';
import { SafetensorsBuffer } from '../../src/model/safetensors.js';
import { ensureBuilt, root } from './built.js';

ensureBuilt();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-node-example-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const s = suite('examples/node');
for (const be of backendNames()) {
  s(`two iterations and a saved model [${be}]`, () => {
    const out = path.join(tmp, be), save = path.join(tmp, `aligned-${be}`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(root, 'examples/node/sppo.mjs'), '--out', out, '--save', save, '--backend', be], { encoding: 'utf8', timeout: 180_000, cwd: tmp });
    assert.is(r.status, 0, `the example failed: ${r.stderr}`);
    console.log(`  [${be}] ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^iteration 1: loss \d+\.\d{4}, win rate vs base 0\.\d{3} \[/);
    assert.match(lines[1], /^iteration 2: /);
    assert.match(lines[2], new RegExp(`^aligned model saved in ${save.replace(/[/.]/g, '\\$&')} \\(${be}`));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(fs.existsSync(path.join(save, f)), f);
    const a = new SafetensorsBuffer(new Uint8Array(fs.readFileSync(path.join(save, 'model.safetensors'))));
    const b = new SafetensorsBuffer(new Uint8Array(fs.readFileSync(path.join(out, 'iter-2/model/model.safetensors'))));
    assert.equal(a.names().sort(), b.names().sort());
    for (const n of a.names()) assert.equal(Array.from(a.readFloat32(n)), Array.from(b.readFloat32(n)), n);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.is(summary.iterations.length, 2);
    for (const it of summary.iterations) assert.ok(it.eval.winRate >= 0 && it.eval.winRate <= 1 && Number.isFinite(it.finalLoss));
  });
}
s.run();
