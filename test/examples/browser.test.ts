// examples/browser/ in a real browser: Debian's chromium (headless, SwiftShader for WebGPU) driven
// by playwright-core, the page served by examples/browser/serve.mjs from 127.0.0.1 with COOP/COEP.
// The page runs the embedded demo model in its run worker, once on the WebGPU backend and once
// on wasm (threads: the page must be cross-origin isolated), draws the charts and the
// before/after table, and offers the aligned model for download; the test checks the numbers on
// the page (on wasm they must equal `sppo demo --quick --json` in Node), downloads the model and
// checks it, and saves a screenshot of each run (path printed). It also exercises the OPFS run
// store in the page.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser, type Page } from 'playwright-core';
import { backendNames } from '../kernels/harness.js';
import { SafetensorsBuffer } from '../../src/model/safetensors.js';
import { ensureBuilt, root } from './built.js';
// @ts-expect-error a plain .mjs script without types
import { serve } from '../../examples/browser/serve.mjs';

ensureBuilt();
const CHROMIUM = process.env.SPPO_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--headless=new', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic'];
const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-browser-'));
const hasDemo = fs.existsSync(path.join(root, 'models/demo/config.json'));

/**
 * The demo's quick setting (src/sppo/demo.ts demoSettings): on wasm as `sppo demo --quick` runs
 * it (3 iterations); WebGPU here is SwiftShader, a CPU emulation ~10× slower than wasm, where one
 * iteration of the quick setting takes ~2 minutes: that run does one iteration on 8 prompts.
 */
const ITERATIONS: Record<string, number> = { wasm: 3, webgpu: 1 };
function query(be: string): string {
  const q = new URLSearchParams({ backend: be, setting: 'quick', iterations: String(ITERATIONS[be]), autostart: '1' });
  if (be === 'webgpu') { q.set('set.maxPrompts', '8'); q.set('set.evalSize', '8'); q.set('set.batchSize', '4'); }
  if (!hasDemo) q.set('model', '../tiny/model/');
  return q.toString();
}

