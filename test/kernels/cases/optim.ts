// Optimizers vs float64 re-implementations of torch.optim's formulas: three consecutive steps
// with fresh gradients each step, state carried on the device, clipping off, and on with a
// max norm that clips at steps 1 and 3 but not at step 2. Parameters and every state tensor
// are compared after the third step (and the parameters after each step).
import { expectClose, type CaseContext, type KernelCase } from '../harness.js';
import { adamwRef, rmspropRef, sgdRef, type Clip } from '../ref/optim.js';

const sizes = [1, 17, 65, 70001];
// clip thresholds as fractions of each step's gradient norm: < 1 clips, > 1 does not
const CLIP_FRACTION = [0.5, 2, 0.25];

interface Step { grad: Float32Array; clip?: Clip; normSq?: number }

/** gradients for 3 steps; with clipping, normSq is Σg² of the f32 gradient and maxNorm a fraction of its root.
 *  |g| ≥ 0.1 (≥ 0.025 once clipped), parameters in [-1, 1] (RMSprop moves them ≤ 0.3 in 3
 *  steps) and wd ≤ 0.01 where it meets √v, so |wd·p| < 0.015 never cancels g: Adam and RMSprop
 *  divide by √v, so a gradient that cancels against wd·p to ~1e-7 would turn plain f32
 *  rounding (of any implementation, torch's included) into 1e-4 changes of the update. */
function gradient(c: CaseContext, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (c.rng.next() < 0.5 ? -1 : 1) * (0.1 + Math.abs(c.rng.normal())));
}
function steps(c: CaseContext, n: number, clip: boolean): Step[] {
  return CLIP_FRACTION.map((frac) => {
    const grad = gradient(c, n);
    if (!clip) return { grad };
    let ss = 0;
    for (const g of grad) ss += g * g;
    const normSq = Math.fround(ss);
    return { grad, normSq, clip: { normSq, maxNorm: Math.fround(frac * Math.sqrt(normSq)) } };
  });
}

/** uploads gradient and normSq for one step; returns the clip option for the op */
function stepInputs(c: CaseContext, s: Step, n: number) {
  const grad = c.input(s.grad, [n]);
  const clip = s.clip ? { normSq: c.input(Float32Array.of(s.normSq!), [1]), maxNorm: s.clip.maxNorm } : undefined;
  return { grad, clip };
}

// f32 state updated 3 times keeps ~1e-7 relative error; 1e-5 leaves room without hiding a
// wrong formula. Each tensor is judged against updateScale: an update that brings a value near
// 0 makes it a difference of larger numbers, whose rounding no f32 kernel keeps to 1e-5 of
// the tiny result (one-element tensors would otherwise be judged against that value alone).
const TOL = 1e-5;

/** max_i |before_i| + |after_i − before_i|: the size of the terms one update combines */
function updateScale(before: ArrayLike<number>, after: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < after.length; i++) s = Math.max(s, Math.abs(before[i]) + Math.abs(after[i] - before[i]));
  return s;
}

const adamCase = (n: number, clip: boolean, wd: number): KernelCase => ({
  name: `adamw n=${n} wd=${wd}${clip ? ' clip' : ''}`,
  async run(c) {
    const { be, rng, input, read } = c;
    const p0 = rng.f32(n, { lo: -1, hi: 1 }), m0 = rng.f32(n, { std: 0.1 }), v0 = rng.f32(n, { lo: 0, hi: 0.1 });
    const p = Float64Array.from(p0), m = Float64Array.from(m0), v = Float64Array.from(v0);
    const tp = input(p0, [n]), tm = input(m0, [n]), tv = input(v0, [n]);
    const o = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd };
    const ss = steps(c, n, clip);
    for (let t = 1; t <= 3; t++) {
      const { grad, clip: cl } = stepInputs(c, ss[t - 1], n);
      be.adamw(tp, grad, tm, tv, { ...o, step: t, clip: cl });
      const pb = p.slice(), mb = m.slice();
      adamwRef(p, ss[t - 1].grad, m, v, { ...o, step: t }, ss[t - 1].clip);
      expectClose(await read(tp), p, TOL, `adamw param after step ${t}`, updateScale(pb, p));
      if (t === 3) expectClose(await read(tm), m, TOL, 'adamw m', updateScale(mb, m));
    }
    expectClose(await read(tv), v, TOL, 'adamw v');
  },
});

const rmspropCase = (n: number, clip: boolean, momentum: number, wd: number): KernelCase => ({
  name: `rmsprop n=${n} momentum=${momentum} wd=${wd}${clip ? ' clip' : ''}`,
  async run(c) {
    const { be, rng, input, read } = c;
    const p0 = rng.f32(n, { lo: -1, hi: 1 }), s0 = new Float32Array(n), b0 = new Float32Array(n);
    const p = Float64Array.from(p0), sq = Float64Array.from(s0), buf = Float64Array.from(b0);
    const tp = input(p0, [n]), ts = input(s0, [n]), tb = momentum > 0 ? input(b0, [n]) : null;
    const o = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: wd, momentum };
    const ss = steps(c, n, clip);
    for (let t = 1; t <= 3; t++) {
      const { grad, clip: cl } = stepInputs(c, ss[t - 1], n);
      be.rmsprop(tp, grad, ts, tb, { ...o, clip: cl });
      const pb = p.slice(), bb = buf.slice();
      rmspropRef(p, ss[t - 1].grad, sq, momentum > 0 ? buf : null, o, ss[t - 1].clip);
      expectClose(await read(tp), p, TOL, `rmsprop param after step ${t}`, updateScale(pb, p));
      if (t === 3 && tb) expectClose(await read(tb), buf, TOL, 'rmsprop momentum buffer', updateScale(bb, buf));
    }
    expectClose(await read(ts), sq, TOL, 'rmsprop square average');
  },
});

