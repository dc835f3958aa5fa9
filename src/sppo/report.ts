// report.html: a self-contained page with SVG charts — win rate against the base per
// iteration (with its 95% interval), the training loss per step, response lengths — and the
// summary table. No scripts, no external assets: it opens anywhere.
import type { SPPOConfig } from './config.js';
import { judgeSpecName } from '../judge/value.js';
import type { IterationSummary, StepMetrics } from './coordinator.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

export interface Series { name: string; color: string; points: [number, number][]; whiskers?: [number, number][] }

/** A line chart as an SVG string. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], o: { yMin?: number; yMax?: number; refLine?: number } = {}): string {
  const W = 560, H = 300, L = 56, R = 16, T = 32, B = 44;
  const pts = series.flatMap((s) => [...s.points, ...(s.whiskers ?? []).map((w, i) => [s.points[i]?.[0] ?? 0, w[0]] as [number, number]), ...(s.whiskers ?? []).map((w, i) => [s.points[i]?.[0] ?? 0, w[1]] as [number, number])]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (!pts.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="13">${esc(title)}: no data yet</text></svg>`;
  let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = o.yMin ?? Math.min(...pts.map((p) => p[1])), y1 = o.yMax ?? Math.max(...pts.map((p) => p[1]));
  if (o.refLine !== undefined) { y0 = Math.min(y0, o.refLine); y1 = Math.max(y1, o.refLine); }
  if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const ticks = (a: number, b: number, n = 5) => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  for (const y of ticks(y0, y1)) svg += `<line x1="${L}" x2="${W - R}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/><text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${+y.toPrecision(3)}</text>`;
  for (const x of ticks(x0, x1, Math.min(5, Math.max(1, Math.round(x1 - x0))))) svg += `<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${+x.toPrecision(3)}</text>`;
  svg += `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`;
  svg += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`;
  svg += `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  if (o.refLine !== undefined) svg += `<line x1="${L}" x2="${W - R}" y1="${py(o.refLine)}" y2="${py(o.refLine)}" stroke="#999" stroke-dasharray="4 3"/>`;
  series.forEach((s, si) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (ok.length > 1) svg += `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${ok.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`;
    for (const [x, y] of ok) svg += `<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${s.color}"/>`;
    (s.whiskers ?? []).forEach(([lo, hi], i) => {
      const x = s.points[i]?.[0];
      if (x === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) return;
      svg += `<line x1="${px(x)}" x2="${px(x)}" y1="${py(lo)}" y2="${py(hi)}" stroke="${s.color}"/>`;
    });
    svg += `<rect x="${W - R - 150}" y="${T + 4 + si * 16}" width="10" height="10" fill="${s.color}"/><text x="${W - R - 136}" y="${T + 13 + si * 16}">${esc(s.name)}</text>`;
  });
  return svg + '</svg>';
}

export function renderReport(cfg: SPPOConfig, its: IterationSummary[], metrics: StepMetrics[]): string {
  const withEval = its.filter((s) => s.eval);
  const win = lineChart('Win rate against the base model', 'iteration', 'win rate', [
    { name: 'win rate', color: '#1f77b4', points: withEval.map((s) => [s.iteration, s.eval!.winRate]), whiskers: withEval.map((s) => s.eval!.ci95) },
    { name: 'length-controlled', color: '#ff7f0e', points: withEval.map((s) => [s.iteration, s.eval!.lcWinRate]) },
  ], { yMin: 0, yMax: 1, refLine: 0.5 });
  const loss = lineChart(`Training loss (${cfg.loss})`, 'step (all iterations)', 'loss', [
    { name: 'loss', color: '#d62728', points: metrics.map((m, i) => [i + 1, m.loss]) },
  ]);
  const ratio = lineChart('Log-ratio log π_θ/π_t', 'step (all iterations)', 'nats', [
    { name: 'chosen', color: '#2ca02c', points: metrics.filter((m) => m.chosenLogratio !== null).map((m, i) => [i + 1, m.chosenLogratio!]) },
    { name: 'rejected', color: '#9467bd', points: metrics.filter((m) => m.rejectedLogratio !== null).map((m, i) => [i + 1, m.rejectedLogratio!]) },
  ], { refLine: 0 });
  const lens = lineChart('Mean response length', 'iteration', 'tokens', [
    { name: 'samples', color: '#8c564b', points: its.map((s) => [s.iteration, s.meanResponseLength]) },
    { name: 'eval (model)', color: '#1f77b4', points: withEval.map((s) => [s.iteration, s.eval!.avgLength]) },
  ]);
  const rows = its.map((s) => `<tr><td>${s.iteration}</td><td>${s.prompts}</td><td>${fmt(s.meanResponseLength, 1)}</td><td>${fmt(s.meanWinrateChosen)}</td><td>${fmt(s.meanWinrateRejected)}</td><td>${fmt(s.finalLoss, 4)}</td><td>${s.eval ? `${fmt(s.eval.winRate)} [${fmt(s.eval.ci95[0])}, ${fmt(s.eval.ci95[1])}]` : '–'}</td><td>${s.eval ? fmt(s.eval.lcWinRate) : '–'}</td><td>${fmt(s.seconds, 1)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPPO run — ${esc(cfg.out)}</title>
<style>body{font-family:sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:12px}code{background:#f4f4f4;padding:1px 4px}</style></head>
<body><h1>SPPO run</h1>
<p>model <code>${esc(cfg.model)}</code> · judge <code>${esc(judgeSpecName(cfg.judge))}</code> · loss <code>${cfg.loss}</code> · η = ${cfg.eta} · K = ${cfg.k} · ${cfg.iterations} iterations · optimizer ${cfg.optimizer} lr ${cfg.lr}</p>
<table><tr><th>iteration</th><th>prompts</th><th>mean length</th><th>P̂ chosen</th><th>P̂ rejected</th><th>final loss</th><th>win rate vs base [95% CI]</th><th>LC win rate</th><th>seconds</th></tr>
${rows}</table>
<div class="charts">${win}${loss}${ratio}${lens}</div>
<p>Length-controlled win rate: a logistic fit of the per-prompt win probability on tanh(length difference / its s.d.); reported at zero length difference.</p>
</body></html>
`;
}
