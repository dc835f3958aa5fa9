// Benchmark dispatcher: `npm run bench -- <what> [--json] [--quick] [bench flags]` runs
// bench/<what>.ts, whose default export takes BenchArgs and returns a BenchReport (and may
// export printTable(report) for its own table). With --json stdout carries exactly one JSON
// document; everything else (progress, library chatter) goes to stderr. (npm itself prints a
// "> sppo@… bench" banner on stdout: use `npm run -s bench -- <what> --json`, or run
// `node --import tsx bench/run.ts <what> --json`, to get the document alone.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printTables, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs.readdirSync(here).filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f)).map((f) => f.slice(0, -3)).sort();

const [what, ...argv] = process.argv.slice(2);
if (!what || what.startsWith('--')) {
  console.error(`usage: npm run bench -- <what> [--json] [--quick] [...]\n  <what>: ${available.join(', ')}`);
  process.exit(what === '--help' ? 0 : 2);
}
if (!available.includes(what)) {
  console.error(`bench: no bench "${what}" (bench/${what}.ts); available: ${available.join(', ')}`);
  process.exit(2);
}

const json = argv.includes('--json');
const stdoutWrite = process.stdout.write.bind(process.stdout);
// Libraries print to stdout (console.log / console.info); keep stdout for the result alone.
console.log = console.error;
console.info = console.error;
const log = (...a: unknown[]) => console.error('[bench]', ...a);

const mod = await import(pathToFileURL(path.join(here, `${what}.ts`)).href);
const args: BenchArgs = { json, quick: argv.includes('--quick'), argv, log };
const report: BenchReport = await mod.default(args);
let text = '';
if (json) text = JSON.stringify(report) + '\n';
else {
  const write = (s: string) => { text += s; };
  if (typeof mod.printTable === 'function') mod.printTable(report, write);
  else printTables(report, (r: BenchResult) => (r.note ? 'n/a' : typeof r.gflops === 'number' ? r.gflops.toFixed(2) : typeof r.ms === 'number' ? `${r.ms.toFixed(1)} ms` : '?'), write);
}
// dawn.node can keep the event loop alive: leave once the output is written.
stdoutWrite(text, () => process.exit(0));
