// Shape checks shared by every backend: each returns the dimensions the kernels need, or
// throws a ShapeError that names the op and the tensor. Backends call these first, so both
// reject the same inputs with the same messages.
import { expectDtype, expectSize, ShapeError, WEIGHT_DTYPES, type AdamWOptions, type RMSpropOptions, type SGDOptions, type AttentionExtras, type AttentionOptions, type CachedAttentionOptions, type DisentangledAttentionOptions, type LogitsChunkOptions, type MatmulOptions, type RopeOptions, type Tensor } from './backend.js';

export function sameSize(op: string, ...ts: [string, Tensor][]): number {
  const n = ts[0][1].size;
  for (const [name, t] of ts) expectSize(op, name, t, n);
  for (const [name, t] of ts) expectDtype(op, name, t, 'f32');
  return n;
}

export function checkMatmul(out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): { batch: number; bStride: number } {
  const { m, n, k } = o;
  for (const [name, v] of [['m', m], ['n', n], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`matmul: ${name}=${v} must be a positive integer`);
  }
  const batch = o.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`matmul: batch=${o.batch} must be a positive integer`);
  if (o.alpha !== undefined && !Number.isFinite(o.alpha)) throw new ShapeError(`matmul: alpha=${o.alpha} must be a finite number`);
  for (const [name, t] of [['out', out], ['a', a], ['bias', o.bias]] as const) if (t) expectDtype('matmul', name, t, 'f32');
  expectDtype('matmul', 'b', b, WEIGHT_DTYPES);
  if (out === a || out === b || out === o.bias) throw new ShapeError('matmul: out is also an input (a, b or bias); write the product into a separate tensor');
  expectSize('matmul', 'a', a, batch * m * k);
  const bStride = o.broadcastB ? 0 : k * n;
  expectSize('matmul', 'b', b, o.broadcastB ? k * n : batch * k * n);
  expectSize('matmul', 'out', out, batch * m * n);
  if (o.bias) expectSize('matmul', 'bias', o.bias, n);
  return { batch, bStride };
}

/** x (N,C) with w (C): returns N, C */
export function checkRows(op: string, x: Tensor, cols: number): { rows: number; cols: number } {
  if (!Number.isInteger(cols) || cols < 1 || x.size % cols !== 0) {
    throw new ShapeError(`${op}: x has ${x.size} elements, not a whole number of rows of ${cols}`);
  }
  return { rows: x.size / cols, cols };
}

export function checkAttention(op: string, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
  const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = o;
  if (KH < 1 || H % KH !== 0) throw new ShapeError(`${op}: heads=${H} is not a multiple of kvHeads=${KH}`);
  expectSize(op, 'q', q, B * T * H * D);
  expectSize(op, 'k', k, B * T * KH * D);
  expectSize(op, 'v', v, B * T * KH * D);
  expectSize(op, 'out', out, B * T * H * D);
  expectSize(op, 'lse', lse, B * H * T);
  if (o.keyMask) { expectSize(op, 'keyMask', o.keyMask, B * T); expectDtype(op, 'keyMask', o.keyMask, 'i32'); }
  attentionExtras(op, o);
}

/** the window (0 = none) and soft cap (0 = none) of an attention call, checked */
export function attentionExtras(op: string, o: AttentionExtras): { window: number; cap: number } {
  const w = o.window, c = o.softcap;
  if (w !== undefined && (!Number.isInteger(w) || w < 1 || w > 2 ** 30)) throw new ShapeError(`${op}: window=${w} must be a positive integer (or left out for full causal attention)`);
  if (c !== undefined && (!Number.isFinite(c) || c <= 0)) throw new ShapeError(`${op}: softcap=${c} must be a positive finite number (or left out for no capping)`);
  return { window: w ?? 0, cap: c ?? 0 };
}

