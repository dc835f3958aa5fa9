// report.html carries what the terminal shows — a DOM check in Chromium, no screenshots. A
// real 2-iteration run (builtin:demo, builtin:arith, a few arithmetic prompts) writes the report;
// the page then must hold:
//  - an accuracy chart (builtin:arith's Judge.metrics): π_t per iteration and the base model,
//    the values equal to accuracies recomputed here from eval.json by an independent check;
//  - a before/after table per iteration whose rows are eval.json's first samples;
//  - in every chart a legend item per series, each with a colour swatch of a colour its data
//    uses, and no legend box intersecting any data mark or the plot area;
//  - round tick values: equal steps of 1, 2 or 5 × 10^k, each label the exact tick;
//  - units named: tokens and characters in the table headers, tokens on the length chart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser } from 'playwright-core';
import { SPPO } from '../../src/sppo/env/node-sppo.js';
import { niceTicks } from '../../src/sppo/chart.js';

const CHROMIUM = process.env.SPPO_CHROMIUM ?? '/usr/bin/chromium';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-report-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const out = path.join(tmp, 'run');
const ITER = 2;

/** "A+B=" → its answer, written here (not the judge's) */
const answer = (p: string) => { const m = /^(\d+)([+-])(\d+)=$/.exec(p)!; return m[2] === '+' ? +m[1] + +m[3] : +m[1] - +m[3]; };
const right = (p: string, y: string) => { const m = /^\s*(-?\d+)(?![\d]|[.,]\d)/.exec(y); return m !== null && Number(m[1]) === answer(p); };

const s = suite('report.html');
let browser: Browser;
s.before(async () => { browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'], timeout: 60_000 }); });
s.after(async () => { await browser?.close(); });

s('niceTicks: round, covering, 1/2/5 steps', () => {
  for (const [lo, hi] of [[0, 1], [0.0101, 77.6], [9.81, 9.83], [-3.2, 41], [1, 3], [0.5, 0.5], [-1e-4, 2e-4]]) {
    const t = niceTicks(lo, hi);
    assert.ok(t[0] <= lo && t[t.length - 1] >= hi, `[${lo}, ${hi}] covered by ${t}`);
    const step = t[1] - t[0];
    const m = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 5].some((k) => Math.abs(m - k) < 1e-6), `step ${step}`);
    for (const v of t) assert.ok(String(v).replace(/^-?0\.0*|[-.]/g, '').length <= 4, `label ${v} is short`);
  }
});

