// `sppo demo [--quick] [--backend KIND] [--out DIR] [--iterations N] [--json]`: SPPO end to end on
// the embedded model (builtin:demo), its prompt sets and the builtin:arith judge — no download.
// stdout: a table that grows by one row per iteration (win rate against the base model with its
// 95% interval, accuracy, mean length, one prompt's answer before and after); with --json, one
// JSON document instead. stderr: progress bars with ETA, logs. OUT/report.html holds the charts.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { demoConfig, DEMO_JUDGE, DEMO_MODEL, demoModelParams, runDemo, type DemoRow } from '../sppo/demo.js';
import type { ProgressEvent } from '../sppo/coordinator.js';
import { configJSON, resolveConfig } from '../sppo/config.js';
import { BACKEND_HELP, backendFrom, int, progressBar } from './common.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const q = (s: string) => JSON.stringify(s);

function rowLine(r: DemoRow): string {
  const it = r.iteration === 0 ? 'base' : String(r.iteration);
  const win = r.winRate === null ? '–' : r.winRate.toFixed(3);
  const ci = r.ci95 === null ? '–' : `[${r.ci95[0].toFixed(3)}, ${r.ci95[1].toFixed(3)}]`;
  return `${it.padEnd(10)} ${win.padEnd(9)} ${ci.padEnd(16)} ${pct(r.accuracy).padStart(8)} ${`${r.avgLength.toFixed(1)} chars`.padStart(12)}`;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('SPPO end to end on the embedded model, prompts and judge (no download): a table per iteration and report.html')
    .option('--quick', 'a small run of the same path: 128 training prompts, K = 4, 64 evaluation prompts (the full demo: 512, K = 8, 256)')
    .option('--backend <kind>', BACKEND_HELP, 'auto')
    .option('--out <dir>', 'run directory (an earlier demo run there with the same settings resumes; default sppo-demo, with --quick sppo-demo-quick)')
    .option('--iterations <n>', 'SPPO iterations', '3')
    .option('--json', 'print one JSON document on stdout instead of the table')
    .action(async (o: { quick?: boolean; backend: string; out?: string; iterations: string; json?: boolean }) => {
      const iterations = int(o.iterations, '--iterations');
      if (iterations < 1) throw new Error('sppo demo: --iterations must be at least 1');
      // the quick and the full demo have folders of their own: `sppo demo --quick` then `sppo demo` just works
      const out = path.resolve(o.out ?? (o.quick ? 'sppo-demo-quick' : 'sppo-demo'));
      if (fs.existsSync(out) && fs.readdirSync(out).length && !fs.existsSync(path.join(out, 'config.json'))) {
        throw new Error(`sppo demo: ${out} is not empty and holds no sppo run: pass --out with a new directory`);
      }
      const opts = { out, quick: !!o.quick, backend: o.backend as 'auto', iterations };
      const cfg = resolveConfig(demoConfig(opts) as Record<string, unknown>, 'demo');
      const old = path.join(out, 'config.json');
      if (fs.existsSync(old) && fs.readFileSync(old, 'utf8') !== configJSON(cfg)) {
        throw new Error(`sppo demo: ${out} holds a run with other settings (another --quick, --iterations or --backend, or not a demo): pass a new --out, or delete ${out} to start over`);
      }
      if (fs.existsSync(old)) process.stderr.write(`sppo demo: continuing the demo run in ${out} (finished iterations are not rerun; delete it to start over)\n`);
      const be = await backendFrom(o.backend);
      const print = (s: string) => { if (!o.json) process.stdout.write(s + '\n'); };
      print(`sppo demo${o.quick ? ' --quick' : ''}: Self-Play Preference Optimization on what the package ships, nothing downloaded`);
      print(`  policy  ${DEMO_MODEL}: ${(demoModelParams() / 1e6).toFixed(2)}M-parameter Llama-style model that \`sppo sft\` taught two-digit sums, then sloppy habits (answers a little off, chatty ones)`);
      print(`  judge   ${DEMO_JUDGE}: a right answer beats a wrong one (P = 0.95); between equals the shorter wins (P = 0.6)`);
      print(`  run     ${iterations} iteration${iterations > 1 ? 's' : ''} × ${cfg.maxPrompts} training prompts × K = ${cfg.k} samples, on ${be.description}`);
      print(`  eval    ${cfg.evalSize} held-out prompts (in neither SFT nor SPPO training), one sample each from π_t and from the base model`);
      print(`  out     ${out}`);
      print('');
      print(`${'iteration'.padEnd(10)} ${'win rate'.padEnd(9)} ${'95% CI'.padEnd(16)} ${'accuracy'.padStart(8)} ${'mean length'.padStart(12)}`);
      const showRow = (r: DemoRow) => {
        print(rowLine(r));
        print(`${''.padEnd(10)} e.g. ${r.sample.prompt}  ${r.iteration === 0 ? q(r.sample.before) : `base ${q(r.sample.before)} → now ${q(r.sample.after)}`}`);
      };
      const bars = new Map<string, { bar: ReturnType<typeof progressBar>; seen: number }>();
      const onProgress = (p: ProgressEvent) => {
        const key = `iter ${p.iteration} ${p.stage}`;
        let b = bars.get(key);
        if (!b) { b = { bar: progressBar(key.padEnd(16), p.total), seen: 0 }; bars.set(key, b); }
        b.bar.tick(p.done - b.seen);
        b.seen = p.done;
        if (p.done >= p.total) b.bar.stop();
      };
      const ac = new AbortController();
      process.once('SIGINT', () => { process.stderr.write(`\nsppo demo: interrupted — run it again with the same --out to continue\n`); ac.abort('SIGINT'); });
      const res = await runDemo(opts, {
        onBase: showRow,
        onRow: (r, sum) => {
          showRow(r);
          if (sum.iteration < iterations) process.stderr.write(`sppo demo: iteration ${sum.iteration}/${iterations} took ${sum.seconds.toFixed(0)} s — about ${Math.round(sum.seconds * (iterations - sum.iteration))} s to go\n`);
        },
        onProgress,
        onLog: (m) => process.stderr.write(`sppo: ${m}\n`),
      }, be, ac.signal);
      const first = res.rows[0], last = res.rows[res.rows.length - 1];
      print('');
      print(`accuracy ${pct(first.accuracy)} → ${pct(last.accuracy)}, mean length ${first.avgLength.toFixed(1)} → ${last.avgLength.toFixed(1)} chars, win rate against the base ${last.winRate?.toFixed(3)} after ${res.summaries.length} iteration${res.summaries.length > 1 ? 's' : ''} (${res.seconds.toFixed(0)} s)`);
      print(`report: ${res.report}`);
      if (o.json) process.stdout.write(JSON.stringify({ out, report: res.report, params: res.params, seconds: res.seconds, rows: res.rows, iterations: res.summaries }, null, 2) + '\n');
      if (o.json) process.stderr.write(`sppo demo: report at ${res.report}\n`); // the table names it otherwise
      process.exit(0);
    });
}
