// Activations, elementwise over n f32 values; tasks are chunks of EW_CHUNK (elementwise.ts).
// sigmoid(x) = 1 / (1 + exp(−x)) with exp4 (common.ts).
//   act_silu            out = x·σ(x)
//   act_silu_backward   dx = dout·σ(x)·(1 + x·(1 − σ(x)))
//   act_swiglu          out = silu(gate)·up
//   act_swiglu_backward dgate = dout·up·σ(g)(1 + g(1 − σ(g))),  dup = dout·silu(g)
//   act_gelu            out = ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³)   (GPT-2 gelu_new)
//   act_gelu_backward   dx = dout·(s + 2x·s(1 − s)·u'), s = σ(2u)
//   act_gelu_erf        out = x·Φ(x), Φ(x) = ½erfc(−x/√2)   (exact GELU: BERT, DeBERTa)
//   act_gelu_erf_backward dx = dout·(Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π)
// erfc(a), a ≥ 0, by the Chebyshev-fitted form t·exp(−a² + P(t)), t = 1/(1 + a/2), P of degree 9
// (Numerical Recipes' erfcc, fractional error < 1.2e-7 everywhere); Φ(x) = 1 − ½erfc(x/√2) for
// x ≥ 0 and ½erfc(−x/√2) for x < 0, so the tail x ≪ 0 keeps its relative accuracy.
//   act_geglu           out = gelu(gate)·up                               (Gemma's MLP, gelu_pytorch_tanh)
//   act_geglu_backward  dgate = dout·up·gelu'(g),  dup = dout·gelu(g)
//   act_softcap         out = cap·tanh(x/cap)                (scalar Mathf.tanh; out may be x)
//   act_softcap_backward dx = dy·(1 − (y/cap)²), y the forward's output    (dx may be dy)
import { at, exp4, min32 } from './common';
import { EW_CHUNK } from './elementwise';

const GELU_K: f32 = 0.7978845608028654; // sqrt(2/pi)
const GELU_C: f32 = 0.044715;

// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

/** Runs body4 over [task·EW_CHUNK, end): vectors of 4, then the tail through a zero-padded
 *  4-lane staging area so the tail uses the same vector arithmetic. */
// @ts-ignore: decorator
@inline function tailLoad(p: usize, i: i32, e: i32, tmp: usize): v128 {
  for (let j = 0; j < 4; j++) store<f32>(at(tmp, j), i + j < e ? load<f32>(at(p, i + j)) : 0);
  return v128.load(tmp);
}
// @ts-ignore: decorator
@inline function tailStore(p: usize, i: i32, e: i32, v: v128, tmp: usize): void {
  v128.store(tmp, v);
  for (let j = 0; j < 4 && i + j < e; j++) store<f32>(at(p, i + j), load<f32>(at(tmp, j)));
}

// @ts-ignore: decorator
@inline function silu4(x: v128): v128 { return f32x4.mul(x, sigmoid4(x)); }
// @ts-ignore: decorator
@inline function dsilu4(x: v128): v128 {
  const s = sigmoid4(x);
  return f32x4.mul(s, f32x4.add(f32x4.splat(1), f32x4.mul(x, f32x4.sub(f32x4.splat(1), s))));
}
// GELU as x·σ(2u) (1 + tanh(u) = 2σ(2u)): the ½x(1 + tanh u) form cancels to 0 in f32 for
// x < −5 (tanh u rounds to −1) while the true value is still ~1e-7; σ(2u) keeps it.
// @ts-ignore: decorator
@inline function geluS4(x: v128): v128 {
  const u = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(x, f32x4.mul(x, x)))));
  return sigmoid4(f32x4.add(u, u));
}
// @ts-ignore: decorator
@inline function gelu4(x: v128): v128 { return f32x4.mul(x, geluS4(x)); }
// dx/dout = s + 2·x·s·(1 − s)·u',  s = σ(2u),  u' = √(2/π)(1 + 3·0.044715x²)
// @ts-ignore: decorator
@inline function dgelu4(x: v128): v128 {
  const s = geluS4(x);
  const du = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(3 * GELU_C), f32x4.mul(x, x))));
  const two_x = f32x4.add(x, x);
  return f32x4.add(s, f32x4.mul(f32x4.mul(two_x, f32x4.mul(s, f32x4.sub(f32x4.splat(1), s))), du));
}

const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// ½erfc(|x|/√2) on four lanes
// @ts-ignore: decorator
@inline function halfErfcAbs4(x: v128): v128 {
  const a = f32x4.mul(f32x4.abs(x), f32x4.splat(SQRT1_2));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.5), a)));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.splat(-0.82215223), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(1.48851587), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(-1.13520398), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.27886807), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(-0.18628806), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.09678418), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.37409196), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(1.00002368), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(-1.26551223), f32x4.mul(t, p));
  const e = exp4(f32x4.sub(p, f32x4.mul(a, a)));
  return f32x4.mul(f32x4.splat(0.5), f32x4.mul(t, e));
}
// Φ(x) on four lanes
// @ts-ignore: decorator
@inline function phiCdf4(x: v128): v128 {
  const h = halfErfcAbs4(x);
  return v128.bitselect(f32x4.sub(f32x4.splat(1), h), h, f32x4.ge(x, f32x4.splat(0)));
}
// @ts-ignore: decorator
@inline function geluErf4(x: v128): v128 { return f32x4.mul(x, phiCdf4(x)); }
// @ts-ignore: decorator
@inline function dgeluErf4(x: v128): v128 {
  const pdf = f32x4.mul(f32x4.splat(INV_SQRT_2PI), exp4(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(x, x))));
  return f32x4.add(phiCdf4(x), f32x4.mul(x, pdf));
}