export function checkDisentangled(op: string, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, pos: Tensor, relIdx: Tensor, o: DisentangledAttentionOptions): void {
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = o;
  for (const [name, val] of Object.entries({ batch: B, seq: T, heads: H, headDim: D, relRows: R })) {
    if (!Number.isInteger(val) || val < 1) throw new ShapeError(`${op}: ${name}=${val} must be a positive integer`);
  }
  if (!Number.isFinite(o.scale)) throw new ShapeError(`${op}: scale=${o.scale} must be finite`);
  for (const [name, t] of [['q', q], ['k', k], ['v', v], ['out', out]] as const) { expectSize(op, name, t, B * T * H * D); expectDtype(op, name, t, 'f32'); }
  expectSize(op, 'lse', lse, B * H * T);
  expectSize(op, 'pos', pos, R * 2 * H * D);
  expectDtype(op, 'pos', pos, 'f32');
  expectSize(op, 'relIdx', relIdx, T * T);
  expectDtype(op, 'relIdx', relIdx, 'i32');
  if (o.keyMask) { expectSize(op, 'keyMask', o.keyMask, B * T); expectDtype(op, 'keyMask', o.keyMask, 'i32'); }
}

export function checkRope(out: Tensor, x: Tensor, positions: Tensor, o: RopeOptions): number {
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const rd = o.rotaryDim ?? D;
  if (rd % 2 !== 0 || rd > D || rd < 2) throw new ShapeError(`rope: rotaryDim=${rd} must be even and in [2, headDim=${D}]`);
  expectSize('rope', 'x', x, B * T * H * D);
  expectSize('rope', 'out', out, B * T * H * D);
  expectSize('rope', 'positions', positions, B * T);
  expectDtype('rope', 'positions', positions, 'i32');
  if (o.freqFactors !== undefined) {
    if (!(o.freqFactors instanceof Float32Array) || o.freqFactors.length !== rd / 2) throw new ShapeError(`rope: freqFactors must be a Float32Array of rotaryDim/2 = ${rd / 2} values, got ${o.freqFactors instanceof Float32Array ? o.freqFactors.length : typeof o.freqFactors}`);
    for (const f of o.freqFactors) if (!(f > 0) || !Number.isFinite(f)) throw new ShapeError(`rope: freqFactors must be positive finite numbers, got ${f}`);
  }
  if (o.scale !== undefined && !(Number.isFinite(o.scale) && o.scale > 0)) throw new ShapeError(`rope: scale=${o.scale} must be a positive finite number`);
  return rd;
}

// ---- row-wise ops, norms, logprobs, embeddings, optimizers (shared by both backends) -------

/** throws unless every output is a different tensor from every input (WebGPU cannot bind
 *  one buffer both read-only and writable in a dispatch; the wasm kernels assume it too) */
export function noAlias(op: string, outs: [string, Tensor | null | undefined][], ins: [string, Tensor | null | undefined][]): void {
  const all = [...outs, ...ins];
  for (let i = 0; i < outs.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (outs[i][1] && outs[i][1] === all[j][1]) {
        throw new ShapeError(`${op}: ${outs[i][0]} and ${all[j][0]} are the same tensor; this op does not work in place: pass a separate output tensor`);
      }
    }
  }
}

/** f32 tensors x (N,C) and per-row vectors: returns N, C */
export function checkRowOp(op: string, x: Tensor, cols: number, same: [string, Tensor][], perRow: [string, Tensor][] = []): { rows: number; cols: number } {
  const { rows } = checkRows(op, x, cols);
  expectDtype(op, 'x', x, 'f32');
  for (const [name, t] of same) { expectSize(op, name, t, x.size); expectDtype(op, name, t, 'f32'); }
  for (const [name, t] of perRow) { expectSize(op, name, t, rows); expectDtype(op, name, t, 'f32'); }
  return { rows, cols };
}

/** x (N,C) normalised over C with weight w (C) (and bias, dw, db of C): returns N, C */
export function checkNorm(op: string, x: Tensor, w: Tensor, same: [string, Tensor][], perRow: [string, Tensor][], perCol: [string, Tensor][] = []): { rows: number; cols: number } {
  if (w.size < 1) throw new ShapeError(`${op}: weight w is empty`);
  const r = checkRowOp(op, x, w.size, same, perRow);
  expectDtype(op, 'w', w, 'f32');
  for (const [name, t] of perCol) { expectSize(op, name, t, w.size); expectDtype(op, name, t, 'f32'); }
  return r;
}

export function checkEps(op: string, eps: number): void {
  if (!Number.isFinite(eps) || eps < 0) throw new ShapeError(`${op}: eps=${eps} must be a finite number ≥ 0 (e.g. 1e-5)`);
}

