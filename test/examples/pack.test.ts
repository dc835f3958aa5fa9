// The package as users get it: `npm pack`, then `npm install ./sppo-0.1.0.tgz` into an empty
// directory (dependencies from the npm cache: --prefer-offline), then what a user runs there:
// `npx sppo doctor`, the library through its name (Node, and the browser/Deno entries resolve),
// the Node example against the installed package (its judge worker comes from the package), and
// `npx sppo demo --quick`. Prints how long each step takes.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root } from './built.js';

ensureBuilt();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-pack-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const app = path.join(tmp, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const times: [string, number][] = [];
const t0 = Date.now();

function step<T>(name: string, f: () => T): T {
  const t = Date.now();
  try { return f(); } finally { times.push([name, (Date.now() - t) / 1000]); }
}
function run(cmd: string, args: string[], timeout: number) {
  const r = spawnSync(cmd, args, { cwd: app, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status} ${r.signal}):\n${r.stderr.slice(-3000)}`);
  return r;
}

const s = suite('npm pack → npm install → npx sppo');
s.after(() => {
  console.log(`  pack test timing: ${times.map(([n, t]) => `${n} ${t.toFixed(1)} s`).join(' · ')} · TOTAL ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

let tarball = '';
s('npm pack: the bundles, types, workers, models and the command are in the tarball', () => {
  const out = step('npm pack', () => execFileSync(npm, ['pack', '--pack-destination', tmp, '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 }));
  const info = JSON.parse(out)[0];
  tarball = path.join(tmp, info.filename);
  assert.ok(fs.existsSync(tarball));
  const files = new Set<string>(info.files.map((f: { path: string }) => f.path));
  for (const f of ['bin/sppo.mjs', 'package.json', 'README.md', 'LICENSE',
    'dist/node/index.js', 'dist/node/cli.js', 'dist/node/judge-worker.js', 'dist/node/run-worker.js',
    'dist/browser/index.js', 'dist/browser/run-worker.js', 'dist/browser/judge-worker.js',
    'dist/deno/index.js', 'dist/deno/run-worker.js', 'dist/deno/judge-worker.js',
    'dist/types/index.d.ts', 'dist/types/browser.d.ts', 'dist/types/deno.d.ts',
    'models/demo/config.json', 'models/demo/model.safetensors', 'models/demo/tokenizer.json',
    'data/demo/train-prompts.jsonl', 'data/demo/eval-prompts.jsonl']) assert.ok(files.has(f), `${f} is in the package`);
  assert.ok(![...files].some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/')), 'no sources, tests or dependencies');
  console.log(`  ${info.filename}: ${(info.size / 1e6).toFixed(1)} MB packed, ${(info.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${files.size} files`);
});

s('npm install of the tarball into an empty directory', () => {
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  step('npm install', () => run(npm, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], 150_000));
  assert.ok(fs.existsSync(path.join(app, 'node_modules/sppo/dist/node/cli.js')));
  assert.ok(fs.existsSync(path.join(app, 'node_modules/.bin/sppo')));
});

s('npx sppo doctor', () => {
  const r = step('doctor', () => run('npx', ['sppo', 'doctor', '--json'], 60_000));
  const doc = JSON.parse(r.stdout);
  assert.is(doc.runtime, 'node');
  assert.ok(['webgpu', 'wasm'].includes(doc.chosen), `auto chooses ${doc.chosen}`);
  assert.ok(doc.backends.wasm.available, 'the wasm backend works from the package');
  assert.is(doc.backends.wasm.fma, true, 'the installed package finds relaxed SIMD (Node 20: V8 flag switched on) and reports it');
  assert.type(doc.reason, 'string');
});

s('the library by name: entries resolve, the Node example runs on the installed package', () => {
  const r = step('library', () => run(process.execPath, ['--input-type=module', '-e', `
    const m = await import('sppo');
    const want = ['SPPO', 'createBackend', 'memoryDeps', 'workerJudge', 'startRunWorker', 'loadModel', 'modelFiles'];
    console.log(JSON.stringify({ missing: want.filter((k) => typeof m[k] !== 'function'),
      node: import.meta.resolve('sppo'), browser: import.meta.resolve('sppo/browser'), deno: import.meta.resolve('sppo/deno') }));`], 60_000));
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.missing, []);
  assert.match(doc.node, /node_modules\/sppo\/dist\/node\/index\.js$/);
  assert.match(doc.browser, /node_modules\/sppo\/dist\/browser\/index\.js$/);
  assert.match(doc.deno, /node_modules\/sppo\/dist\/deno\/index\.js$/);
  // the example, copied next to the installed package: `import ... from 'sppo'` is the package now
  fs.copyFileSync(path.join(root, 'examples/node/sppo.mjs'), path.join(app, 'example.mjs'));
  const tiny = path.join(root, 'examples/tiny');
  const ex = step('node example', () => run(process.execPath, ['example.mjs', '--model', path.join(tiny, 'model'), '--prompts', path.join(tiny, 'prompts.jsonl'),
    '--judge', path.join(tiny, 'judge.mjs'), '--out', 'run', '--backend', 'wasm'], 120_000));
  assert.match(ex.stdout, /iteration 2: loss/);
  assert.ok(fs.existsSync(path.join(app, 'run/aligned/model.safetensors')));
});

s('npx sppo demo --quick', () => {
  const r = step('demo --quick', () => run('npx', ['sppo', 'demo', '--quick', '--out', 'demo-run', '--backend', 'wasm'], 170_000));
  assert.match(r.stdout, /iteration\s+win rate/);
  assert.match(r.stdout, /^base\s/m);
  assert.match(r.stdout, /^3\s+[01]\.\d{3}\s+\[0\.\d{3}, [01]\.\d{3}\]/m);
  assert.ok(fs.existsSync(path.join(app, 'demo-run/report.html')));
});

s.run();