export function act_gelu_erf(task: i32, tid: i32, out: usize, x: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), geluErf4(v128.load(at(x, i))));
  if (i < e) tailStore(out, i, e, geluErf4(tailLoad(x, i, e, tmp)), tmp);
}

export function act_gelu_erf_backward(task: i32, tid: i32, dx: usize, x: usize, dout: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(dx, i), f32x4.mul(v128.load(at(dout, i)), dgeluErf4(v128.load(at(x, i)))));
  if (i < e) { const d = dgeluErf4(tailLoad(x, i, e, tmp)); tailStore(dx, i, e, f32x4.mul(tailLoad(dout, i, e, tmp), d), tmp); }
}

export function act_silu(task: i32, tid: i32, out: usize, x: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), silu4(v128.load(at(x, i))));
  if (i < e) tailStore(out, i, e, silu4(tailLoad(x, i, e, tmp)), tmp);
}

export function act_silu_backward(task: i32, tid: i32, dx: usize, x: usize, dout: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(dx, i), f32x4.mul(v128.load(at(dout, i)), dsilu4(v128.load(at(x, i)))));
  if (i < e) { const d = dsilu4(tailLoad(x, i, e, tmp)); tailStore(dx, i, e, f32x4.mul(tailLoad(dout, i, e, tmp), d), tmp); }
}

export function act_swiglu(task: i32, tid: i32, out: usize, gate: usize, up: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), f32x4.mul(silu4(v128.load(at(gate, i))), v128.load(at(up, i))));
  if (i < e) { const s = silu4(tailLoad(gate, i, e, tmp)); tailStore(out, i, e, f32x4.mul(s, tailLoad(up, i, e, tmp)), tmp); }
}

export function act_swiglu_backward(task: i32, tid: i32, dgate: usize, dup: usize, dout: usize, gate: usize, up: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) {
    const g = v128.load(at(gate, i)), d = v128.load(at(dout, i));
    v128.store(at(dgate, i), f32x4.mul(f32x4.mul(d, v128.load(at(up, i))), dsilu4(g)));
    v128.store(at(dup, i), f32x4.mul(d, silu4(g)));
  }
  if (i < e) {
    const g = tailLoad(gate, i, e, tmp), d = tailLoad(dout, i, e, tmp), u = tailLoad(up, i, e, tmp);
    tailStore(dgate, i, e, f32x4.mul(f32x4.mul(d, u), dsilu4(g)), tmp);
    tailStore(dup, i, e, f32x4.mul(d, silu4(g)), tmp);
  }
}

export function act_gelu(task: i32, tid: i32, out: usize, x: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), gelu4(v128.load(at(x, i))));
  if (i < e) tailStore(out, i, e, gelu4(tailLoad(x, i, e, tmp)), tmp);
}

export function act_gelu_backward(task: i32, tid: i32, dx: usize, x: usize, dout: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(dx, i), f32x4.mul(v128.load(at(dout, i)), dgelu4(v128.load(at(x, i)))));
  if (i < e) { const d = dgelu4(tailLoad(x, i, e, tmp)); tailStore(dx, i, e, f32x4.mul(tailLoad(dout, i, e, tmp), d), tmp); }
}

export function act_geglu(task: i32, tid: i32, out: usize, gate: usize, up: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), f32x4.mul(gelu4(v128.load(at(gate, i))), v128.load(at(up, i))));
  if (i < e) { const s = gelu4(tailLoad(gate, i, e, tmp)); tailStore(out, i, e, f32x4.mul(s, tailLoad(up, i, e, tmp)), tmp); }
}

export function act_geglu_backward(task: i32, tid: i32, dgate: usize, dup: usize, dout: usize, gate: usize, up: usize, n: i32, scratch: usize): void {
  const tmp = scratch + (<usize>tid << 4);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) {
    const g = v128.load(at(gate, i)), d = v128.load(at(dout, i));
    v128.store(at(dgate, i), f32x4.mul(f32x4.mul(d, v128.load(at(up, i))), dgelu4(g)));
    v128.store(at(dup, i), f32x4.mul(d, gelu4(g)));
  }
  if (i < e) {
    const g = tailLoad(gate, i, e, tmp), d = tailLoad(dout, i, e, tmp), u = tailLoad(up, i, e, tmp);
    tailStore(dgate, i, e, f32x4.mul(f32x4.mul(d, u), dgelu4(g)), tmp);
    tailStore(dup, i, e, f32x4.mul(d, gelu4(g)), tmp);
  }
}

export function act_softcap(task: i32, tid: i32, out: usize, x: usize, n: i32, cap: f32): void {
  const e = min32(n, (task + 1) * EW_CHUNK);
  const inv: f32 = 1 / cap;
  for (let i = task * EW_CHUNK; i < e; i++) store<f32>(at(out, i), cap * Mathf.tanh(load<f32>(at(x, i)) * inv));
}

export function act_softcap_backward(task: i32, tid: i32, dx: usize, y: usize, dy: usize, n: i32, cap: f32): void {
  const e = min32(n, (task + 1) * EW_CHUNK);
  const inv: f32 = 1 / cap;
  for (let i = task * EW_CHUNK; i < e; i++) {
    const th = load<f32>(at(y, i)) * inv;
    store<f32>(at(dx, i), load<f32>(at(dy, i)) * (1 - th * th));
  }
}