/** logits (N,V), targets (N) i32, per-row f32 tensors: returns N, V */
export function checkLogprobs(op: string, logits: Tensor, targets: Tensor, perRow: [string, Tensor][], same: [string, Tensor][] = []): { rows: number; vocab: number } {
  expectDtype(op, 'targets', targets, 'i32');
  expectDtype(op, 'logits', logits, 'f32');
  const rows = targets.size;
  if (rows === 0 || logits.size % rows !== 0 || logits.size === 0) {
    throw new ShapeError(`${op}: logits has ${logits.size} elements, not a whole number of rows for ${rows} targets: logits must be (N, V) with targets (N)`);
  }
  for (const [name, t] of perRow) { expectSize(op, name, t, rows); expectDtype(op, name, t, 'f32'); }
  for (const [name, t] of same) { expectSize(op, name, t, logits.size); expectDtype(op, name, t, 'f32'); }
  return { rows, vocab: logits.size / rows };
}

/** table (V,C), ids (N) i32, rows (N,C): returns V, C, N. C is taken from the table's last dim. */
export function checkEmbedding(op: string, table: Tensor, ids: Tensor, rows: Tensor, tableName = 'table', rowsName = 'out'): { vocab: number; cols: number; n: number } {
  if (table.shape.length !== 2) throw new ShapeError(`${op}: ${tableName} must be 2-D (V, C), got [${table.shape.join(', ')}]`);
  const [vocab, cols] = table.shape;
  // forward reads a frozen table that may be 16-bit; backward's dtable is a gradient (f32)
  expectDtype(op, tableName, table, op === 'embedding' ? WEIGHT_DTYPES : 'f32');
  expectDtype(op, 'ids', ids, 'i32');
  expectDtype(op, rowsName, rows, 'f32');
  expectSize(op, rowsName, rows, ids.size * cols);
  return { vocab, cols, n: ids.size };
}

/** allowed ranges of optimizer options (torch.optim's checks; betas and alpha below 1) */
const HYPER_RANGES: Record<string, [number, number]> = {
  lr: [0, Infinity], eps: [0, Infinity], weightDecay: [0, Infinity], momentum: [0, Infinity], dampening: [0, 1],
  beta1: [0, 1], beta2: [0, 1], alpha: [0, 1], step: [1, Infinity],
};

/** optimizer tensors and options: f32, same sizes, finite hyper-parameters in range, clip.normSq (1) */
export function checkOptim(op: string, tensors: [string, Tensor | null][], hyper: Record<string, number | undefined>, clip?: { normSq: Tensor; maxNorm: number }): number {
  const n = tensors[0][1]!.size;
  for (const [name, t] of tensors) {
    if (!t) continue;
    expectSize(op, name, t, n);
    expectDtype(op, name, t, 'f32');
  }
  for (const [k, v] of Object.entries(hyper)) {
    if (v !== undefined && !Number.isFinite(v)) throw new ShapeError(`${op}: option ${k}=${v} must be a finite number`);
  }
  for (const [k, v] of Object.entries(hyper)) {
    if (v === undefined) continue;
    const [lo, hi] = HYPER_RANGES[k] ?? [-Infinity, Infinity];
    if (!(v >= lo && (k.startsWith('beta') || k === 'alpha' ? v < hi : v <= hi))) {
      throw new ShapeError(`${op}: option ${k}=${v} is out of range (${lo} ≤ ${k} ${k.startsWith('beta') || k === 'alpha' ? '<' : '≤'} ${hi})`);
    }
  }
  // the checks every optimizer shares, once for both backends
  if (hyper.step !== undefined && (!Number.isInteger(hyper.step) || hyper.step < 1)) {
    throw new ShapeError(`${op}: step=${hyper.step} must be the 1-based step count (an integer ≥ 1)`);
  }
  if ((hyper.momentum ?? 0) > 0 && tensors.some(([name, t]) => name === 'buf' && !t)) {
    throw new ShapeError(`${op}: momentum=${hyper.momentum} needs a momentum buffer: pass buf (same size as param, zero-filled before the first step)`);
  }
  if (hyper.nesterov && ((hyper.momentum ?? 0) <= 0 || (hyper.dampening ?? 0) !== 0)) {
    throw new ShapeError(`${op}: nesterov momentum requires momentum > 0 and dampening = 0 (got momentum=${hyper.momentum}, dampening=${hyper.dampening})`);
  }
  if (clip) {
    expectSize(op, 'clip.normSq', clip.normSq, 1);
    expectDtype(op, 'clip.normSq', clip.normSq, 'f32');
    if (!(clip.maxNorm > 0) || !Number.isFinite(clip.maxNorm)) throw new ShapeError(`${op}: clip.maxNorm=${clip.maxNorm} must be a finite number > 0`);
  }
  return n;
}

