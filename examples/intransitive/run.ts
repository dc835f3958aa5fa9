// Runs the intransitive-preference experiment and writes results.json, table.md and
// chart.html (SVG) into examples/intransitive/results/ (or --out DIR).
//   node --import tsx examples/intransitive/run.ts [--iterations 30] [--backend wasm] [--out DIR]
//     [--magnet 0.15] [--magnet-every 10] [--methods sppo,sppo_all,dpo,ipo,magnetic] [--json]
// --json prints {"methods": {NAME: {"last": [e_1..e_T], "average": [e_1..e_T]}}} on stdout
// (exploitability of the last iterate and of the average of the iterates, per iteration).
import fs from 'node:fs';
import path from 'node:path';
import { createBackend, type BackendKind } from '../../src/kernels/index.js';
import { lineChart } from '../../src/sppo/report.js';
import { exploitability, nashEquilibrium, runExperiment, STRENGTHS, type Method, type Row } from './experiment.js';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const iterations = Number(arg('iterations', '30'));
const json = process.argv.includes('--json');
// magnetic SPPO's magnet α and refresh period M: chosen on seeds 1–3 by examples/intransitive/scan.ts
const magnet = Number(arg('magnet', '0.15')), magnetEvery = Number(arg('magnet-every', '10'));
const ALL: Record<string, Method> = {
  sppo: { name: 'SPPO', loss: 'sppo' }, sppo_all: { name: 'SPPO (all K)', loss: 'sppo_all' }, dpo: { name: 'DPO', loss: 'dpo' }, ipo: { name: 'IPO', loss: 'ipo' },
  magnetic: { name: `Magnetic SPPO (α = ${magnet}, M = ${magnetEvery})`, loss: 'sppo', magnet, magnetEvery },
};
const methodKeys = arg('methods', 'sppo,sppo_all,dpo,ipo,magnetic').split(',');
for (const k of methodKeys) if (!ALL[k]) { console.error(`--methods: unknown method "${k}" (use ${Object.keys(ALL).join(', ')})`); process.exit(2); }
const out = arg('out', path.join(path.dirname(new URL(import.meta.url).pathname), 'results'));
const be = await createBackend(arg('backend', 'wasm') as BackendKind);
const ne = nashEquilibrium();
const opts = { iterations, prompts: 32, k: 4, epochs: 20, lr: 0.02, eta: 2, beta: 0.5, seed: Number(arg('seed', '1')) };
console.error(`equilibrium (r, p, s) = (${ne.map((x) => x.toFixed(4)).join(', ')}); exploitability there ${exploitability(ne).toExponential(1)}`);
const rows: Row[] = await runExperiment({
  be, ...opts,
  methods: methodKeys.map((k) => ALL[k]),
  onRow: (r) => console.error(`${r.method.padEnd(13)} it ${String(r.iteration).padStart(2)}  π = (${r.pi.map((x) => x.toFixed(3)).join(', ')})  exploit last ${r.exploitLast.toFixed(4)}  avg ${r.exploitAvg.toFixed(4)}`),
});
fs.mkdirSync(out, { recursive: true });
const methods = [...new Set(rows.map((r) => r.method))];
const perMethod = Object.fromEntries(methods.map((m) => {
  const rs = rows.filter((r) => r.method === m);
  return [m, { last: rs.map((r) => r.exploitLast), average: rs.map((r) => r.exploitAvg) }];
}));
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ strengths: STRENGTHS, equilibrium: ne, options: { ...opts, magnet, magnetEvery }, methods: perMethod, rows }, null, 1));
const pick = [1, 2, 5, 10, 20, 30].filter((t) => t <= iterations);
let md = `Exploitability max_y P(y ≻ π) − ½ of the last iterate / of the average of the iterates (0 = Nash equilibrium ${ne.map((x) => x.toFixed(3)).join(', ')}):\n\n`;
md += `| method | ${pick.map((t) => `it ${t}`).join(' | ')} | final π (r, p, s) | L1 to NE (avg) |\n|---|${pick.map(() => '---').join('|')}|---|---|\n`;
for (const m of methods) {
  const rs = rows.filter((r) => r.method === m);
  const last = rs[rs.length - 1];
  md += `| ${m} | ${pick.map((t) => { const r = rs[t - 1]; return `${r.exploitLast.toFixed(3)} / ${r.exploitAvg.toFixed(3)}`; }).join(' | ')} | ${last.pi.map((x) => x.toFixed(2)).join(', ')} | ${last.distAvg.toFixed(3)} |\n`;
}
fs.writeFileSync(path.join(out, 'table.md'), md);
const colors = ['#1f77b4', '#17becf', '#d62728', '#ff7f0e'];
const chart = (key: 'exploitLast' | 'exploitAvg', title: string) => lineChart(title, 'iteration', 'exploitability', methods.map((m, i) => ({ name: m, color: colors[i % colors.length], points: rows.filter((r) => r.method === m).map((r) => [r.iteration, r[key]] as [number, number]) })), { yMin: 0, refLine: 0 });
fs.writeFileSync(path.join(out, 'chart.html'), `<!doctype html><meta charset="utf-8"><title>Intransitive preferences: SPPO, magnetic SPPO vs iterative DPO/IPO</title><body style="font-family:sans-serif"><h1>Cyclic preferences (strengths ${STRENGTHS.join(', ')})</h1><p>Nash equilibrium (r, p, s) = (${ne.map((x) => x.toFixed(3)).join(', ')})</p>${chart('exploitAvg', 'Average of the iterates')}${chart('exploitLast', 'Last iterate')}<pre>${md}</pre></body>`);
process.stdout.write(json ? JSON.stringify({ methods: perMethod }) + '\n' : md);
be.destroy();
process.exit(0);
