// Optimizer updates, in place, PyTorch semantics; tasks are chunks of EW_CHUNK elements.
// Optional clipping without a host round-trip: normSq (1) holds Σ g² over all parameters and
// every gradient is scaled by c = min(1, maxNorm / sqrt(normSq)) before use (normSq = 0 →
// c = 1). clip = 0 means no clipping.
//   opt_adamw    p ← p·(1 − lr·wd); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
//                p ← p − (lr/bc1) · m / (sqrt(v)/sqrt(bc2) + eps), bc_i = 1 − β_i^step
//                (the host passes decay = 1 − lr·wd, stepSize = lr/bc1, rbc2 = 1/sqrt(bc2))
//   opt_rmsprop  g ← g + wd p; sq ← α sq + (1−α) g²; a = sqrt(sq) + eps;
//                buf ≠ 0 (momentum > 0): buf ← μ buf + g/a, p ← p − lr buf;  else p ← p − lr g/a
//   opt_sgd      g ← g + wd p; buf ≠ 0: buf ← g (first step) or μ buf + (1−dampening) g,
//                g ← nesterov ? g + μ buf : buf;  p ← p − lr g
import { at, min32 } from './common';
import { EW_CHUNK } from './elementwise';

function clipScale(clip: usize, maxNorm: f32): f32 {
  if (!clip) return 1;
  const n = Math.sqrt(<f64>load<f32>(clip));
  return <f32>Math.min(1.0, <f64>maxNorm / n);
}

export function opt_adamw(task: i32, tid: i32, p: usize, g: usize, m: usize, v: usize, n: i32,
  b1: f32, b2: f32, omb1: f32, omb2: f32, eps: f32, decay: f32, stepSize: f32, rbc2: f32, clip: usize, maxNorm: f32): void {
  // omb1 = 1 − β1, omb2 = 1 − β2 come from the host in float64: 1 − f32(0.999) is off by ~1e-5
  const c = clipScale(clip, maxNorm);
  const cv = f32x4.splat(c), dv = f32x4.splat(decay), b1v = f32x4.splat(b1), b2v = f32x4.splat(b2);
  const ob1 = f32x4.splat(omb1), ob2 = f32x4.splat(omb2), ev = f32x4.splat(eps);
  const ssv = f32x4.splat(stepSize), rv = f32x4.splat(rbc2);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  for (; i + 4 <= e; i += 4) {
    const gi = f32x4.mul(v128.load(at(g, i)), cv);
    const mi = f32x4.add(f32x4.mul(b1v, v128.load(at(m, i))), f32x4.mul(ob1, gi));
    const vi = f32x4.add(f32x4.mul(b2v, v128.load(at(v, i))), f32x4.mul(ob2, f32x4.mul(gi, gi)));
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vi), rv), ev);
    const pi = f32x4.mul(v128.load(at(p, i)), dv);
    v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(ssv, f32x4.div(mi, den))));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
  }
  for (; i < e; i++) {
    const gi = load<f32>(at(g, i)) * c;
    const mi = b1 * load<f32>(at(m, i)) + omb1 * gi;
    const vi = b2 * load<f32>(at(v, i)) + omb2 * (gi * gi);
    const den = Mathf.sqrt(vi) * rbc2 + eps;
    store<f32>(at(p, i), load<f32>(at(p, i)) * decay - stepSize * (mi / den));
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
  }
}

export function opt_rmsprop(task: i32, tid: i32, p: usize, g: usize, sq: usize, buf: usize, n: i32,
  lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, wd: f32, momentum: f32, clip: usize, maxNorm: f32): void {
  const c = clipScale(clip, maxNorm);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  const cv = f32x4.splat(c), wdv = f32x4.splat(wd), av = f32x4.splat(alpha), oav = f32x4.splat(oneMinusAlpha);
  const ev = f32x4.splat(eps), lrv = f32x4.splat(lr), muv = f32x4.splat(momentum);
  for (; i + 4 <= e; i += 4) {
    const pi = v128.load(at(p, i));
    const gi = f32x4.add(f32x4.mul(v128.load(at(g, i)), cv), f32x4.mul(wdv, pi));
    const si = f32x4.add(f32x4.mul(av, v128.load(at(sq, i))), f32x4.mul(oav, f32x4.mul(gi, gi)));
    v128.store(at(sq, i), si);
    const u = f32x4.div(gi, f32x4.add(f32x4.sqrt(si), ev));
    if (buf) {
      const bi = f32x4.add(f32x4.mul(muv, v128.load(at(buf, i))), u);
      v128.store(at(buf, i), bi);
      v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(lrv, bi)));
    } else {
      v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(lrv, u)));
    }
  }
  for (; i < e; i++) {
    const pi = load<f32>(at(p, i));
    const gi = load<f32>(at(g, i)) * c + wd * pi;
    const si = alpha * load<f32>(at(sq, i)) + oneMinusAlpha * (gi * gi);
    store<f32>(at(sq, i), si);
    const u = gi / (Mathf.sqrt(si) + eps);
    if (buf) {
      const bi = momentum * load<f32>(at(buf, i)) + u;
      store<f32>(at(buf, i), bi);
      store<f32>(at(p, i), pi - lr * bi);
    } else {
      store<f32>(at(p, i), pi - lr * u);
    }
  }
}

export function opt_sgd(task: i32, tid: i32, p: usize, g: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, wd: f32, oneMinusDampening: f32, nesterov: i32, first: i32, clip: usize, maxNorm: f32): void {
  const c = clipScale(clip, maxNorm);
  let i = task * EW_CHUNK; const e = min32(n, i + EW_CHUNK);
  const cv = f32x4.splat(c), wdv = f32x4.splat(wd), lrv = f32x4.splat(lr), muv = f32x4.splat(momentum), odv = f32x4.splat(oneMinusDampening);
  const useBuf = buf != 0;
  for (; i + 4 <= e; i += 4) {
    const pi = v128.load(at(p, i));
    let gi = f32x4.add(f32x4.mul(v128.load(at(g, i)), cv), f32x4.mul(wdv, pi));
    if (useBuf) {
      const bi = first ? gi : f32x4.add(f32x4.mul(muv, v128.load(at(buf, i))), f32x4.mul(odv, gi));
      v128.store(at(buf, i), bi);
      gi = nesterov ? f32x4.add(gi, f32x4.mul(muv, bi)) : bi;
    }
    v128.store(at(p, i), f32x4.sub(pi, f32x4.mul(lrv, gi)));
  }
  for (; i < e; i++) {
    const pi = load<f32>(at(p, i));
    let gi = load<f32>(at(g, i)) * c + wd * pi;
    if (useBuf) {
      const bi = first ? gi : momentum * load<f32>(at(buf, i)) + oneMinusDampening * gi;
      store<f32>(at(buf, i), bi);
      gi = nesterov ? gi + momentum * bi : bi;
    }
    store<f32>(at(p, i), pi - lr * gi);
  }
}