let browser: Browser;
let server: { url: string; close(): Promise<void> };
const s = suite('examples/browser in chromium');
s.before(async () => {
  server = await serve({ root, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
  if (!hasDemo) console.log('  models/demo is missing: the page runs examples/tiny/model instead');
});
s.after(async () => { await browser?.close(); await server?.close(); });

async function open(q: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // a quiet page: nothing it asks for is missing (favicon, optional model files)
  page.on('response', (r) => { if (r.status() === 404) errors.push(`404 ${r.url()}`); });
  await page.goto(`${server.url}examples/browser/?${q}`);
  return { page, errors };
}

for (const be of backendNames()) {
  s(`the demo's quick setting runs in the page [${be}]`, async () => {
    const t0 = Date.now();
    const { page, errors } = await open(query(be));
    try {
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 170_000, polling: 500 });
      const status = await page.textContent('#status');
      const result = JSON.parse((await page.textContent('#result'))!);
      const shot = path.join(shots, `browser-${be}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`  [${be}] ${((Date.now() - t0) / 1000).toFixed(1)} s in the browser — ${status}\n  screenshot: ${shot}`);
      assert.ok(result.ok, `the page failed: ${result.error} ${errors.join(' | ')}`);
      assert.is(await page.evaluate(() => document.body.dataset.state), 'done');
      assert.is(result.backend.kind, be);
      assert.ok(result.crossOriginIsolated, 'COOP/COEP from serve.mjs make the page cross-origin isolated');
      if (be === 'wasm') assert.match(result.backend.description, /shared memory/, 'wasm threads on shared memory');
      if (be === 'webgpu') assert.match(result.backend.description, /swiftshader/i);
      const n = ITERATIONS[be];
      assert.is(result.iterations.length, n);
      for (const it of result.iterations) {
        assert.ok(it.winRate >= 0 && it.winRate <= 1, `win rate ${it.winRate}`);
        assert.ok(it.ci95[0] <= it.winRate + 1e-12 && it.winRate <= it.ci95[1] + 1e-12, 'the CI holds the win rate');
        assert.ok(Number.isFinite(it.finalLoss) && it.steps > 0);
        if (hasDemo) assert.ok(it.accuracy >= 0 && it.accuracy <= 1, `accuracy ${it.accuracy} on the arithmetic prompts`);
      }
      if (hasDemo) assert.ok(result.baseAccuracy >= 0 && result.baseAccuracy <= 1, `base accuracy ${result.baseAccuracy}`);
      console.log(`  [${be}] win rate by iteration ${result.iterations.map((it: any) => it.winRate.toFixed(3)).join(', ')}; accuracy ${result.baseAccuracy} → ${result.iterations.map((it: any) => it.accuracy).join(', ')}`);
      const steps = result.iterations.reduce((a: number, it: any) => a + it.steps, 0);
      assert.is(result.losses.length, steps, 'one loss point per optimizer step');
      assert.ok(result.losses.every(Number.isFinite));
      // what the page shows: both charts drawn, the before/after table filled
      assert.ok(await page.locator('#chart-win circle').count() >= n + 1, 'win-rate chart has the base and every iteration');
      assert.ok(await page.locator('#chart-loss polyline').count() === 1 || steps === 1, 'loss chart drawn');
      // legends are colour-keyed: a swatch per series, in a colour the chart's data uses
      for (const id of ['#chart-win', '#chart-loss']) {
        const legend = await page.locator(`${id} g.legend`).evaluateAll((gs) => gs.map((g) => g.querySelector('rect.swatch')?.getAttribute('fill') ?? null));
        const used = new Set(await page.locator(`${id} polyline, ${id} circle`).evaluateAll((es) => es.map((e) => e.getAttribute('stroke') ?? e.getAttribute('fill'))));
        assert.ok(legend.length >= 1, `${id}: a legend`);
        // (a one-step loss chart draws no line to match)
        for (const c of legend) assert.ok(c && (used.has(c) || (id === '#chart-loss' && steps === 1)), `${id}: legend swatch ${c} matches a series`);
      }
      const rows = await page.locator('#pairs tbody tr').count();
      assert.ok(rows >= 1, 'before/after table');
      const cells = await page.locator('#pairs tbody tr').first().locator('td').allTextContents();
      assert.is(cells.length, 4);
      assert.ok(Number(cells[3]) >= 0 && Number(cells[3]) <= 1, `P(aligned ≻ base) ${cells[3]}`);
      // the aligned model downloads as safetensors that parse, with finite weights
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      assert.is(dl.suggestedFilename(), 'model.safetensors');
      const file = path.join(shots, `model-${be}.safetensors`);
      await dl.saveAs(file);
      const st = new SafetensorsBuffer(new Uint8Array(fs.readFileSync(file)));
      assert.is(fs.statSync(file).size, result.modelBytes);
      assert.ok(st.names().length > 0 && st.names().every((n) => st.readFloat32(n).every(Number.isFinite)));
      fs.rmSync(file); // the screenshot stays
      assert.equal(errors, [], 'no page errors');
      if (be === 'wasm' && hasDemo) {
        // the same numbers as `sppo demo --quick` in Node: same model, settings, seed and kernels
        const out = path.join(shots, 'cli-demo');
        const r = spawnSync(process.execPath, [path.join(root, 'bin/sppo.mjs'), 'demo', '--quick', '--backend', 'wasm', '--iterations', String(n), '--json', '--out', out],
          { encoding: 'utf8', timeout: 120_000 });
        assert.is(r.status, 0, r.stderr);
        fs.rmSync(out, { recursive: true, force: true });
        const cli = JSON.parse(r.stdout);
        cli.iterations.forEach((c: any, i: number) => {
          const p = result.iterations[i];
          assert.ok(Math.abs(c.eval.winRate - p.winRate) < 1e-9, `iteration ${i + 1}: page win rate ${p.winRate}, CLI ${c.eval.winRate}`);
          assert.ok(Math.abs(c.finalLoss - p.finalLoss) <= 1e-6 * Math.max(1, Math.abs(c.finalLoss)), `iteration ${i + 1}: page loss ${p.finalLoss}, CLI ${c.finalLoss}`);
          assert.is(p.accuracy, cli.rows[i + 1].accuracy, `iteration ${i + 1} accuracy`);
        });
        assert.is(result.baseAccuracy, cli.rows[0].accuracy, 'base accuracy');
        console.log('  [wasm] the page\'s numbers equal `sppo demo --quick --backend wasm --json`');
      }
    } finally { await page.close(); }
  });
}

s('the OPFS run store: text and bytes, exists, list, remove, atomic replace', async () => {
  const { page } = await open('');
  try {
    const got = await page.evaluate(async () => {
      const { opfsStore } = await import('/dist/browser/index.js' as string);
      const st = await opfsStore('sppo-test/run-' + Math.random().toString(36).slice(2));
      await st.writeText('iter-1/gen/unit-0000.json', '[1]');
      await st.writeText('iter-1/gen/unit-0000.json', '[1,2]');
      await st.writeBytes('iter-1/model/model.safetensors', new Uint8Array([1, 2, 3, 250]));
      const out = {
        where: st.where,
        text: await st.readText('iter-1/gen/unit-0000.json'),
        bytes: Array.from(await st.readBytes('iter-1/model/model.safetensors')),
        existsFile: await st.exists('iter-1/gen/unit-0000.json'), existsDir: await st.exists('iter-1/gen'), existsNot: await st.exists('iter-2'),
        list: await st.list('iter-1'), listNone: await st.list('nope'),
        missing: await st.readText('nope.json').then(() => 'no error', (e: Error) => e.message),
      };
      await st.remove('iter-1/gen');
      return { ...out, afterRemove: await st.list('iter-1'), goneFile: await st.exists('iter-1/gen/unit-0000.json') };
    });
    assert.match(got.where, /^opfs:sppo-test\/run-/);
    assert.is(got.text, '[1,2]');
    assert.equal(got.bytes, [1, 2, 3, 250]);
    assert.equal([got.existsFile, got.existsDir, got.existsNot], [true, true, false]);
    assert.equal(got.list, ['gen', 'model']);
    assert.equal(got.listNone, []);
    assert.match(got.missing, /nope\.json does not exist/);
    assert.equal(got.afterRemove, ['model']);
    assert.is(got.goneFile, false);
  } finally { await page.close(); }
});

s('one writer per OPFS run: a second tab stops at once naming the holder; the lock goes with release()', async () => {
  const ctx = await browser.newContext(); // one origin's storage and locks, two tabs
  try {
    const [a, b] = [await ctx.newPage(), await ctx.newPage()];
    for (const p of [a, b]) await p.goto(`${server.url}examples/browser/`);
    const dir = 'sppo-test/locked-' + Math.random().toString(36).slice(2);
    const take = (p: Page) => p.evaluate(async (d) => {
      const { opfsStore } = await import('/dist/browser/index.js' as string);
      const st = await opfsStore(d);
      try { (globalThis as any).__lock = await st.lock(); return 'took'; } catch (e) { return (e as Error).message; }
    }, dir);
    assert.is(await take(a), 'took');
    const refused = await take(b);
    assert.match(refused, `opfs:${dir} is in use by another sppo run (a run started `);
    assert.match(refused, 'One run directory takes one writer');
    await a.evaluate(async () => { await (globalThis as any).__lock.release(); });
    assert.is(await take(b), 'took', 'released: the second tab takes it');
  } finally { await ctx.close(); }
});

s.run();