/** adamw's tensors and options (both backends): returns the element count */
export function checkAdamW(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): number {
  const n = checkOptim('adamw', [['param', param], ['grad', grad], ['m', m], ['v', v]],
    { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, step: o.step }, o.clip);
  noAlias('adamw', [['param', param], ['m', m], ['v', v]], [['grad', grad], ['clip.normSq', o.clip?.normSq]]);
  return n;
}

/** rmsprop's tensors and options: the element count, momentum (default 0) and the momentum
 *  buffer the step uses (null without momentum) */
export function checkRMSprop(param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): { n: number; momentum: number; buf: Tensor | null } {
  const momentum = o.momentum ?? 0;
  const n = checkOptim('rmsprop', [['param', param], ['grad', grad], ['sq', sq], ['buf', buf]],
    { lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum }, o.clip);
  const useBuf = momentum > 0 ? buf : null;
  noAlias('rmsprop', [['param', param], ['sq', sq], ['buf', useBuf]], [['grad', grad], ['clip.normSq', o.clip?.normSq]]);
  return { n, momentum, buf: useBuf };
}

/** sgd's tensors and options: the element count, dampening (default 0) and the momentum buffer
 *  the step uses (null without momentum) */
export function checkSGD(param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): { n: number; dampening: number; buf: Tensor | null } {
  const dampening = o.dampening ?? 0;
  const n = checkOptim('sgd', [['param', param], ['grad', grad], ['buf', buf]],
    { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, dampening, step: o.step, nesterov: o.nesterov ? 1 : 0 }, o.clip);
  const useBuf = o.momentum > 0 ? buf : null;
  noAlias('sgd', [['param', param], ['buf', useBuf]], [['grad', grad], ['clip.normSq', o.clip?.normSq]]);
  return { n, dampening, buf: useBuf };
}

export function checkPreference(loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, kind: string, beta: number, magnetLogp?: Tensor, magnet?: number): number {
  const R = sameSize('preferenceLoss', ['loss', loss], ['dlogp', dlogp], ['logp', logp], ['refLogp', refLogp], ['target', target], ['weight', weight]);
  if (!['square', 'dpo', 'ipo', 'hinge', 'magnetic'].includes(kind)) throw new ShapeError(`preferenceLoss: unknown kind "${kind}"`);
  if (kind === 'magnetic') {
    if (!magnetLogp) throw new ShapeError('preferenceLoss: magnetic needs magnetLogp (Σ log μ per record)');
    sameSize('preferenceLoss', ['logp', logp], ['magnetLogp', magnetLogp]);
    if (!(Number.isFinite(magnet) && magnet! >= 0)) throw new ShapeError(`preferenceLoss: magnet=${magnet} must be a finite number ≥ 0 (c = ηα)`);
  }
  if (kind !== 'square' && kind !== 'magnetic' && R % 2 !== 0) throw new ShapeError(`preferenceLoss: ${kind} needs (winner, loser) pairs, got ${R} records`);
  if (!(beta > 0) && kind !== 'square' && kind !== 'magnetic') throw new ShapeError(`preferenceLoss: beta must be > 0, got ${beta}`);
  return R;
}

/** attentionCached: q/out (B,Tq,H,D), caches (B,S,KH,D), slots [start, start+Tq) inside S */
export function checkCachedAttention(out: Tensor, q: Tensor, kc: Tensor, vc: Tensor, o: CachedAttentionOptions): void {
  const { batch: B, queries: Tq, slots: S, start, heads: H, kvHeads: KH, headDim: D } = o;
  for (const [k, v] of Object.entries({ batch: B, queries: Tq, slots: S, heads: H, kvHeads: KH, headDim: D })) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`attentionCached: ${k}=${v} must be a positive integer`);
  }
  if (H % KH !== 0) throw new ShapeError(`attentionCached: heads=${H} is not a multiple of kvHeads=${KH}`);
  if (!Number.isInteger(start) || start < 0 || start + Tq > S) throw new ShapeError(`attentionCached: slots [${start}, ${start + Tq}) do not fit a cache of ${S}`);
  for (const [name, t] of [['out', out], ['q', q], ['kCache', kc], ['vCache', vc]] as const) expectDtype('attentionCached', name, t, 'f32');
  expectSize('attentionCached', 'q', q, B * Tq * H * D);
  expectSize('attentionCached', 'out', out, B * Tq * H * D);
  expectSize('attentionCached', 'kCache', kc, B * S * KH * D);
  expectSize('attentionCached', 'vCache', vc, B * S * KH * D);
  if (o.keyMask) { expectSize('attentionCached', 'keyMask', o.keyMask, B * S); expectDtype('attentionCached', 'keyMask', o.keyMask, 'i32'); }
  attentionExtras('attentionCached', o);
}

