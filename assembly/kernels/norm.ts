// Normalisation over the last dim C of x (N,C), row-major; w, b (C); mean, rstd (N).
//   norm_rms            out = x·rstd·w, rstd = 1/sqrt(mean(x²) + eps). Task = `rows` rows.
//   norm_rms_backward   xhat = x·rstd, g = dout·w:
//                         dx = rstd·(g − xhat·Σ(g·xhat)/C)
//                         part[t] (C) = Σ_{rows of chunk t} dout·xhat   (dw partials)
//                       Task t = chunk t of ROW_CHUNK rows (a fixed size: the partials, then
//                       red_colsum over them in chunk order, make dw independent of threads).
//   norm_layer          out = (x−mean)·rstd·w + b, var = mean((x−mean)²): two passes over
//                       x − x[n,0] (d = mean of that, then Σ((x − x0) − d)²), mean = x0 + d.
//                       A mean far from 0 then does not cost the spread its digits.
//   norm_layer_backward xhat = (x−mean)·rstd, g = dout·w:
//                         dx = rstd·(g − mean(g) − xhat·mean(g·xhat))
//                         part (2, nchunks, C): [0,t] = Σ dout·xhat (dw), [1,t] = Σ dout (db)
// Row sums use four f32x4 lanes combined by hsum, then the scalar tail.
import { at, hsum, min32 } from './common';
import { ROW_CHUNK } from './reduce';

/** Σ (x[i] − m)² over a row */
function rowSumSqDev(x: usize, C: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let a = f32x4.splat(0); let i = 0;
  for (; i + 4 <= C; i += 4) { const d = f32x4.sub(v128.load(at(x, i)), mv); a = f32x4.add(a, f32x4.mul(d, d)); }
  let s = hsum(a);
  for (; i < C; i++) { const d = load<f32>(at(x, i)) - m; s += d * d; }
  return s;
}

export function norm_rms(task: i32, tid: i32, out: usize, rstd: usize, x: usize, w: usize, N: i32, C: i32, eps: f32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(x, r * C), orow = at(out, r * C);
    const rs: f32 = 1.0 / Mathf.sqrt(rowSumSqDev(xr, C, 0) / <f32>C + eps);
    store<f32>(at(rstd, r), rs);
    const rv = f32x4.splat(rs);
    let i = 0;
    for (; i + 4 <= C; i += 4) v128.store(at(orow, i), f32x4.mul(f32x4.mul(v128.load(at(xr, i)), rv), v128.load(at(w, i))));
    for (; i < C; i++) store<f32>(at(orow, i), load<f32>(at(xr, i)) * rs * load<f32>(at(w, i)));
  }
}

export function norm_rms_backward(task: i32, tid: i32, dx: usize, part: usize, dout: usize, x: usize, w: usize, rstd: usize, N: i32, C: i32): void {
  const r0 = task * ROW_CHUNK, r1 = min32(N, r0 + ROW_CHUNK);
  const pr = at(part, task * C);
  memory.fill(pr, 0, <usize>C << 2);
  for (let r = r0; r < r1; r++) {
    const xr = at(x, r * C), dr = at(dout, r * C), dxr = at(dx, r * C);
    const rs = load<f32>(at(rstd, r));
    const rv = f32x4.splat(rs);
    // Σ g·xhat
    let a = f32x4.splat(0); let i = 0;
    for (; i + 4 <= C; i += 4) {
      const xh = f32x4.mul(v128.load(at(xr, i)), rv);
      const d = v128.load(at(dr, i));
      a = f32x4.add(a, f32x4.mul(f32x4.mul(d, v128.load(at(w, i))), xh));
      v128.store(at(pr, i), f32x4.add(v128.load(at(pr, i)), f32x4.mul(d, xh)));
    }
    let s = hsum(a);
    for (; i < C; i++) {
      const xh = load<f32>(at(xr, i)) * rs, d = load<f32>(at(dr, i));
      s += d * load<f32>(at(w, i)) * xh;
      store<f32>(at(pr, i), load<f32>(at(pr, i)) + d * xh);
    }
    const k: f32 = s / <f32>C;
    const kv = f32x4.splat(k);
    i = 0;
    for (; i + 4 <= C; i += 4) {
      const xh = f32x4.mul(v128.load(at(xr, i)), rv);
      const g = f32x4.mul(v128.load(at(dr, i)), v128.load(at(w, i)));
      v128.store(at(dxr, i), f32x4.mul(rv, f32x4.sub(g, f32x4.mul(xh, kv))));
    }
    for (; i < C; i++) {
      const xh = load<f32>(at(xr, i)) * rs;
      const g = load<f32>(at(dr, i)) * load<f32>(at(w, i));
      store<f32>(at(dxr, i), rs * (g - xh * k));
    }
  }
}

