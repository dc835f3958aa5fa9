// The package as users get it: `npm pack`, then `npm install ./sppo-0.1.0.tgz` into an empty
// directory (dependencies from the npm cache: --prefer-offline), then what a user runs there:
// `npx sppo doctor`, the library through its name (Node, and the browser/Deno entries resolve),
// the Node example against the installed package (its judge worker comes from the package), and
// what the README tells a user to run, taken from the installed README itself: the library quick
// start script (its inline judge aligns the demo model: a win rate above ½), then every
// `npx sppo ...` line of the Quick start in order — doctor, demo --quick, demo (seen starting in
// its own folder, then stopped), init, and train on the starter project (win rate above 0.55).
// Prints how long each step takes.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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
  assert.equal([...files].filter((f) => f.endsWith('.map')), [], 'no source maps in the package');
  for (const f of files) if (f.startsWith('dist/') && f.endsWith('.js')) {
    assert.not.match(fs.readFileSync(path.join(root, f), 'utf8').slice(-300), /sourceMappingURL/, `${f} points at no source map`);
  }
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

/** the README as installed with the package */
const readme = () => fs.readFileSync(path.join(app, 'node_modules/sppo/README.md'), 'utf8');
/** the fenced block of `lang` that follows `heading` */
function block(md: string, heading: string, lang: string, nth = 0): string {
  const at = md.indexOf(heading);
  assert.ok(at >= 0, `README has "${heading}"`);
  const blocks = [...md.slice(at).matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  assert.ok(blocks[nth], `a ${lang} block after "${heading}"`);
  return blocks[nth][1];
}

s('README quick start: `npm install sppo`, then the library script runs and moves the win rate', () => {
  assert.match(block(readme(), '## Quick start', 'sh'), /^npm install sppo\b/m);
  const script = block(readme(), '## Quick start', 'js');
  assert.ok(script.split('\n').filter((l) => l.trim()).length <= 16, 'about 15 lines');
  fs.writeFileSync(path.join(app, 'quickstart.mjs'), script);
  const r = step('quickstart.mjs', () => run(process.execPath, ['quickstart.mjs'], 300_000));
  const m = /win rate vs the base: (\d\.\d{3})/.exec(r.stdout);
  assert.ok(m, `the script prints its win rate:\n${r.stdout}`);
  console.log(`  quickstart.mjs: win rate ${m![1]}`);
  assert.ok(Number(m![1]) > 0.5, `the inline judge's preference moved the model: ${m![1]}`);
  assert.match(readme(), new RegExp(`prints \`win rate vs the base: ${m![1].replace('.', '\\.')}\``), 'the README shows what the script prints');
  assert.ok(fs.existsSync(path.join(app, 'quickstart-run/report.html')));
});

s('README quick start: every `npx sppo` line works from the installed package, in order', async () => {
  const lines = block(readme(), '## Quick start', 'sh', 1).split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npx sppo '));
  assert.ok(lines.length >= 5, `the README's commands: ${lines.join(' | ')}`);
  for (const line of lines) {
    const args = line.split(/\s+/).slice(1);
    if (args[1] === 'demo' && !args.includes('--quick')) {
      // the full demo: it starts in its own folder next to the quick one (seen, then stopped: the demo test covers its table)
      const t = Date.now();
      // node on the installed command itself (what npx runs), so that the kill reaches the run
      const child = spawn(process.execPath, [path.join(app, 'node_modules/sppo/bin/sppo.mjs'), ...args.slice(1)], { cwd: app, env: { ...process.env, SPPO_QUIET: '1' } });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      const begun = await Promise.race([
        (async () => { while (!fs.existsSync(path.join(app, 'sppo-demo/config.json')) || !/^iteration\s+win rate/m.test(out)) await new Promise((r) => setTimeout(r, 100)); return true; })(),
        exited.then(() => false),
      ]);
      child.kill('SIGKILL');
      await exited;
      times.push(['demo (start)', (Date.now() - t) / 1000]);
      assert.ok(begun, `${line} did not start:\n${out.slice(-2000)}`);
      continue;
    }
    const r = step(args.slice(1, 3).join(' '), () => run('npx', args, 300_000));
    if (args[1] === 'doctor') assert.match(r.stdout, /chosen \(auto\)/);
    if (args[1] === 'demo') {
      assert.match(r.stdout, /iteration\s+win rate/);
      assert.match(r.stdout, /^3\s+[01]\.\d{3}\s+\[0\.\d{3}, [01]\.\d{3}\]/m);
      assert.ok(fs.existsSync(path.join(app, 'sppo-demo-quick/report.html')));
    }
    if (args[1] === 'init') for (const f of ['sppo.config.json', 'prompts.jsonl', 'eval-prompts.jsonl', 'judge.mjs']) assert.ok(fs.existsSync(path.join(app, args[2], f)), f);
    if (args[1] === 'train') {
      const its = JSON.parse(r.stdout).iterations;
      const last = its[its.length - 1];
      console.log(`  ${line}: win rate ${its.map((x: any) => x.eval.winRate.toFixed(3)).join(' → ')}`);
      assert.ok(last.eval.winRate > 0.55, `the starter project's win rate moves: ${last.eval.winRate}`);
    }
  }
});

s.run();
