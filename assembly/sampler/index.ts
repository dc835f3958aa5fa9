// Sampler: one row of logits → one token, Hugging Face `generate` order:
//   penalties → temperature → top-k → top-p → min-p → draw (xoshiro128**), or greedy argmax.
// Tensors live in this instance's linear memory; the TS binding (src/sampling/sampler.ts) lays
// them out after heapBase() and grows memory itself (minimal no-GC runtime: this module never allocates):
//   raw:   f32[Vp]  the row's logits as given (Vp = V rounded up to 4; pad lanes hold -Infinity)
//   y:     f32[Vp]  processed logits: penalised, divided by temperature (at temperature 1
//                    without penalties the row reads raw directly)
//   e:     f32[Vp]  weights exp(y − max y), then zeroed outside the kept set
//   sv,se: f32[Vp]  scratch for selection (values, weights)
//   cnt:   i32[Vp]  occurrence counts of history tokens; all zero between calls
//   hist:  f64[1024] weight-bin histogram scratch (candidates.ts)
//   ids:   i32[H]   the sequence's token ids so far (penalties act on these)
//   state: u32[4]   the sequence's xoshiro128** state, advanced in place
//   out:   f64 logprob (chosen token, final distribution), f64 raw logprob (softmax of raw),
//          i32 detail (offending index for errors)
// Semantics:
//   repetition penalty (HF): for each distinct history token, logit > 0 → logit / p else · p;
//   frequency/presence (OpenAI): logit −= count·frequency + (count > 0)·presence;
//   temperature 0 → greedy argmax of the penalised logits (lowest index on ties), logprob 0;
//   top-k keeps logits ≥ the k-th largest, top-p keeps tokens whose strictly-larger mass (after
//   top-k) is < top_p, min-p keeps tokens with p ≥ min_p · p_max; ties at a cut are all kept.
//   A draw u ∈ [0,1) picks the first token whose running weight sum (index order) exceeds u·Z.
// Return value: the token id, or a negative error code (see ERR_* below), with `detail` set.
import { vexp, promoteAdd, hsum64 } from './vexp';
import { kthLargest, nucleusCut, resetPivots } from './select';
import { binEdge, countCutBin, massCutBin, compact } from './candidates';
import { xoshiroNext, xoshiroDouble } from './rng';

const ERR_NAN: i32 = -1;        // detail: token index of a NaN logit
const ERR_POS_INF: i32 = -2;    // detail: token index of a +Infinity logit
const ERR_ALL_MASKED: i32 = -3; // every logit is -Infinity
const ERR_HISTORY: i32 = -4;    // detail: position in history of an id outside [0, V)
const ERR_OVERFLOW: i32 = -5;   // penalised/tempered max logit is not finite (±Infinity or NaN)

let V: i32 = 0, VP: i32 = 0;
/** the processed logits of the current row: YBUF, or RAW itself when nothing changes them */
let Y: usize = 0;
let RAW: usize = 0, YBUF: usize = 0, E: usize = 0, SV: usize = 0, SE: usize = 0, CNT: usize = 0, HIST: usize = 0;

export function heapBase(): usize { return __heap_base; }

export function configure(vocab: i32, padded: i32, raw: usize, y: usize, e: usize, sv: usize, se: usize, cnt: usize, hist: usize): void {
  V = vocab; VP = padded; RAW = raw; YBUF = y; E = e; SV = sv; SE = se; CNT = cnt; HIST = hist;
}

export function rngNextU32(state: usize): u32 { return xoshiroNext(state); }
export function rngNextDouble(state: usize): f64 { return xoshiroDouble(state); }

// ---- passes over a row (all SIMD over Vp lanes) ----

/** max of src[0..Vp); flags NaN / +Inf: returns the offending index in `bad` (−1 if none). */
let bad: i32 = -1;
function checkedMax(src: usize): f32 {
  let m = f32x4.splat(-Infinity);
  let flag = i32x4.splat(0);
  for (let i = 0; i < VP; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    flag = v128.or(flag, v128.or(f32x4.ne(v, v), f32x4.eq(v, f32x4.splat(Infinity))));
    m = f32x4.max(m, v);
  }
  bad = -1;
  if (v128.any_true(flag)) {
    for (let i = 0; i < V; i++) {
      const x = load<f32>(src + (<usize>i << 2));
      if (x != x || x == Infinity) { bad = i; break; }
    }
  }
  return max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
}

