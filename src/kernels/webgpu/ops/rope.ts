// Rotary position embedding on WebGPU (shaders/rope.wgsl): forward, and backward as the
// same kernel with `inverse` (rotation by -angle; R^T = R^-1).
//   x, out (B,T,H,D); positions (B*T) i32; layouts 'half' (HF rotate_half) and 'interleaved'.
// inv_freq (rd/2) is computed here on the host the way Hugging Face computes it in f32
// (`1 / theta ** (arange(0, rd, 2).float() / rd)`, LongRoPE: `1 / (factors * theta ** ...)`),
// uploaded once per (theta, rd, factors) and kept
// for the backend's lifetime; the angle positions[n] * inv_freq[i] is rounded to f32 once on
// the device. Out may not alias x (WebGPU forbids a buffer bound both read and read-write).
import type { RopeOptions, Tensor } from '../../backend.js';
import { ShapeError } from '../../backend.js';
import { checkRope } from '../../validate.js';
import { grid1d, Params, type GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';

const WG = 256;

/** inv_freq[i] = f32(1 / f32(theta^f32(2i/rd))), i < rd/2 — Hugging Face's f32 computation
 *  (the power correctly rounded to f32; PyTorch's own powf is within 1 ulp of it). */
export function ropeInvFreq(theta: number, rotaryDim: number, factors?: Float32Array): Float32Array {
  const f = new Float32Array(rotaryDim / 2);
  for (let i = 0; i < f.length; i++) {
    const e = Math.fround((2 * i) / rotaryDim);
    const pw = Math.fround(Math.pow(theta, e));
    // LongRoPE: 1 / (factor · theta^e), the product rounded to f32 first
    f[i] = Math.fround(1 / (factors ? Math.fround(factors[i] * pw) : pw));
  }
  return f;
}

const invFreqCache = new WeakMap<WebGPUBackend, Map<string, GPUTensor>>();

function invFreqTensor(be: WebGPUBackend, theta: number, rd: number, factors?: Float32Array): GPUTensor {
  let m = invFreqCache.get(be);
  if (!m) invFreqCache.set(be, (m = new Map()));
  const key = `${theta}:${rd}${factors ? ':' + Array.from(factors).join(',') : ''}`;
  let t = m.get(key);
  if (!t || t.disposed) {
    t = be.ctx.createTensor([rd / 2], 'f32', `rope.inv_freq(theta=${theta},rd=${rd})`);
    be.ctx.upload(t, ropeInvFreq(theta, rd, factors)); // once per (theta, rd, factors): flushes recorded work first
    m.set(key, t);
  }
  return t;
}

export function rope(be: WebGPUBackend, out: Tensor, x: Tensor, positions: Tensor, o: RopeOptions): void {
  const rd = checkRope(out, x, positions, o);
  if (!(o.theta > 0) || !Number.isFinite(o.theta)) throw new ShapeError(`rope: theta=${o.theta} must be a positive finite number (e.g. 10000)`);
  if (o.layout !== 'half' && o.layout !== 'interleaved') throw new ShapeError(`rope: layout "${o.layout}" must be 'half' (Hugging Face rotate_half) or 'interleaved'`);
  const tOut = be.t(out), tX = be.t(x);
  if (tOut.buffer === tX.buffer) throw new ShapeError('rope: out and x are the same tensor; WebGPU cannot bind one buffer for reading and writing — use a separate output');
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const slots = D - rd / 2;
  const n = B * T * H * slots;
  const p = new Params().u(n).u(slots).u(D).u(rd / 2).u(H).u(o.layout === 'half' ? 0 : 1).u(o.inverse ? 1 : 0).f(o.scale ?? 1);
  be.ctx.dispatch('rope', 'rope', {}, p, [tOut, tX, be.t(positions), invFreqTensor(be, o.theta, rd, o.freqFactors)], grid1d(n, WG));
}
