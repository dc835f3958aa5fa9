// The browser example: SPPO on the user's GPU (or the wasm backend), in a Web Worker.
// The page gathers the inputs (model, prompts, judge, setting), starts the run worker from the
// library's browser bundle, and draws what the worker reports: win rate and loss as SVG charts,
// responses before/after side by side; at the end the aligned model can be downloaded.
// URL parameters (used by the CI test): ?backend=webgpu|wasm|auto &setting=quick|full
// &iterations=N &autostart=1 &model=URL (a model folder) &judge=SPEC &set.KEY=VALUE (any SPPO
// config key, e.g. set.maxPrompts=8).
import {
  startRunWorker, modelFilesFromFileList, demoSettings, DEMO_PROMPTS, DEMO_MODEL, arithAnswer, arithCorrect,
} from '../../dist/browser/index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const pkg = new URL('../../', location.href); // the package folder (serve.mjs serves it)

let worker = null;
let result = null;
const state = { wins: [], losses: [], accuracy: [], baseAccuracy: null, evals: [], backend: null, started: 0 };

function setState(s, text) {
  document.body.dataset.state = s;
  if (text !== undefined) $('status').textContent = text;
}

// ---- environment -------------------------------------------------------------------------
async function describeEnv() {
  const parts = [];
  if (navigator.gpu) {
    try {
      const a = await navigator.gpu.requestAdapter();
      const i = a?.info ?? {};
      parts.push(a ? `WebGPU adapter: ${[i.vendor, i.architecture, i.description].filter(Boolean).join(' / ') || 'unnamed'}` : 'WebGPU: no adapter (the wasm backend will run)');
    } catch (e) { parts.push(`WebGPU: ${e.message}`); }
  } else parts.push('no WebGPU in this browser: the wasm backend will run');
  parts.push(crossOriginIsolated ? `cross-origin isolated: wasm threads (${navigator.hardwareConcurrency} cores)` : 'not cross-origin isolated: wasm runs one thread (serve with serve.mjs)');
  $('env').textContent = parts.join(' · ');
}