function rowMax(src: usize): f32 {
  let m = f32x4.splat(-Infinity);
  for (let i = 0; i < VP; i += 4) m = f32x4.max(m, v128.load(src + (<usize>i << 2)));
  return max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
}

/** Σ exp(src − m) in f64 (nothing stored). */
function sumExp(src: usize, m: f32): f64 {
  const mv = f32x4.splat(m);
  let acc = f64x2.splat(0);
  for (let i = 0; i < VP; i += 4) acc = promoteAdd(acc, vexp(f32x4.sub(v128.load(src + (<usize>i << 2)), mv)));
  return hsum64(acc);
}

/** First index of the largest value m of src (lowest index on ties). */
function argmax(src: usize, m: f32): i32 {
  const mv = f32x4.splat(m);
  let i = 0;
  while (i < VP && !v128.any_true(f32x4.eq(v128.load(src + (<usize>i << 2)), mv))) i += 4;
  while (load<f32>(src + (<usize>i << 2)) != m) i++;
  return i;
}

/** dst = src / t */
function divide(dst: usize, src: usize, t: f32): void {
  const tv = f32x4.splat(t);
  for (let i = 0; i < VP; i += 4) v128.store(dst + (<usize>i << 2), f32x4.div(v128.load(src + (<usize>i << 2)), tv));
}

/** e = exp(y − m) over the row; returns Σ e. */
function expPass(m: f32): f64 {
  const mv = f32x4.splat(m);
  let acc = f64x2.splat(0);
  for (let i = 0; i < VP; i += 4) {
    const e = vexp(f32x4.sub(v128.load(Y + (<usize>i << 2)), mv));
    acc = promoteAdd(acc, e);
    v128.store(E + (<usize>i << 2), e);
  }
  return hsum64(acc);
}

/** e = (y ≥ thr and e ≥ minE) ? e : 0; returns Σ e. */
function maskPass(thr: f32, minE: f32): f64 {
  const tv = f32x4.splat(thr), mv = f32x4.splat(minE);
  let acc = f64x2.splat(0);
  for (let i = 0; i < VP; i += 4) {
    const y = v128.load(Y + (<usize>i << 2));
    const e = v128.load(E + (<usize>i << 2));
    const k = v128.and(e, v128.and(f32x4.ge(y, tv), f32x4.ge(e, mv)));
    acc = promoteAdd(acc, k);
    v128.store(E + (<usize>i << 2), k);
  }
  return hsum64(acc);
}

/** The token whose running weight sum first exceeds target: 16-lane blocks summed with SIMD, then one block scalar. */
function drawIndex(target: f64): i32 {
  let acc: f64 = 0;
  for (let b = 0; b < VP; b += 16) {
    let s = f64x2.splat(0);
    const n = min(16, VP - b);
    for (let i = 0; i < n; i += 4) s = promoteAdd(s, v128.load(E + (<usize>(b + i) << 2)));
    const blockSum = hsum64(s);
    if (acc + blockSum > target) {
      let run = acc, last = -1;
      for (let i = b; i < b + n; i++) {
        const w = load<f32>(E + (<usize>i << 2));
        if (w > 0) { run += <f64>w; last = i; if (run > target) return i; }
      }
      return last; // rounding between the block sum and the running sum: the block's last token
    }
    acc += blockSum;
  }
  // u·Z reached the total only by rounding: the last token with weight
  for (let i = VP - 1; i >= 0; i--) if (load<f32>(E + (<usize>i << 2)) > 0) return i;
  return -1;
}

// ---- penalties ----

/** Validate history ids; returns the first bad position or −1. */
function checkHistory(hist: usize, h: i32): i32 {
  for (let j = 0; j < h; j++) if (<u32>load<i32>(hist + (<usize>j << 2)) >= <u32>V) return j;
  return -1;
}

