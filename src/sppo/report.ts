// report.html: a self-contained page (no scripts, no external assets: it opens anywhere) that
// tells what the terminal tells —
//   the summary table (lengths in tokens and in characters, named), then charts: win rate
//   against the base per iteration (95% interval), each task metric the evaluation judge
//   reports (e.g. accuracy for builtin:arith: π_t against the base model, dashed), the training
//   loss (divided by η² for the SPPO losses: comparable across η), the log-ratios of chosen and
//   rejected responses, response lengths (tokens) — and, per iteration, a table of sampled
//   evaluation answers before (the base model) and after.
// Charts come from chart.ts: round ticks, colour-keyed legends below the plot.
import type { SPPOConfig } from './config.js';
import { judgeSpecName } from '../judge/value.js';
import type { IterationSummary, StepMetrics } from './coordinator.js';
import type { EvalStats } from './winrate.js';
import { lineChart, type Series } from './chart.js';

export { lineChart, niceTicks, type Series } from './chart.js';

/** an iteration's eval.json */
export interface EvalFile {
  stats: EvalStats;
  samples: { prompt: string; response: string; baseline: string; p: number }[];
  /** numeric task metrics from the evaluation judge (Judge.metrics), of π_t's answers and the base's */
  metrics?: { model: Record<string, number>; base: Record<string, number> };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const chars = (s: string) => [...s].length;
const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
/** rows of the before/after table per iteration */
const SHOWN = 5;

export function renderReport(cfg: SPPOConfig, its: IterationSummary[], metrics: StepMetrics[], evals: (EvalFile | null | undefined)[] = []): string {
  const withEval = its.filter((s) => s.eval);
  const evalOf = (t: number) => evals[t - 1] ?? null;
  const charts: string[] = [];
  charts.push(lineChart('Win rate against the base model', 'iteration', 'P(π_t ≻ base)', [
    { name: 'win rate (95% CI)', color: COLORS[0], points: withEval.map((s) => [s.iteration, s.eval!.winRate]), whiskers: withEval.map((s) => s.eval!.ci95) },
    { name: 'length-controlled', color: COLORS[1], points: withEval.map((s) => [s.iteration, s.eval!.lcWinRate]) },
  ], { yMin: 0, yMax: 1, refLine: 0.5 }));

  // task metrics the evaluation judge reports (accuracy for builtin:arith, any other number)
  const names = [...new Set(its.flatMap((s) => Object.keys(evalOf(s.iteration)?.metrics?.model ?? {})))].sort();
  for (const name of names) {
    const rows = its.map((s) => evalOf(s.iteration)?.metrics).map((m, i) => [its[i].iteration, m] as const).filter(([, m]) => m && Number.isFinite(m.model[name]));
    const fraction = rows.every(([, m]) => m!.model[name] >= 0 && m!.model[name] <= 1 && (m!.base[name] ?? 0) >= 0 && (m!.base[name] ?? 0) <= 1);
    const base = rows.find(([, m]) => Number.isFinite(m!.base[name]))?.[1]!.base[name];
    const series: Series[] = [{ name: `π_t (${judgeSpecName(cfg.evalJudge || cfg.judge)})`, color: COLORS[2], points: rows.map(([t, m]) => [t, m!.model[name]]) }];
    if (base !== undefined) series.push({ name: 'base model', color: '#777', dashed: true, points: rows.map(([t]) => [t, base]) });
    charts.push(lineChart(`${name[0].toUpperCase()}${name.slice(1)} on the evaluation prompts`, 'iteration', fraction ? `${name} (fraction)` : name, series, fraction ? { yMin: 0, yMax: 1 } : {}));
  }

  const scaled = metrics.length > 0 && metrics.every((m) => typeof m.lossScaled === 'number');
  charts.push(lineChart(`Training loss (${cfg.loss})`, 'optimizer step (all iterations)', scaled ? 'loss / η² (scale-free)' : 'loss', [
    { name: scaled ? `loss / η² (η = ${cfg.eta})` : 'loss', color: COLORS[3], points: metrics.map((m, i) => [i + 1, scaled ? m.lossScaled! : m.loss]) },
  ]));
  // each series keeps its step number: chosen and rejected share the x axis
  const ratioPoints = (f: (m: StepMetrics) => number | null): [number, number][] => metrics.map((m, i) => [i + 1, f(m)] as [number, number | null]).filter((p): p is [number, number] => p[1] !== null);
  charts.push(lineChart('Log-ratio log π_θ(y|x) − log π_t(y|x)', 'optimizer step (all iterations)', 'nats (sum over response tokens)', [
    { name: 'chosen responses', color: COLORS[2], points: ratioPoints((m) => m.chosenLogratio) },
    { name: 'rejected responses', color: COLORS[4], points: ratioPoints((m) => m.rejectedLogratio) },
  ], { refLine: 0 }));
  const baseLen = withEval.length ? withEval[0].eval!.avgBaselineLength : NaN;
  charts.push(lineChart('Mean response length', 'iteration', 'tokens', [
    { name: 'training samples of π_(t−1)', color: COLORS[5], points: its.map((s) => [s.iteration, s.meanResponseLength]) },
    { name: 'evaluation answers of π_t', color: COLORS[0], points: withEval.map((s) => [s.iteration, s.eval!.avgLength]) },
    ...(Number.isFinite(baseLen) ? [{ name: 'base model', color: '#777', dashed: true, points: withEval.map((s) => [s.iteration, baseLen] as [number, number]) }] : []),
  ]));

  const metricCols = names.map((n) => `<th>${esc(n)}</th>`).join('');
  const rows = its.map((s) => {
    const ev = evalOf(s.iteration);
    const evChars = ev ? fmt(mean(ev.samples.map((x) => chars(x.response))), 1) : '–';
    const mcells = names.map((n) => `<td>${fmt(ev?.metrics?.model[n])}</td>`).join('');
    return `<tr><td>${s.iteration}</td><td>${s.prompts}</td><td>${fmt(s.meanResponseLength, 1)}</td><td>${s.eval ? fmt(s.eval.avgLength, 1) : '–'}</td><td>${evChars}</td>` +
      `<td>${fmt(s.meanWinrateChosen)}</td><td>${fmt(s.meanWinrateRejected)}</td><td>${fmt(s.finalLoss, 4)}</td><td>${s.finalLossScaled == null ? '–' : s.finalLossScaled.toPrecision(3)}</td>` +
      `<td>${s.eval ? `${fmt(s.eval.winRate)} [${fmt(s.eval.ci95[0])}, ${fmt(s.eval.ci95[1])}]` : '–'}</td><td>${s.eval ? fmt(s.eval.lcWinRate) : '–'}</td>${mcells}<td>${fmt(s.seconds, 1)}</td></tr>`;
  }).join('\n');
  const firstEval = evals.find((e) => e);
  const baseRow = firstEval
    ? `<tr><td>base</td><td>–</td><td>–</td><td>${fmt(firstEval.stats.avgBaselineLength, 1)}</td><td>${fmt(mean(firstEval.samples.map((x) => chars(x.baseline))), 1)}</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td>${names.map((n) => `<td>${fmt(firstEval.metrics?.base[n])}</td>`).join('')}<td>–</td></tr>\n`
    : '';

  const answers = its.filter((s) => evalOf(s.iteration)).map((s) => {
    const ev = evalOf(s.iteration)!;
    const trs = ev.samples.slice(0, SHOWN).map((x) => `<tr><td class="t">${esc(x.prompt)}</td><td class="t"><code>${esc(JSON.stringify(x.baseline))}</code></td><td class="t"><code>${esc(JSON.stringify(x.response))}</code></td><td>${fmt(x.p)}</td></tr>`).join('\n');
    return `<table class="answers" data-iteration="${s.iteration}"><caption>iteration ${s.iteration}: the first ${Math.min(SHOWN, ev.samples.length)} of ${ev.samples.length} evaluation prompts</caption>` +
      `<tr><th>prompt</th><th>before (base model)</th><th>after iteration ${s.iteration}</th><th>P(after ≻ before)</th></tr>\n${trs}</table>`;
  }).join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPPO run — ${esc(cfg.out)}</title>
<style>body{font-family:sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td.t{text-align:left}
caption{text-align:left;font-weight:bold;padding:4px 0}.charts{display:flex;flex-wrap:wrap;gap:12px}code{background:#f4f4f4;padding:1px 4px}</style></head>
<body><h1>SPPO run</h1>
<p>model <code>${esc(cfg.model)}</code> · judge <code>${esc(judgeSpecName(cfg.judge))}</code>${cfg.evalJudge ? ` · evaluation judge <code>${esc(judgeSpecName(cfg.evalJudge))}</code>` : ''} · loss <code>${cfg.loss}</code> · η = ${cfg.eta} · K = ${cfg.k} · ${cfg.iterations} iterations · optimizer ${cfg.optimizer} lr ${cfg.lr}</p>
<table class="summary"><tr><th>iteration</th><th>prompts</th><th>mean length of samples (tokens)</th><th>eval mean length (tokens)</th><th>eval mean length (characters)</th><th>P̂ chosen</th><th>P̂ rejected</th><th>final loss</th><th>final loss / η²</th><th>win rate vs base [95% CI]</th><th>LC win rate</th>${metricCols}<th>seconds</th></tr>
${baseRow}${rows}</table>
<div class="charts">${charts.join('')}</div>
<h2>Answers before and after</h2>
${answers || '<p>No evaluation in this run (evalSize = 0).</p>'}
<p>Length-controlled win rate: a logistic fit of the per-prompt win probability on tanh(length difference in tokens / its s.d.); reported at zero length difference.</p>
</body></html>
`;
}
