// Test runner: runs every test/**/*.test.ts in its own Node process (a crash in one file —
// e.g. a native WebGPU abort — cannot take the others down), echoes its output, reads uvu's
// "Total / Passed / Skipped" block, and prints the closing line `N passed, N failed`.
// Every run first brings src/generated/ and dist/ up to date (tools/build.mjs skips what is
// unchanged by content hash), so a subset never tests stale shaders, wasm or bundles.
//   node --import tsx test/run.ts [filter ...]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runFile(file: string): Promise<{ passed: number; failed: number; skipped: number; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let buf = '';
    child.stdout.on('data', (d: Buffer) => { buf += d.toString(); process.stdout.write(d); });
    child.on('close', (code, signal) => {
      const text = stripAnsi(buf);
      // uvu prints one block per process; a file may hold several suites, all summed in it.
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      const ms = Date.now() - t0;
      if (!Number.isFinite(total) || !Number.isFinite(passed)) {
        console.log(`\n  !! ${path.relative(here, file)} ended without a uvu summary (exit ${code}, signal ${signal}): counted as 1 failure`);
        resolve({ passed: 0, failed: 1, skipped: 0, ms });
        return;
      }
      let failed = total - passed - skipped;
      if (code !== 0 && failed === 0) { console.log(`\n  !! ${path.relative(here, file)} exited ${code}: counted as 1 failure`); failed = 1; }
      resolve({ passed, failed, skipped, ms });
    });
  });
}

const build = spawnSync(process.execPath, [path.join(here, '../tools/build.mjs'), '--quiet'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log(`\nthe build failed (tools/build.mjs exited ${build.status ?? build.signal}): no test ran\n0 passed, 1 failed`);
  process.exit(1);
}

const files = findTests(here).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
let passed = 0, failed = 0, skipped = 0;
const timing: string[] = [];
for (const f of files) {
  console.log(`\n== ${path.relative(here, f)}`);
  const r = await runFile(f);
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  timing.push(`${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.failed ? 'FAIL' : 'ok  '}  ${path.relative(here, f)}`);
}
console.log('\nper file:\n' + timing.join('\n'));
if (skipped) console.log(`\n${skipped} skipped — a skipped check is a defect`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
