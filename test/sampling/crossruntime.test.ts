// One seed, the same tokens everywhere: the fixed scenario of probe.ts must give bit-identical
// tokens and log-probabilities in Node, in Deno (npm `deno`, run on the TypeScript sources)
// and in headless Chromium (esbuild bundle, system /usr/bin/chromium via playwright-core).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './probe.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const CHROMIUM = process.env.SPPO_CHROMIUM ?? '/usr/bin/chromium';

type Out = Awaited<ReturnType<typeof run>>;
const node: Out = await run();

function same(got: Out, where: string): void {
  assert.is(got.tokens.length, node.tokens.length, `${where}: number of draws`);
  for (let i = 0; i < node.tokens.length; i++) {
    assert.is(got.tokens[i], node.tokens[i], `${where}: draw ${i}: token ${got.tokens[i]}, Node drew ${node.tokens[i]}`);
    assert.is(got.logprobs[i], node.logprobs[i], `${where}: draw ${i}: logprob`);
    assert.is(got.rawLogprobs[i], node.rawLogprobs[i], `${where}: draw ${i}: raw logprob`);
  }
}

test('the scenario is not degenerate', () => {
  assert.ok(new Set(node.tokens).size > 100, `only ${new Set(node.tokens).size} distinct tokens in ${node.tokens.length} draws`);
});

test('Deno gives the same tokens as Node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-deno-'));
  try {
    const main = path.join(dir, 'main.ts');
    fs.writeFileSync(main, `import { run } from ${JSON.stringify(path.join(here, 'probe.ts'))};\nconsole.log(JSON.stringify(await run()));\n`);
    const denoBin = path.join(root, 'node_modules/.bin/deno');
    const out = execFileSync(denoBin, ['run', '--quiet', '--sloppy-imports', '--no-config', '--no-lock', main], {
      encoding: 'utf8', env: { ...process.env, DENO_DIR: path.join(dir, 'cache'), NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 1 << 26,
    });
    same(JSON.parse(out), 'Deno');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('Chromium gives the same tokens as Node', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set SPPO_CHROMIUM`);
  const esbuild = await import('esbuild');
  const bundle = await esbuild.build({
    stdin: { contents: `import { run } from './probe.ts'; globalThis.__probe = run();`, resolveDir: here, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'error',
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const got = await page.evaluate(() => (globalThis as unknown as { __probe: Promise<Out> }).__probe);
    same(got, 'Chromium');
  } finally { await browser.close(); }
});

test.run();
