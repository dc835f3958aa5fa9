// What every bench returns and how it is printed: one JSON document (--json) or a table.
//   { "bench": "<what>", "adapter": {...}, "results": [{ "op", "shape", "impl", <metrics> }],
//     "ratios": { "<a>_vs_<b>": { "<shape>": a/b } }, "notes": [...] }
// Logs go to stderr; in --json mode stdout carries the document alone.

export interface BenchResult {
  op: string;
  shape: string;
  impl: string;
  gflops?: number;
  /** ms per call (mean over the timed reps) */
  ms?: number;
  reps?: number;
  /** kernel variant that ran, where the impl chooses one */
  variant?: string;
  /** why there is no number (the op is missing, the impl failed) */
  note?: string;
  [metric: string]: unknown;
}

export interface BenchReport {
  bench: string;
  adapter?: Record<string, unknown>;
  results: BenchResult[];
  ratios: Record<string, Record<string, number>>;
  notes?: string[];
  [extra: string]: unknown;
}

export interface BenchArgs {
  json: boolean;
  quick: boolean;
  /** every argument after <what>, for the bench's own flags */
  argv: string[];
  log: (...a: unknown[]) => void;
}

/** `--name=value` or `--name value`; undefined when absent */
export function flag(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[i + 1] : '';
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

export const has = (argv: string[], name: string) => argv.includes(`--${name}`);

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));

/** ratio group a_vs_b over the shapes of `op` where both impls have `metric` */
/** median of the finite values (NaN when there are none) */
export function median(xs: number[]): number {
  const v = xs.filter(Number.isFinite).sort((p, q) => p - q);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

export function ratio(results: BenchResult[], op: string, a: string, b: string, metric: 'gflops' | 'ms', higherIsBetter = true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ra of results) {
    if (ra.op !== op || ra.impl !== a || typeof ra[metric] !== 'number') continue;
    const rb = results.find((r) => r.op === op && r.shape === ra.shape && r.impl === b && typeof r[metric] === 'number');
    if (!rb) continue;
    const x = ra[metric] as number, y = rb[metric] as number;
    out[ra.shape] = round(higherIsBetter ? x / y : y / x);
  }
  return out;
}

/** A table per op: a row per shape, a column per impl, cells from `cell`. */
export function printTables(report: BenchReport, cell: (r: BenchResult) => string, write: (s: string) => void = (s) => process.stdout.write(s)): void {
  const ops = [...new Set(report.results.map((r) => r.op))];
  if (report.adapter) write(`adapter: ${JSON.stringify(report.adapter)}\n`);
  for (const op of ops) {
    const rows = report.results.filter((r) => r.op === op);
    const shapes = [...new Set(rows.map((r) => r.shape))];
    const impls = [...new Set(rows.map((r) => r.impl))];
    const table: string[][] = [[op, ...impls]];
    for (const s of shapes) {
      table.push([s, ...impls.map((i) => { const r = rows.find((x) => x.shape === s && x.impl === i); return r ? cell(r) : '—'; })]);
    }
    const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
    write('\n');
    table.forEach((row, i) => {
      write(row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ') + '\n');
      if (i === 0) write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
    });
  }
  for (const [group, byShape] of Object.entries(report.ratios)) {
    const entries = Object.entries(byShape);
    if (entries.length) write(`\n${group}: ${entries.map(([s, v]) => `${s} ${v}×`).join(', ')}\n`);
  }
  const notes = [...(report.notes ?? []), ...report.results.filter((r) => r.note).map((r) => `${r.op} ${r.shape} ${r.impl}: ${r.note}`)];
  if (notes.length) write(`\nnotes:\n${[...new Set(notes)].map((n) => `  - ${n}`).join('\n')}\n`);
}

export { round };