/** kvWrite: x (B,Tq,R) into cache (B,S,R) at slots [start, start+Tq) */
export function checkKvWrite(cache: Tensor, x: Tensor, o: { batch: number; queries: number; slots: number; start: number; rowSize: number }): void {
  const { batch: B, queries: Tq, slots: S, start, rowSize: R } = o;
  if (!Number.isInteger(start) || start < 0 || start + Tq > S) throw new ShapeError(`kvWrite: slots [${start}, ${start + Tq}) do not fit a cache of ${S}`);
  expectSize('kvWrite', 'x', x, B * Tq * R);
  expectSize('kvWrite', 'cache', cache, B * S * R);
  expectDtype('kvWrite', 'x', x, 'f32');
  expectDtype('kvWrite', 'cache', cache, 'f32');
}

/** the fused LM head's chunk ops: logits (N,Vc) f32 with Vc ≥ 1 and v0 + Vc ≤ vocab, targets
 *  (N) i32, per-row f32 tensors, (N,Vc) f32 tensors, state (N,3) f32: returns N, Vc */
export function checkLogitsChunk(op: string, logits: Tensor | null, targets: Tensor, o: Partial<LogitsChunkOptions> & { vocab: number },
  perRow: [string, Tensor][], same: [string, Tensor][] = [], state?: Tensor): { rows: number; cols: number } {
  expectDtype(op, 'targets', targets, 'i32');
  const rows = targets.size;
  if (rows === 0) throw new ShapeError(`${op}: no targets (N = 0)`);
  if (!Number.isInteger(o.vocab) || o.vocab < 1) throw new ShapeError(`${op}: vocab must be a positive integer, got ${o.vocab}`);
  let cols = 0;
  if (logits) {
    expectDtype(op, 'logits', logits, 'f32');
    if (logits.size === 0 || logits.size % rows !== 0) throw new ShapeError(`${op}: logits has ${logits.size} elements, not a whole number of rows for ${rows} targets: logits must be (N, Vc) with targets (N)`);
    cols = logits.size / rows;
    const v0 = o.v0 ?? 0;
    if (!Number.isInteger(v0) || v0 < 0 || v0 + cols > o.vocab) throw new ShapeError(`${op}: the chunk [${v0}, ${v0 + cols}) is not inside the vocabulary [0, ${o.vocab})`);
  }
  for (const [name, t] of perRow) { expectSize(op, name, t, rows); expectDtype(op, name, t, 'f32'); }
  for (const [name, t] of same) { expectSize(op, name, t, rows * cols); expectDtype(op, name, t, 'f32'); }
  if (state) { expectSize(op, 'state', state, rows * 3); expectDtype(op, 'state', state, 'f32'); }
  return { rows, cols };
}

/** softcap / softcapBackward: out and x (the in-place pair) of one size, f32, y (backward's
 *  forward output) the same size but never out itself; cap positive and finite. Returns n. */
export function checkSoftcap(op: string, out: Tensor, x: Tensor, cap: number, y?: Tensor): number {
  if (!Number.isFinite(cap) || cap <= 0) throw new ShapeError(`${op}: cap=${cap} must be a positive finite number`);
  const ts: [string, Tensor][] = y ? [['dx', out], ['dy', x], ['y', y]] : [['out', out], ['x', x]];
  for (const [n, t] of ts) { expectDtype(op, n, t, 'f32'); expectSize(op, n, t, out.size); }
  if (y && y === out) throw new ShapeError(`${op}: dx and y are the same tensor (dx may only alias dy)`);
  return out.size;
}
