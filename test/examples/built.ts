// The example tests run what users run: the bundles in dist/. This makes sure they are there and
// newer than the sources (else it runs the build once), so a test never checks stale bundles.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const OUTPUTS = ['dist/node/index.js', 'dist/node/cli.js', 'dist/node/judge-worker.js', 'dist/node/run-worker.js',
  'dist/browser/index.js', 'dist/browser/run-worker.js', 'dist/browser/judge-worker.js',
  'dist/deno/index.js', 'dist/deno/run-worker.js', 'dist/deno/judge-worker.js',
  'dist/types/index.d.ts', 'dist/types/browser.d.ts', 'dist/types/deno.d.ts'];

/** builds dist/ when a bundle is missing or older than src/, shaders/ or assembly/ */
export function ensureBuilt(): void {
  const src = Math.max(...['src', 'shaders', 'assembly'].map((d) => newest(path.join(root, d))), fs.statSync(path.join(root, 'tools/build.mjs')).mtimeMs);
  // declarations are rewritten only when they change: for them, being there is enough
  const stale = OUTPUTS.filter((f) => !fs.existsSync(path.join(root, f)) || (f.endsWith('.js') && fs.statSync(path.join(root, f)).mtimeMs < src));
  if (!stale.length) return;
  console.log(`  (building: ${stale.length} bundle(s) missing or older than the sources)`);
  execFileSync(process.execPath, [path.join(root, 'tools/build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit', timeout: 300_000 });
}
