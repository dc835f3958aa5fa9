// The tokenizer in Node, Deno (npm `deno`, on the TypeScript sources) and headless Chromium
// (esbuild bundle, system /usr/bin/chromium via playwright-core): the same tokenizer.json gives
// the same ids, decoded text and streamed text everywhere. Deno resolves npm imports (re2js) from
// the package's node_modules (--node-modules-dir=manual, package.json at the root).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './probe.js';
import { ROOT, lenmlDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.SPPO_CHROMIUM ?? '/usr/bin/chromium';
const jsonFile = path.join(lenmlDir('llama2'), 'tokenizer.json');
const configFile = path.join(lenmlDir('llama2'), 'tokenizer_config.json');
const json = fs.readFileSync(jsonFile, 'utf8');
const config = fs.readFileSync(configFile, 'utf8');
type Out = Awaited<ReturnType<typeof run>>;
const node: Out = await run(json, config);

test('Node: the probe is not degenerate', () => {
  assert.ok(node.ids.every((x) => x[0] === 1), 'BOS first');
  assert.ok(node.ids.flat().length > 80);
  node.decoded.forEach((d, i) => assert.is(node.streamed[i], d));
});

test('Deno gives the same ids and text as Node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-tok-deno-'));
  try {
    const main = path.join(dir, 'main.ts');
    fs.writeFileSync(main, `import { run } from ${JSON.stringify(path.join(here, 'probe.ts'))};
const json = await Deno.readTextFile(${JSON.stringify(jsonFile)});
const config = await Deno.readTextFile(${JSON.stringify(configFile)});
console.log(JSON.stringify(await run(json, config)));\n`);
    const out = execFileSync(path.join(ROOT, 'node_modules/.bin/deno'), ['run', '--quiet', '--sloppy-imports', '--node-modules-dir=manual', '--no-lock', '--allow-read', main], {
      encoding: 'utf8', env: { ...process.env, DENO_DIR: path.join(dir, 'cache'), NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 1 << 26,
    });
    assert.equal(JSON.parse(out), node);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('Chromium gives the same ids and text as Node', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set SPPO_CHROMIUM`);
  const esbuild = await import('esbuild');
  const bundle = await esbuild.build({
    stdin: { contents: `import { run } from './probe.ts'; globalThis.__run = run;`, resolveDir: here, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'error',
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const got = await page.evaluate(([j, c]) => (globalThis as unknown as { __run: typeof run }).__run(j, c), [json, config] as const);
    assert.equal(got, node);
  } finally { await browser.close(); }
});

test.run();