s('a run\'s report: accuracy chart, before/after tables, keyed legends clear of data, round ticks, units', async () => {
  const prompts = Array.from({ length: 48 }, (_, i) => `${10 + ((i * 37) % 90)}+${10 + ((i * 53) % 89)}=`);
  await new SPPO({ model: 'builtin:demo', prompts: { texts: prompts.slice(0, 32) }, evalPrompts: { texts: prompts.slice(32) }, evalSize: 16, judge: 'builtin:arith',
    iterations: ITER, k: 4, eta: 10, optimizer: 'adamw', lr: 1e-4, maxNewTokens: 24, temperature: 1, topP: 1, out, backend: 'wasm', generateUnit: 16, batchSize: 8 }).run();
  const evals = Array.from({ length: ITER }, (_, t) => JSON.parse(fs.readFileSync(path.join(out, `iter-${t + 1}/eval.json`), 'utf8')));
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.addInitScript('globalThis.__name = (f) => f'); // tsx's keepNames helper, used by the function below
  await page.goto('file://' + path.join(out, 'report.html'));
  const doc = await page.evaluate(() => {
    const box = (e: Element) => { const r = e.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom }; };
    const charts = [...document.querySelectorAll('svg.chart')].map((svg) => ({
      title: svg.querySelector('text')?.textContent ?? '',
      yLabel: [...svg.querySelectorAll('text')].find((t) => t.getAttribute('transform')?.includes('rotate'))?.textContent ?? '',
      xTicks: [...svg.querySelectorAll('text.tick.x')].map((t) => t.textContent ?? ''),
      yTicks: [...svg.querySelectorAll('text.tick.y')].map((t) => t.textContent ?? ''),
      axisBottom: Math.max(...[...svg.querySelectorAll('text.tick.x')].map((t) => box(t).b)),
      data: [...svg.querySelectorAll('.data')].map((e) => ({ box: box(e), color: e.getAttribute('stroke') ?? e.getAttribute('fill'), cy: e.getAttribute('cy') })),
      legends: [...svg.querySelectorAll('g.legend')].map((g) => ({ box: box(g), color: g.getAttribute('data-color'), swatch: g.querySelector('.swatch')?.getAttribute('fill') ?? g.querySelector('.swatch')?.getAttribute('stroke'), text: g.textContent })),
    }));
    const tables = [...document.querySelectorAll('table.answers')].map((t) => ({ iteration: t.getAttribute('data-iteration'), rows: [...t.querySelectorAll('tr')].slice(1).map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent ?? '')) }));
    const headers = [...document.querySelectorAll('table.summary th')].map((h) => h.textContent ?? '');
    return { charts, tables, headers };
  });
  await page.close();

  // accuracy: π_t per iteration and the base, equal to an independent recount
  const acc = doc.charts.find((c) => c.title.startsWith('Accuracy'));
  assert.ok(acc, `an accuracy chart among ${doc.charts.map((c) => c.title).join(' | ')}`);
  assert.is(acc!.yLabel, 'accuracy (fraction)');
  for (let t = 0; t < ITER; t++) {
    const want = evals[t].samples.filter((x: { prompt: string; response: string }) => right(x.prompt, x.response)).length / evals[t].samples.length;
    assert.ok(Math.abs(evals[t].metrics.model.accuracy - want) < 1e-12, `iteration ${t + 1} accuracy ${evals[t].metrics.model.accuracy} = recount ${want}`);
    const base = evals[t].samples.filter((x: { prompt: string; baseline: string }) => right(x.prompt, x.baseline)).length / evals[t].samples.length;
    assert.ok(Math.abs(evals[t].metrics.base.accuracy - base) < 1e-12, 'base accuracy');
  }
  assert.is(acc!.legends.length, 2);
  // before/after: one table per iteration, rows = eval.json's first samples
  assert.is(doc.tables.length, ITER);
  doc.tables.forEach((tb, t) => {
    assert.is(tb.iteration, String(t + 1));
    assert.is(tb.rows.length, 5);
    tb.rows.forEach((r, i) => {
      const x = evals[t].samples[i];
      assert.equal(r.slice(0, 3), [x.prompt, JSON.stringify(x.baseline), JSON.stringify(x.response)]);
    });
  });
  // units named
  assert.ok(doc.headers.some((h) => h.includes('(tokens)')) && doc.headers.some((h) => h.includes('(characters)')), doc.headers.join(' | '));
  assert.is(doc.charts.find((c) => c.title === 'Mean response length')?.yLabel, 'tokens');
  assert.ok(doc.charts.length >= 5);
  const overlap = (a: { l: number; t: number; r: number; b: number }, b: typeof a) => a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
  for (const c of doc.charts) {
    // legends: a swatch in a colour the chart's data uses; never over data or the plot
    assert.ok(c.legends.length >= 1, `${c.title}: a legend`);
    const colors = new Set(c.data.map((d) => d.color));
    for (const g of c.legends) {
      assert.is(g.swatch, g.color, `${c.title}: legend "${g.text}" has a swatch in its colour`);
      assert.ok(colors.has(g.color), `${c.title}: legend colour ${g.color} is used by the data`);
      assert.ok(g.box.t >= c.axisBottom, `${c.title}: legend "${g.text}" sits below the axis`);
      for (const d of c.data) assert.not.ok(overlap(g.box, d.box), `${c.title}: legend "${g.text}" covers data`);
      for (const h of c.legends) if (h !== g) assert.not.ok(overlap(g.box, h.box), `${c.title}: legends "${g.text}" and "${h.text}" overlap`);
    }
    // round ticks
    for (const ticks of [c.xTicks, c.yTicks]) {
      const v = ticks.map(Number);
      assert.ok(v.length >= 2 && v.every(Number.isFinite), `${c.title}: ticks ${ticks}`);
      const step = v[1] - v[0];
      const m = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      assert.ok([1, 2, 5].some((k) => Math.abs(m - k) < 1e-6), `${c.title}: tick step ${step} in ${ticks}`);
      v.forEach((x, i) => assert.ok(Math.abs(x - (v[0] + i * step)) < step * 1e-6, `${c.title}: equal steps in ${ticks}`));
      for (const t of ticks) assert.ok(t.replace(/^-?0\.0*|[-.]/g, '').length <= 4, `${c.title}: tick label ${t} is round`);
    }
  }
});

s.run();
