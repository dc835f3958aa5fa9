// The published types as a TypeScript user compiles them: a consumer project with `sppo` in its
// node_modules (a link to this package: dist/types, package.json "exports"), compiled by the
// devDependency typescript under moduleResolution nodenext, node16 and bundler, each with
// skipLibCheck false (so every .d.ts of ours is checked: no extensionless relative imports).
// The consumer uses typed events (e.detail is typed; a wrong field is an error, checked with
// a ts-expect-error directive, which itself fails when the detail is `any`), the SPPOEvent and RunEvent
// unions, and a judge written as an inline function (its pairs typed from context).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root } from '../examples/built.js';

ensureBuilt();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-types-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
fs.mkdirSync(path.join(tmp, 'node_modules/@types'), { recursive: true });
fs.symlinkSync(root, path.join(tmp, 'node_modules/sppo'), 'dir');
fs.symlinkSync(path.join(root, 'node_modules/@types/node'), path.join(tmp, 'node_modules/@types/node'), 'dir');
fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
fs.writeFileSync(path.join(tmp, 'consumer.ts'), `
import { SPPO, evaluate, loadJudge, startRunWorker, type SPPOEvent, type RunEvent, type JudgeFunction } from 'sppo';
import { renderReport } from 'sppo/browser';

const run = new SPPO({ model: 'builtin:demo', prompts: 'prompts.txt', judge: async (pairs) => pairs.map((p) => (p.a.length < p.b.length ? 0.9 : 0.1)) });
run.addEventListener('step', (e) => { const loss: number = e.detail.loss; void loss; });
run.addEventListener('progress', (e) => { const stage: 'generate' | 'judge' | 'records' | 'train' | 'eval' = e.detail.stage; void stage; });
run.addEventListener('iteration', (e) => { const w: number | undefined = e.detail.eval?.winRate; void w; });
run.addEventListener('log', (e) => { const m: string = e.detail; void m; });
// @ts-expect-error a step's detail has no field "nope" (fails to compile if detail were any)
run.addEventListener('step', (e) => e.detail.nope);
const onAny = (e: SPPOEvent) => { if (e.type === 'iteration') { const n: number = e.detail.iteration; void n; } };
const onRun = (e: RunEvent) => { if (e.type === 'iteration') { const s: number | undefined = e.detail.eval?.stats.winRate; void s; } };
const shorter: JudgeFunction = async (pairs) => pairs.map(() => 0.5);
void onAny; void onRun; void evaluate; void loadJudge(shorter); void startRunWorker; void renderReport;
`);

const s = suite('types: a consumer compiles with skipLibCheck false');
for (const resolution of ['nodenext', 'node16', 'bundler']) {
  s(`moduleResolution ${resolution}`, () => {
    const module = resolution === 'bundler' ? 'esnext' : resolution;
    const cfg = path.join(tmp, `tsconfig.${resolution}.json`);
    fs.writeFileSync(cfg, JSON.stringify({
      compilerOptions: { module, moduleResolution: resolution, target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['consumer.ts'],
    }));
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', cfg], { cwd: tmp, encoding: 'utf8', timeout: 240_000 });
    assert.is(r.status, 0, `tsc (${resolution}) failed:\n${(r.stdout + r.stderr).slice(0, 4000)}`);
  });
}
s.run();