/** dst[t] = penalise(raw[t]) / temp for each distinct t in history (temp 0: no division). Leaves cnt zeroed. */
function applyPenalties(dst: usize, hist: usize, h: i32, temp: f32, rep: f32, freq: f32, pres: f32): void {
  for (let j = 0; j < h; j++) {
    const p = CNT + (<usize>load<i32>(hist + (<usize>j << 2)) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  for (let j = 0; j < h; j++) {
    const t = <usize>load<i32>(hist + (<usize>j << 2));
    const c = load<i32>(CNT + (t << 2));
    if (c == 0) continue; // already done
    store<i32>(CNT + (t << 2), 0);
    let v = load<f32>(RAW + (t << 2));
    if (rep != 1) v = v > 0 ? v / rep : v * rep;
    v = v - <f32>c * freq - pres;
    if (temp != 0) v = v / temp;
    store<f32>(dst + (t << 2), v);
  }
}

// ---- one row ----

export function sampleRow(hist: usize, h: i32, state: usize, out: usize,
  temperature: f32, topK: i32, topP: f32, minP: f32, rep: f32, freq: f32, pres: f32): i32 {
  resetPivots();
  store<i32>(out, -1, 16);
  const maxRaw = checkedMax(RAW);
  if (bad >= 0) {
    store<i32>(out, bad, 16);
    const x = load<f32>(RAW + (<usize>bad << 2));
    return x != x ? ERR_NAN : ERR_POS_INF;
  }
  if (maxRaw == -Infinity) return ERR_ALL_MASKED;
  const penalise = h > 0 && (rep != 1 || freq != 0 || pres != 0);
  if (penalise) {
    const j = checkHistory(hist, h);
    if (j >= 0) { store<i32>(out, j, 16); return ERR_HISTORY; }
  }

  if (temperature == 0) {
    let src = RAW, top = maxRaw;
    if (penalise) {
      memory.copy(YBUF, RAW, <usize>VP << 2);
      applyPenalties(YBUF, hist, h, 0, rep, freq, pres);
      src = YBUF;
      top = rowMax(YBUF);
    }
    if (!isFinite<f32>(top)) return ERR_OVERFLOW;
    const best = argmax(src, top);
    const rawLse = <f64>maxRaw + Math.log(sumExp(RAW, maxRaw));
    store<f64>(out, 0.0);
    store<f64>(out, <f64>load<f32>(RAW + (<usize>best << 2)) - rawLse, 8);
    return best;
  }

  // y = penalise(raw) / T; without penalties max y = max raw / T (f32 division is monotone)
  let m: f32;
  if (temperature == 1 && !penalise) { Y = RAW; m = maxRaw; }
  else {
    Y = YBUF;
    if (temperature == 1) memory.copy(Y, RAW, <usize>VP << 2);
    else divide(Y, RAW, temperature);
    if (penalise) { applyPenalties(Y, hist, h, temperature, rep, freq, pres); m = rowMax(Y); }
    else m = maxRaw / temperature;
  }
  if (!isFinite<f32>(m)) return ERR_OVERFLOW;

  const zAll = expPass(m);
  const rawLse = temperature == 1 && !penalise
    ? <f64>m + Math.log(zAll)
    : <f64>maxRaw + Math.log(sumExp(RAW, maxRaw));

  // top-k: a value threshold, selected among the tokens of the top weight bins
  let thrK: f32 = -Infinity;
  let z1 = zAll;
  if (topK > 0 && topK < V) {
    if (topK == 1) thrK = m;
    else {
      const b = countCutBin(HIST, E, V, topK);
      if (b > 0) {
        const n = compact(Y, E, VP, binEdge(b - 1), false, SV, SE); // ≥ k tokens: bins ≥ b hold k
        thrK = kthLargest(SV, n, topK);
      } else { // k reaches into tokens with zero weight: select over the whole row
        memory.copy(SV, Y, <usize>V << 2);
        thrK = kthLargest(SV, V, topK);
      }
    }
    z1 = maskPass(thrK, 0);
  }

  // top-p on the distribution after top-k, cut among the tokens of the top mass bins
  let thrP: f32 = -Infinity;
  if (topP < 1) {
    if (topP <= 0) thrP = m;
    else {
      const need = <f64>topP * z1;
      const n = topK > 0 && topK < V
        ? compact(Y, E, VP, 0, true, SV, SE)
        : compact(Y, E, VP, binEdge(massCutBin(HIST, E, V, need) - 1), true, SV, SE);
      thrP = n > 0 ? nucleusCut(SV, SE, n, need) : m; // n ≥ 1: the top token has weight 1
    }
  }
  // min-p relative to the top token (whose weight is exactly 1)
  const thr = max(thrK, thrP);
  let z = z1;
  if (thr > thrK || minP > 0) z = maskPass(thr, minP);

  const target = xoshiroDouble(state) * z;
  const tok = drawIndex(target);
  store<f64>(out, (<f64>load<f32>(Y + (<usize>tok << 2)) - <f64>m) - Math.log(z));
  store<f64>(out, <f64>load<f32>(RAW + (<usize>tok << 2)) - rawLse, 8);
  return tok;
}
