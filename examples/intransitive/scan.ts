// The grid that chose magnetic SPPO's magnet α and refresh period M for run.ts: for each seed and
// (α, M), the last iterate's exploitability at iterations 10, 20, 30, its worst value over
// iterations 25..T, the first iteration from which it stays ≤ 0.03 through T, and the average's
// exploitability at 30 (plain SPPO, α = 0, first). Same budget as run.ts.
//   node --import tsx examples/intransitive/scan.ts [--alphas 0.15,0.25,0.5,1] [--every 5,10] [--seeds 1,2,3] [--iterations 40]
import { createBackend } from '../../src/kernels/index.js';
import { runExperiment, type Method } from './experiment.js';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const list = (name: string, def: string) => arg(name, def).split(',').map(Number);
const alphas = list('alphas', '0.15,0.25,0.5,1'), every = list('every', '5,10'), seeds = list('seeds', '1,2,3');
const T = Number(arg('iterations', '40'));
const be = await createBackend('wasm');
const methods: Method[] = [{ name: 'SPPO', loss: 'sppo' }, ...alphas.flatMap((a) => every.map((M) => ({ name: `α = ${a}, M = ${M}`, loss: 'sppo' as const, magnet: a, magnetEvery: M })))];
const f = (x: number) => x.toFixed(3);
console.log(`| seed | method | last it 10 | it 20 | it 30 | worst last it 25–${T} | last ≤ 0.03 from it | average it 30 |\n|---|---|---|---|---|---|---|---|`);
for (const seed of seeds) {
  const rows = await runExperiment({ be, iterations: T, prompts: 32, k: 4, epochs: 20, lr: 0.02, eta: 2, beta: 0.5, seed, methods });
  for (const m of methods) {
    const rs = rows.filter((r) => r.method === m.name), last = rs.map((r) => r.exploitLast);
    let from = T;
    while (from > 0 && last[from - 1] <= 0.03) from--;
    console.log(`| ${seed} | ${m.name} | ${f(last[9])} | ${f(last[19])} | ${f(last[29])} | ${f(Math.max(...last.slice(24)))} | ${from === T ? 'never' : from + 1} | ${f(rs[29].exploitAvg)} |`);
  }
}
be.destroy();
process.exit(0);