// ---- SVG charts --------------------------------------------------------------------------
const W = 420, H = 220, M = { l: 40, r: 12, t: 28, b: 28 }; // the legend sits in the top margin, above the data
function chart(svg, { xs, series, yMin, yMax, xLabel }) {
  const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  const sx = (x) => M.l + ((x - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const sy = (y) => H - M.b - ((y - yMin) / (yMax - yMin || 1)) * (H - M.t - M.b);
  let out = `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#99a"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#99a"/>`;
  for (let k = 0; k <= 4; k++) {
    const y = yMin + ((yMax - yMin) * k) / 4;
    out += `<text x="${M.l - 4}" y="${sy(y) + 4}" text-anchor="end">${+y.toPrecision(3)}</text><line x1="${M.l}" x2="${W - M.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eef"/>`;
  }
  out += `<text x="${(W + M.l) / 2}" y="${H - 6}" text-anchor="middle">${xLabel}</text>`;
  for (const s of series) {
    const pts = s.ys.map((y, i) => [xs[i], y]).filter(([, y]) => Number.isFinite(y));
    if (s.band) for (const [i, [lo, hi]] of s.band.entries()) out += `<line x1="${sx(xs[i])}" x2="${sx(xs[i])}" y1="${sy(lo)}" y2="${sy(hi)}" stroke="${s.color}" stroke-width="6" stroke-opacity="0.25"/>`;
    if (pts.length > 1) out += `<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${pts.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')}"/>`;
    if (s.dots) for (const [x, y] of pts) out += `<circle cx="${sx(x)}" cy="${sy(y)}" r="3.5" fill="${s.color}"/>`;
  }
  // legend: a colour swatch and the name of each series, left to right in the top margin
  let lx = M.l;
  for (const s of series) {
    out += `<g class="legend"><rect class="swatch" x="${lx}" y="6" width="12" height="10" fill="${s.color}"/><text x="${lx + 16}" y="15">${s.name}</text></g>`;
    lx += 16 + 6.5 * s.name.length + 14;
  }
  svg.innerHTML = out;
}

function drawWin() {
  const xs = [0, ...state.wins.map((w) => w.iteration)];
  chart($('chart-win'), {
    xs, yMin: 0, yMax: 1, xLabel: 'iteration (0 = base model)',
    series: [
      { name: 'win rate vs base', color: '#2659c9', dots: true, ys: [0.5, ...state.wins.map((w) => w.winRate)], band: [[0.5, 0.5], ...state.wins.map((w) => w.ci95)] },
      ...(state.baseAccuracy !== null ? [{ name: 'accuracy', color: '#1f8a3b', dots: true, ys: [state.baseAccuracy, ...state.accuracy] }] : []),
    ],
  });
}
function drawLoss() {
  const ys = state.losses.map((l) => l.loss);
  const lo = ys.length ? Math.min(...ys) : 0, hi = ys.length ? Math.max(...ys) : 1;
  chart($('chart-loss'), { xs: state.losses.map((_, i) => i + 1), yMin: Math.min(0, lo), yMax: hi > lo ? hi : lo + 1, xLabel: 'optimizer step (all iterations)', series: [{ name: 'loss', color: '#c2410c', ys }] });
}

// ---- before / after ----------------------------------------------------------------------
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
function correctness(prompt, response) {
  const ans = arithAnswer(prompt);
  return ans === null ? '' : arithCorrect(response, ans) ? 'ok' : 'bad';
}
function drawSamples(iteration, ev) {
  const rows = ev.samples.slice(0, 12).map((s) => `<tr><td>${esc(s.prompt)}</td><td class="${correctness(s.prompt, s.baseline)}">${esc(s.baseline)}</td>` +
    `<td class="${correctness(s.prompt, s.response)}">${esc(s.response)}</td><td>${s.p.toFixed(3)}</td></tr>`);
  $('pairs').tBodies[0].innerHTML = rows.join('');
  $('samples-note').textContent = `(held-out prompts; aligned = after iteration ${iteration})`;
}

/** fraction of answers with the right number, when every prompt is an "A+B=" sum (the demo) */
function accuracyOf(samples, key) {
  const marks = samples.map((s) => { const a = arithAnswer(s.prompt); return a === null ? null : arithCorrect(s[key], a); });
  return marks.some((m) => m === null) ? null : marks.filter(Boolean).length / marks.length;
}

// ---- the run -----------------------------------------------------------------------------
function onEvent(e) {
  const d = e.detail;
  if (e.type === 'backend') {
    state.backend = d;
    $('env').textContent += ` · running on ${d.description}`;
  } else if (e.type === 'progress') {
    setState('running', `iteration ${d.iteration} · ${d.stage} ${d.done}/${d.total} · ${((performance.now() - state.started) / 1000).toFixed(0)} s`);
  } else if (e.type === 'step') {
    state.losses.push(d);
    drawLoss();
  } else if (e.type === 'iteration') {
    const s = d.summary;
    if (d.eval) {
      state.evals[s.iteration - 1] = d.eval;
      state.wins.push({ iteration: s.iteration, winRate: d.eval.stats.winRate, ci95: d.eval.stats.ci95 });
      const acc = accuracyOf(d.eval.samples, 'response');
      if (acc !== null) {
        if (state.baseAccuracy === null) state.baseAccuracy = accuracyOf(d.eval.samples, 'baseline');
        state.accuracy.push(acc);
      }
      drawWin();
      drawSamples(s.iteration, d.eval);
    }
  } else if (e.type === 'log') {
    console.log('[sppo]', d);
  }
}

async function gatherRequest() {
  const setting = params.get('setting') ?? $('setting').value;
  const iterations = Number(params.get('iterations') ?? $('iterations').value);
  const backend = params.get('backend') ?? $('backend').value;
  const config = { ...demoSettings({ quick: setting === 'quick', iterations, backend }), backend };
  for (const [k, v] of params) if (k.startsWith('set.')) config[k.slice(4)] = /^-?[\d.e+-]+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  const models = {};
  const choice = document.querySelector('input[name=model]:checked').value;
  if (choice === 'demo') models[DEMO_MODEL] = new URL('models/demo/', pkg).href;
  else if (choice === 'folder' || choice === 'files') {
    // bring your own model: the files are read into memory here and handed to the run worker as
    // bytes; the worker streams each tensor onto the backend (no second whole-model copy)
    const picked = [...$(choice === 'folder' ? 'folder' : 'model-files').files];
    if (!picked.length) throw new Error(choice === 'folder' ? 'pick a model folder first' : 'pick the model files first (config.json, model.safetensors, tokenizer.json; or a llama2.c model.bin + tokenizer.bin)');
    models[DEMO_MODEL] = await modelFilesFromFileList(picked);
  } else {
    if (!$('model-url').value) throw new Error('give the URL of a model folder');
    models[DEMO_MODEL] = new URL($('model-url').value, location.href).href;
  }
  config.model = DEMO_MODEL;
  const texts = {};
  if ($('prompts-file').files.length) {
    texts.prompts = await $('prompts-file').files[0].text();
    config.prompts = 'prompts';
    config.evalPrompts = '';
  } else {
    const get = async (rel) => { const r = await fetch(new URL(`data/${rel}`, pkg)); if (!r.ok) throw new Error(`cannot fetch data/${rel}: HTTP ${r.status}`); return r.text(); };
    texts.train = await get(DEMO_PROMPTS.train);
    texts.eval = await get(DEMO_PROMPTS.eval);
    config.prompts = 'train';
    config.evalPrompts = 'eval';
  }
  let judge = (params.get('judge') ?? $('judge').value).trim();
  if (/\.m?js$/i.test(judge) && !/^(https?|blob|data):/i.test(judge)) judge = new URL(judge, location.href).href;
  config.judge = judge;
  return { config, models, texts, judge };
}

async function start() {
  $('start').disabled = true;
  $('stop').disabled = false;
  $('save').disabled = true;
  Object.assign(state, { wins: [], losses: [], accuracy: [], baseAccuracy: null, evals: [], backend: null, started: performance.now() });
  setState('running', 'loading the model…');
  try {
    const req = await gatherRequest();
    worker = await startRunWorker();
    result = await worker.run(req, onEvent);
    const summary = {
      ok: true, backend: result.backend, crossOriginIsolated, seconds: result.seconds,
      iterations: result.summaries.map((s, i) => ({ iteration: s.iteration, finalLoss: s.finalLoss, steps: s.steps, winRate: s.eval?.winRate ?? null, ci95: s.eval?.ci95 ?? null, accuracy: state.accuracy[i] ?? null })),
      baseAccuracy: state.baseAccuracy, losses: state.losses.map((l) => l.loss),
      modelFiles: [...result.model.keys()], modelBytes: result.model.get('model.safetensors')?.length ?? 0,
    };
    $('result').textContent = JSON.stringify(summary, null, 1);
    $('save').disabled = false;
    const extra = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'tokenizer.bin'].filter((n) => result.model.has(n));
    $('save-extra').innerHTML = 'and ' + extra.map((n) => `<a href="#" data-file="${n}">${n}</a>`).join(', ');
    setState('done', `done in ${result.seconds.toFixed(1)} s on ${result.backend.description}`);
  } catch (e) {
    console.error(e);
    $('result').textContent = JSON.stringify({ ok: false, error: String(e?.message ?? e) });
    setState('error', `error: ${e?.message ?? e}`);
  } finally {
    await worker?.terminate();
    worker = null;
    $('start').disabled = false;
    $('stop').disabled = true;
  }
}

function download(name) {
  const bytes = result?.model.get(name);
  if (!bytes) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

$('start').addEventListener('click', start);
$('stop').addEventListener('click', async () => { await worker?.abort('stopped by the user'); });
$('save').addEventListener('click', () => download('model.safetensors'));
$('save-extra').addEventListener('click', (e) => { const f = e.target.dataset?.file; if (f) { e.preventDefault(); download(f); } });
for (const k of ['backend', 'setting', 'iterations', 'judge']) if (params.has(k)) $(k).value = params.get(k);
if (params.has('model')) { document.querySelector('input[name=model][value=url]').checked = true; $('model-url').value = params.get('model'); }

drawWin();
drawLoss();
await describeEnv();
if (params.get('autostart') === '1') start();
// picking files selects their option
for (const [id, value] of [['folder', 'folder'], ['model-files', 'files']]) {
  $(id).addEventListener('change', () => { document.querySelector(`input[name=model][value=${value}]`).checked = true; });
}