const sgdCase = (n: number, clip: boolean, momentum: number, dampening: number, nesterov: boolean, wd: number): KernelCase => ({
  name: `sgd n=${n} momentum=${momentum} dampening=${dampening}${nesterov ? ' nesterov' : ''} wd=${wd}${clip ? ' clip' : ''}`,
  async run(c) {
    const { be, rng, input, read } = c;
    const p0 = rng.f32(n, { lo: -1, hi: 1 });
    // the buffer starts as garbage: step 1 must overwrite it with the gradient
    const b0 = rng.f32(n, { std: 100 });
    const p = Float64Array.from(p0), buf = Float64Array.from(b0);
    const tp = input(p0, [n]), tb = momentum > 0 ? input(b0, [n]) : null;
    const o = { lr: 1e-1, momentum, dampening, nesterov, weightDecay: wd };
    const ss = steps(c, n, clip);
    for (let t = 1; t <= 3; t++) {
      const { grad, clip: cl } = stepInputs(c, ss[t - 1], n);
      be.sgd(tp, grad, tb, { ...o, step: t, clip: cl });
      const pb = p.slice(), bb = buf.slice();
      sgdRef(p, ss[t - 1].grad, momentum > 0 ? buf : null, { ...o, step: t }, ss[t - 1].clip);
      expectClose(await read(tp), p, TOL, `sgd param after step ${t}`, updateScale(pb, p));
      if (t === 3 && tb) expectClose(await read(tb), buf, TOL, 'sgd momentum buffer', updateScale(bb, buf));
    }
  },
});

export const cases: KernelCase[] = [
  ...sizes.flatMap((n) => [adamCase(n, false, 0.1), adamCase(n, true, 0.01)]),
  adamCase(63, false, 0),
  ...sizes.flatMap((n) => [rmspropCase(n, false, 0, 0), rmspropCase(n, true, 0.9, 0.01)]),
  rmspropCase(63, false, 0.5, 0), rmspropCase(63, true, 0, 0.01),
  ...sizes.flatMap((n) => [sgdCase(n, false, 0, 0, false, 0), sgdCase(n, true, 0.9, 0.1, false, 0.01)]),
  sgdCase(63, false, 0.9, 0, true, 0.01), sgdCase(63, true, 0.9, 0, true, 0), sgdCase(3, true, 0, 0, false, 0.1),
  {
    name: 'clipping with normSq = 0 leaves the gradient unscaled',
    async run({ be, rng, input, read }) {
      const n = 5, p0 = rng.f32(n), g = rng.f32(n);
      const tp = input(p0, [n]);
      be.sgd(tp, input(g, [n]), null, { lr: 0.5, momentum: 0, weightDecay: 0, step: 1, clip: { normSq: input(Float32Array.of(0), [1]), maxNorm: 1 } });
      expectClose(await read(tp), Array.from(p0, (v, i) => v - Math.fround(0.5) * g[i]), 1e-6, 'sgd with normSq 0');
    },
  },
  {
    name: 'optimizers reject bad options and shapes',
    async run({ be, out }) {
      const p = out([8]), g = out([8]), m = out([8]), v = out([8]);
      const a = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
      const bad: [string, () => void][] = [
        ['adamw m of 7', () => be.adamw(p, g, out([7]), v, a)],
        ['adamw step 0', () => be.adamw(p, g, m, v, { ...a, step: 0 })],
        ['adamw beta2 = 1', () => be.adamw(p, g, m, v, { ...a, beta2: 1 })],
        ['adamw lr NaN', () => be.adamw(p, g, m, v, { ...a, lr: NaN })],
        ['adamw normSq of 2', () => be.adamw(p, g, m, v, { ...a, clip: { normSq: out([2]), maxNorm: 1 } })],
        ['adamw m = v', () => be.adamw(p, g, m, m, a)],
        ['rmsprop momentum without buf', () => be.rmsprop(p, g, m, null, { lr: 1e-3, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.9 })],
        ['sgd momentum without buf', () => be.sgd(p, g, null, { lr: 0.1, momentum: 0.9, weightDecay: 0, step: 1 })],
        ['sgd nesterov with dampening', () => be.sgd(p, g, m, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true, weightDecay: 0, step: 1 })],
        ['sgd negative lr', () => be.sgd(p, g, null, { lr: -1, momentum: 0, weightDecay: 0, step: 1 })],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    },
  },
];
