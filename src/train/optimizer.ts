// Optimizers over named parameters: AdamW, RMSprop (the original SPPO's) and SGD with
// momentum, with global-norm gradient clipping computed on the device (Σ g² into one
// scalar, read by the update kernels: no host round trip inside a step).
import type { Backend, Tensor } from '../kernels/backend.js';

export type OptimizerName = 'adamw' | 'rmsprop' | 'sgd';

export interface OptimizerConfig {
  name: OptimizerName;
  lr: number;
  weightDecay?: number;
  /** AdamW */
  beta1?: number; beta2?: number; eps?: number;
  /** RMSprop smoothing α (torch default 0.99) */
  alpha?: number;
  /** SGD / RMSprop momentum */
  momentum?: number;
  nesterov?: boolean;
  /** clip the global gradient norm to this (0 or undefined: no clipping) */
  maxGradNorm?: number;
}

export class Optimizer {
  private state = new Map<string, Tensor[]>();
  private normSq: Tensor;
  /** Σw² over the parameters after the last update (the guard's check that it left them finite) */
  private weightSq: Tensor;
  /** normSq already holds this step's Σg² (gradNorm() ran): update() reuses it */
  private normReady = false;
  /** 1-based count of steps taken */
  step = 0;

  constructor(readonly be: Backend, readonly params: Map<string, Tensor>, readonly cfg: OptimizerConfig) {
    checkOptimizerConfig(cfg);
    this.normSq = be.tensor([1], 'f32', 'grad-norm-sq');
    this.weightSq = be.tensor([1], 'f32', 'weight-norm-sq');
    be.fill(this.weightSq, 0);
    for (const [name, p] of params) {
      const st: Tensor[] = [];
      const nState = cfg.name === 'adamw' ? 2 : cfg.name === 'rmsprop' ? (cfg.momentum ? 2 : 1) : cfg.momentum ? 1 : 0;
      for (let i = 0; i < nState; i++) { const t = be.tensor(p.shape, 'f32', `${name}.opt${i}`); be.fill(t, 0); st.push(t); }
      this.state.set(name, st);
    }
  }

  /** Σ g² over all gradients into the device scalar (also used for logging the grad norm). */
  gradNormSq(grads: Map<string, Tensor>): Tensor {
    let first = true;
    for (const g of grads.values()) { this.be.sumSquares(this.normSq, g, { accumulate: !first }); first = false; }
    return this.normSq;
  }

  /**
   * The guard's two scalars, read together: ‖g‖ of this step's gradients (kept for the clipping
   * of the update that follows) and Σw² of the weights as the previous update left them.
   */
  async norms(grads: Map<string, Tensor>): Promise<{ gradNorm: number; weightsNormSq: number }> {
    this.gradNormSq(grads);
    this.normReady = true;
    const [g, w] = await Promise.all([this.be.read(this.normSq), this.be.read(this.weightSq)]);
    return { gradNorm: Math.sqrt(g[0]), weightsNormSq: w[0] };
  }

  /** Σw² of the weights as the last update left them (one scalar read) */
  async weightsNormSq(): Promise<number> {
    return (await this.be.read(this.weightSq))[0];
  }

