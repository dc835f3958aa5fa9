// SVG line charts for report.html (no scripts, no external assets). Axes carry round tick
// values (steps of 1, 2 or 5 × 10^k, the domain widened to whole steps); the legend is a row of
// colour swatches with names BELOW the plot area, so it never covers data; axis labels name
// their units.
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** [low, high] per point (a 95% interval) */
  whiskers?: [number, number][];
  /** dashed, no dots (a reference such as the base model) */
  dashed?: boolean;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

/** Round ticks covering [lo, hi]: about `n` steps of 1, 2 or 5 × 10^k; returns the ticks (the first and last bound the axis). */
export function niceTicks(lo: number, hi: number, n = 5, integer = false): number[] {
  if (!(hi > lo)) { const c = Number.isFinite(lo) ? lo : 0; lo = c - 0.5; hi = c + 0.5; if (integer) { lo = Math.floor(c - 1); hi = Math.ceil(c + 1); } }
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(Number((i * step).toFixed(digits)));
  return out;
}

/** a tick label: the tick's shortest exact decimal (ticks are already round) */
const label = (v: number) => (Object.is(v, -0) ? '0' : String(v));

export interface ChartOptions { yMin?: number; yMax?: number; refLine?: number; refLabel?: string; integerX?: boolean }

/** A line chart as an SVG string; the chart's data marks carry class "data", legend items class "legend". */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], o: ChartOptions = {}): string {
  const W = 560, L = 60, R = 16, T = 32, PH = 220; // plot height; the legend rows go below the axis label
  // legend layout: items left to right below the axis label, wrapped by their estimated width
  const itemW = (name: string) => 20 + 6.5 * [...name].length + 18;
  const place: { x: number; row: number }[] = [];
  { let x = L, row = 0; for (const sr of series) { const w = itemW(sr.name); if (x > L && x + w > W - R) { x = L; row++; } place.push({ x, row }); x += w; } }
  const legendRows = place.length ? place[place.length - 1].row + 1 : 0;
  const B = 48 + 18 * legendRows;
  const H = T + PH + B;
  const pts = series.flatMap((s) => [...s.points, ...(s.whiskers ?? []).flatMap((w, i) => [[s.points[i]?.[0] ?? NaN, w[0]], [s.points[i]?.[0] ?? NaN, w[1]]] as [number, number][])])
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (!pts.length) return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="13">${esc(title)}: no data yet</text></svg>`;
  let y0 = o.yMin ?? Math.min(...pts.map((p) => p[1])), y1 = o.yMax ?? Math.max(...pts.map((p) => p[1]));
  if (o.refLine !== undefined) { y0 = Math.min(y0, o.refLine); y1 = Math.max(y1, o.refLine); }
  const xt = niceTicks(Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0])), 5, o.integerX ?? true);
  const yt = niceTicks(y0, y1, 5);
  const x0 = xt[0], x1 = xt[xt.length - 1];
  y0 = yt[0]; y1 = yt[yt.length - 1];
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + PH - ((y - y0) / (y1 - y0)) * PH;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  for (const y of yt) svg += `<line x1="${L}" x2="${W - R}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/><text class="tick y" x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${label(y)}</text>`;
  for (const x of xt) svg += `<text class="tick x" x="${px(x)}" y="${T + PH + 16}" text-anchor="middle">${label(x)}</text>`;
  svg += `<line x1="${L}" x2="${W - R}" y1="${T + PH}" y2="${T + PH}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${T + PH}" stroke="#333"/>`;
  svg += `<text x="${(L + W - R) / 2}" y="${T + PH + 34}" text-anchor="middle">${esc(xLabel)}</text>`;
  svg += `<text transform="translate(14 ${T + PH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  if (o.refLine !== undefined) svg += `<line class="ref" x1="${L}" x2="${W - R}" y1="${py(o.refLine)}" y2="${py(o.refLine)}" stroke="#999" stroke-dasharray="4 3"/>`;
  series.forEach((s) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (ok.length > 1) svg += `<polyline class="data" fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${ok.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`;
    if (!s.dashed || ok.length === 1) for (const [x, y] of ok) svg += `<circle class="data" cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`;
    (s.whiskers ?? []).forEach(([lo, hi], i) => {
      const x = s.points[i]?.[0];
      if (x === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) return;
      svg += `<line class="data" x1="${px(x)}" x2="${px(x)}" y1="${py(lo).toFixed(1)}" y2="${py(hi).toFixed(1)}" stroke="${s.color}"/>`;
    });
  });
  // the legend: below the x-axis label, each item a swatch in the series' colour and its name
  series.forEach((sr, i) => {
    const lx = place[i].x, ly = T + PH + 46 + place[i].row * 18;
    const swatch = sr.dashed
      ? `<line class="swatch" x1="${lx}" x2="${lx + 14}" y1="${ly + 5}" y2="${ly + 5}" stroke="${sr.color}" stroke-width="2" stroke-dasharray="4 2"/>`
      : `<rect class="swatch" x="${lx}" y="${ly}" width="14" height="10" fill="${sr.color}"/>`;
    svg += `<g class="legend" data-color="${sr.color}">${swatch}<text x="${lx + 20}" y="${ly + 9}">${esc(sr.name)}</text></g>`;
  });
  return svg + '</svg>';
}
