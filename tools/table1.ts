// A small-scale analogue of the SPPO paper's Table 1 on the embedded demo task: the base
// model, iterative DPO, IPO and SPPO (iterations 1–3 each) evaluated by win rate against the
// base under builtin:arith-strict — a judge NOT used in training (training uses builtin:arith:
// correctness, then brevity) — at equal budgets (same prompts, K, steps, learning rate) and
// 3 seeds (mean ± spread). Every run is an ordinary resumable SPPO run directory under
// --out, so an interrupted table resumes where it stopped. Writes table1.json and table1.md and
// puts the table into README.md between the table1 markers.
//   node --import tsx tools/table1.ts [--out runs/table1] [--seeds 1,2,3] [--size full|small] [--backend wasm]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, type BackendKind } from '../src/kernels/index.js';
import { resolveConfig } from '../src/sppo/config.js';
import { SPPO } from '../src/sppo/coordinator.js';
import { nodeDeps } from '../src/sppo/env/node-deps.js';
import { demoConfig } from '../src/sppo/demo.js';
import type { LossName } from '../src/train/preference.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : d; };
const out = path.resolve(arg('out', path.join(root, 'runs/table1')));
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const size = arg('size', 'full');
const be = await createBackend(arg('backend', 'auto') as BackendKind);
const methods: { name: string; loss: LossName }[] = [{ name: 'DPO', loss: 'dpo' }, { name: 'IPO', loss: 'ipo' }, { name: 'SPPO', loss: 'sppo' }];
// equal budgets: everything but the loss is the demo's setting; β = 0.1 (SPPO: η = 1/β = 10)
const sizeOverrides = size === 'small' ? { maxPrompts: 96, evalSize: 96, generateUnit: 48 } : {};
const EVAL_JUDGE = 'builtin:arith-strict';

type Cell = { winRate: number; lcWinRate: number; avgLength: number };
const results: Record<string, Record<number, Cell[]>> = {};
const t0 = Date.now();
for (const m of methods) {
  results[m.name] = {};
  for (const seed of seeds) {
    const dir = path.join(out, `${m.name.toLowerCase()}-seed${seed}`);
    const cfg = resolveConfig({ ...demoConfig({ out: dir, quick: false, iterations: 3 }), ...sizeOverrides, loss: m.loss, beta: 0.1, seed, evalJudge: EVAL_JUDGE, backend: arg('backend', 'auto') } as Record<string, unknown>, 'table1');
    const sppo = new SPPO(cfg, await nodeDeps(cfg, be));
    sppo.addEventListener('iteration', (e) => {
      const s = (e as CustomEvent).detail;
      console.error(`[table1] ${m.name} seed ${seed} iteration ${s.iteration}: win rate ${s.eval.winRate.toFixed(3)} (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
    });
    const summaries = await sppo.run();
    for (const s of summaries) (results[m.name][s.iteration] ??= []).push({ winRate: s.eval!.winRate, lcWinRate: s.eval!.lcWinRate, avgLength: s.eval!.avgLength });
  }
}

const stat = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
};
const pct = (x: { mean: number; sd: number }) => `${(100 * x.mean).toFixed(1)} ± ${(100 * x.sd).toFixed(1)}`;
let md = `| model | win rate vs base (%) | LC win rate (%) | mean length (chars) |\n|---|---|---|---|\n| base | 50.0 | 50.0 | – |\n`;
for (const m of methods) for (const it of [1, 2, 3]) {
  const cells = results[m.name][it] ?? [];
  if (!cells.length) continue;
  md += `| ${m.name} iter ${it} | ${pct(stat(cells.map((c) => c.winRate)))} | ${pct(stat(cells.map((c) => c.lcWinRate)))} | ${stat(cells.map((c) => c.avgLength)).mean.toFixed(1)} |\n`;
}
const note = `Embedded demo task (two-digit arithmetic, ${size} size), trained with builtin:arith, evaluated against the base model by ${EVAL_JUDGE} (correctness alone: a judge not used in training); mean ± standard deviation over seeds ${seeds.join(', ')}; equal budgets per method. Measured by tools/table1.ts in ${((Date.now() - t0) / 60000).toFixed(0)} min on ${be.description}.`;
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'table1.json'), JSON.stringify({ note, results }, null, 1));
fs.writeFileSync(path.join(out, 'table1.md'), `${note}\n\n${md}`);
const readme = path.join(root, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const a = '<!-- table1:start -->', b = '<!-- table1:end -->';
if (text.includes(a) && text.includes(b)) {
  const next = text.slice(0, text.indexOf(a) + a.length) + `\n${note}\n\n${md}` + text.slice(text.indexOf(b));
  const tmp = readme + '.tmp';
  fs.writeFileSync(tmp, next);
  fs.renameSync(tmp, readme);
  console.error('[table1] README.md updated');
}
process.stdout.write(`${note}\n\n${md}`);
be.destroy();
process.exit(0);