  /** One update with learning rate lr (from the schedule). */
  update(grads: Map<string, Tensor>, lr = this.cfg.lr): void {
    const c = this.cfg, be = this.be;
    this.step++;
    const ready = this.normReady;
    this.normReady = false;
    const clip = c.maxGradNorm && c.maxGradNorm > 0 ? { normSq: ready ? this.normSq : this.gradNormSq(grads), maxNorm: c.maxGradNorm } : undefined;
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const st = this.state.get(name)!;
      if (c.name === 'adamw') {
        be.adamw(p, g, st[0], st[1], { lr, beta1: c.beta1 ?? 0.9, beta2: c.beta2 ?? 0.999, eps: c.eps ?? 1e-8, weightDecay: c.weightDecay ?? 0, step: this.step, clip });
      } else if (c.name === 'rmsprop') {
        be.rmsprop(p, g, st[0], st[1] ?? null, { lr, alpha: c.alpha ?? 0.99, eps: c.eps ?? 1e-8, weightDecay: c.weightDecay ?? 0, momentum: c.momentum ?? 0, clip });
      } else {
        be.sgd(p, g, st[0] ?? null, { lr, momentum: c.momentum ?? 0, weightDecay: c.weightDecay ?? 0, nesterov: c.nesterov, step: this.step, clip });
      }
    }
    // Σw² on the device, read with the next step's gradient norm (no round trip of its own)
    let first = true;
    for (const p of this.params.values()) { be.sumSquares(this.weightSq, p, { accumulate: !first }); first = false; }
  }

  /** Optimizer state for checkpoints (host copies). */
  async saveState(): Promise<{ step: number; tensors: Map<string, Float32Array> }> {
    const tensors = new Map<string, Float32Array>();
    for (const [name, st] of this.state) for (let i = 0; i < st.length; i++) tensors.set(`${name}.opt${i}`, (await this.be.read(st[i])) as Float32Array);
    return { step: this.step, tensors };
  }

  loadState(s: { step: number; tensors: Map<string, Float32Array> }): void {
    this.step = s.step;
    for (const [name, st] of this.state) for (let i = 0; i < st.length; i++) {
      const a = s.tensors.get(`${name}.opt${i}`);
      if (!a) throw new Error(`optimizer state: ${name}.opt${i} is missing from the checkpoint`);
      this.be.write(st[i], a);
    }
  }

  dispose(): void {
    for (const st of this.state.values()) for (const t of st) this.be.dispose(t);
    this.be.dispose(this.normSq);
    this.be.dispose(this.weightSq);
  }
}

/** every option finite and in range (checked before any state is made): one error naming it */
export function checkOptimizerConfig(cfg: OptimizerConfig, what = 'optimizer'): void {
  if (!['adamw', 'rmsprop', 'sgd'].includes(cfg.name)) throw new Error(`${what}: unknown optimizer "${cfg.name}": use adamw, rmsprop or sgd`);
  const ranges: [keyof OptimizerConfig, number, number, boolean][] = [
    // key, min, max, max exclusive
    ['lr', 0, Number.MAX_VALUE, false], ['weightDecay', 0, Number.MAX_VALUE, false], ['maxGradNorm', 0, Number.MAX_VALUE, false],
    ['beta1', 0, 1, true], ['beta2', 0, 1, true], ['alpha', 0, 1, true], ['eps', 0, Number.MAX_VALUE, false], ['momentum', 0, Number.MAX_VALUE, false],
  ];
  for (const [k, lo, hi, open] of ranges) {
    const v = cfg[k];
    if (v === undefined && k !== 'lr') continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (open ? v >= hi : v > hi)) {
      throw new Error(`${what}: ${k} must be a finite number ${open ? `in [${lo}, ${hi})` : `≥ ${lo}`}, got ${v}`);
    }
  }
  if (cfg.name === 'adamw' && cfg.lr * (cfg.weightDecay ?? 0) > 1) {
    throw new Error(`${what}: weight decay ${cfg.weightDecay} with learning rate ${cfg.lr}: AdamW scales weights by 1 − lr·weightDecay each step, which must stay ≥ 0`);
  }
}

/** Learning-rate schedules with linear warmup. */
export function scheduleLR(kind: 'constant' | 'linear' | 'cosine', base: number, step: number, total: number, warmup = 0): number {
  if (warmup > 0 && step < warmup) return (base * (step + 1)) / warmup;
  if (kind === 'constant' || total <= warmup) return base;
  const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  if (kind === 'linear') return base * (1 - p);
  return base * 0.5 * (1 + Math.cos(Math.PI * p));
}