export function norm_layer(task: i32, tid: i32, out: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, N: i32, C: i32, eps: f32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(x, r * C), orow = at(out, r * C);
    const x0 = load<f32>(xr);
    const x0v = f32x4.splat(x0);
    // d = mean(x − x0)
    let a = f32x4.splat(0); let i = 0;
    for (; i + 4 <= C; i += 4) a = f32x4.add(a, f32x4.sub(v128.load(at(xr, i)), x0v));
    let s = hsum(a);
    for (; i < C; i++) s += load<f32>(at(xr, i)) - x0;
    const d: f32 = s / <f32>C;
    const dv = f32x4.splat(d);
    // var = mean(((x − x0) − d)²)
    a = f32x4.splat(0); i = 0;
    for (; i + 4 <= C; i += 4) { const e = f32x4.sub(f32x4.sub(v128.load(at(xr, i)), x0v), dv); a = f32x4.add(a, f32x4.mul(e, e)); }
    let q = hsum(a);
    for (; i < C; i++) { const e = (load<f32>(at(xr, i)) - x0) - d; q += e * e; }
    const rs: f32 = 1.0 / Mathf.sqrt(q / <f32>C + eps);
    store<f32>(at(mean, r), x0 + d);
    store<f32>(at(rstd, r), rs);
    const rv = f32x4.splat(rs);
    i = 0;
    for (; i + 4 <= C; i += 4) {
      const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(at(xr, i)), x0v), dv), rv);
      v128.store(at(orow, i), f32x4.add(f32x4.mul(xh, v128.load(at(w, i))), v128.load(at(b, i))));
    }
    for (; i < C; i++) store<f32>(at(orow, i), (((load<f32>(at(xr, i)) - x0) - d) * rs) * load<f32>(at(w, i)) + load<f32>(at(b, i)));
  }
}

export function norm_layer_backward(task: i32, tid: i32, dx: usize, part: usize, dout: usize, x: usize, w: usize, mean: usize, rstd: usize, N: i32, C: i32): void {
  const nchunks = (N + ROW_CHUNK - 1) / ROW_CHUNK;
  const r0 = task * ROW_CHUNK, r1 = min32(N, r0 + ROW_CHUNK);
  const pw = at(part, task * C), pb = at(part, (nchunks + task) * C);
  memory.fill(pw, 0, <usize>C << 2);
  memory.fill(pb, 0, <usize>C << 2);
  for (let r = r0; r < r1; r++) {
    const xr = at(x, r * C), dr = at(dout, r * C), dxr = at(dx, r * C);
    const m = load<f32>(at(mean, r)), rs = load<f32>(at(rstd, r));
    const mv = f32x4.splat(m), rv = f32x4.splat(rs);
    let ag = f32x4.splat(0), agx = f32x4.splat(0); let i = 0;
    for (; i + 4 <= C; i += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), mv), rv);
      const d = v128.load(at(dr, i));
      const g = f32x4.mul(d, v128.load(at(w, i)));
      ag = f32x4.add(ag, g);
      agx = f32x4.add(agx, f32x4.mul(g, xh));
      v128.store(at(pw, i), f32x4.add(v128.load(at(pw, i)), f32x4.mul(d, xh)));
      v128.store(at(pb, i), f32x4.add(v128.load(at(pb, i)), d));
    }
    let sg = hsum(ag), sgx = hsum(agx);
    for (; i < C; i++) {
      const xh = (load<f32>(at(xr, i)) - m) * rs, d = load<f32>(at(dr, i));
      const g = d * load<f32>(at(w, i));
      sg += g; sgx += g * xh;
      store<f32>(at(pw, i), load<f32>(at(pw, i)) + d * xh);
      store<f32>(at(pb, i), load<f32>(at(pb, i)) + d);
    }
    const mg: f32 = sg / <f32>C, mgx: f32 = sgx / <f32>C;
    const mgv = f32x4.splat(mg), mgxv = f32x4.splat(mgx);
    i = 0;
    for (; i + 4 <= C; i += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), mv), rv);
      const g = f32x4.mul(v128.load(at(dr, i)), v128.load(at(w, i)));
      v128.store(at(dxr, i), f32x4.mul(rv, f32x4.sub(f32x4.sub(g, mgv), f32x4.mul(xh, mgxv))));
    }
    for (; i < C; i++) {
      const xh = (load<f32>(at(xr, i)) - m) * rs;
      const g = load<f32>(at(dr, i)) * load<f32>(at(w, i));
      store<f32>(at(dxr, i), rs * ((g - mg) - xh * mgx));
    }
  }
}
