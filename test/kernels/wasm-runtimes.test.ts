// The wasm backend in every runtime it supports: Node (worker_threads), Deno (its
// node:worker_threads, run on the TypeScript sources with the npm `deno`), Chromium on a
// crossOriginIsolated page (Web Workers from a Blob URL, shared memory) and on a plain page
// (no SharedArrayBuffer: the single-thread build). The same workload (wasm-probe.ts) must give
// the same bits everywhere, and the threaded runtimes must really have used their workers.
// Every one of these runtimes has relaxed SIMD, so all run the fused multiply-add builds
// (asserted: equal bits between an FMA and a plain build would be an accident).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probe, type ProbeResult } from './wasm-probe.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const CHROMIUM = process.env.SPPO_CHROMIUM ?? '/usr/bin/chromium';

const node = await probe(2);
const single = await probe(1);

function same(got: ProbeResult, where: string): void {
  assert.is(got.fma, true, `${where}: expected the fused multiply-add build`);
  assert.is(got.outputs.length, node.outputs.length, `${where}: number of outputs`);
  got.outputs.forEach((o, i) => {
    const want = node.outputs[i];
    assert.is(o.length, want.length, `${where}: output ${i} length`);
    for (let j = 0; j < want.length; j++) if (o[j] !== want[j]) throw new Error(`${where}: output ${i} element ${j} differs from Node's (bits ${o[j]} vs ${want[j]})`);
  });
}

test('Node: two threads really used, same bits as one thread', () => {
  assert.is(node.workers, 1);
  assert.is(node.fma, true, 'Node: expected the fused multiply-add build');
  assert.ok(node.parallelRuns >= 7, `only ${node.parallelRuns} ops ran on the workers`);
  assert.is(single.workers, 0);
  same(single, 'Node, 1 thread');
});

test('Deno: worker threads, same bits as Node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-deno-wasm-'));
  try {
    const main = path.join(dir, 'main.ts');
    fs.writeFileSync(main, `import { probe } from ${JSON.stringify(path.join(here, 'wasm-probe.ts'))};\nconsole.log(JSON.stringify(await probe(2)));\n`);
    const out = execFileSync(path.join(root, 'node_modules/.bin/deno'), ['run', '--quiet', '--sloppy-imports', '--no-config', '--no-lock', '-A', main], {
      encoding: 'utf8', env: { ...process.env, DENO_DIR: path.join(dir, 'cache'), NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 1 << 26,
    });
    const got: ProbeResult = JSON.parse(out);
    assert.is(got.workers, 1, 'Deno started a worker');
    assert.ok(got.parallelRuns >= 7, 'Deno ran ops on its worker');
    same(got, 'Deno');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('Chromium: Web Workers on a crossOriginIsolated page, one thread on a plain page; same bits', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set SPPO_CHROMIUM`);
  const esbuild = await import('esbuild');
  const bundle = await esbuild.build({
    stdin: { contents: `import { probe } from './wasm-probe.ts'; probe(2).then((r) => { globalThis.__probe = r; }, (e) => { globalThis.__probe = { error: String(e && e.stack || e) }; });`, resolveDir: here, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error', external: ['node:*'],
  });
  const js = bundle.outputFiles[0].text;
  const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  const server = http.createServer((req, res) => {
    const h = req.url?.startsWith('/coi') ? isolated : {};
    if (req.url?.endsWith('.js')) { res.writeHead(200, { 'Content-Type': 'text/javascript', ...h }); res.end(js); return; }
    res.writeHead(200, { 'Content-Type': 'text/html', ...h });
    res.end(`<script type="module" src="${req.url?.startsWith('/coi') ? '/coi/' : '/'}probe.js"></script>`);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
  try {
    for (const [url, threaded] of [[`http://127.0.0.1:${port}/coi/`, true], [`http://127.0.0.1:${port}/`, false]] as const) {
      const page = await browser.newPage();
      await page.goto(url);
      const got = await page.waitForFunction(() => (globalThis as any).__probe, null, { timeout: 60_000 }).then((h) => h.jsonValue()) as ProbeResult & { error?: string };
      assert.is(got.error, undefined, `Chromium ${url}: ${got.error}`);
      if (threaded) {
        assert.ok(got.shared && got.workers === 1 && got.parallelRuns >= 7, `Chromium (isolated): expected a worker and shared memory, got ${JSON.stringify({ ...got, outputs: undefined })}`);
      } else {
        assert.ok(!got.shared && got.threads === 1 && got.workers === 0, `Chromium (plain page): expected the single-thread build, got ${JSON.stringify({ ...got, outputs: undefined })}`);
      }
      same(got, `Chromium ${threaded ? 'isolated' : 'plain'}`);
      await page.close();
    }
  } finally { await browser.close(); server.close(); }
});

test.run();
