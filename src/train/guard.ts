// The numerical guard of every training loop (SFT, SPPO, judge training): a step whose loss or
// gradient norm is not finite is stopped BEFORE the optimizer applies it, with one error naming
// the run, the iteration, the step and the unit; weights made non-finite by an update are caught
// at the next step (a device Σw² read with the gradient norm: two scalars, no per-parameter
// readback); a loss that grows by orders of magnitude over the run's first loss warns with the
// step. Nothing here touches the device: the loops pass the scalars they read anyway.
import { nonFiniteTensors } from '../model/finite.js';

/** A training step produced a non-finite loss, gradient norm or weights; nothing was applied. */
export class DivergenceError extends Error {
  constructor(message: string, readonly step: number, readonly iteration: number | null, readonly unit: string | null) {
    super(message);
    this.name = 'DivergenceError';
  }
}

export interface GuardOptions {
  /** the loop, for messages: 'sppo train', 'sppo sft', 'sppo train-judge' */
  what: string;
  /** SPPO iteration (1-based), when there is one */
  iteration?: number;
  /** what to try instead, e.g. 'lower "lr" (now 10) or set "maxGradNorm"' (a function: read when a message is made) */
  fix: string | (() => string);
  /** warnings (loss growth); default: none */
  warn?: (message: string) => void;
  /** warn when the loss reaches this multiple of the run's first finite loss (default 100) */
  growth?: number;
}

export class TrainingGuard {
  private first: number | null = null;
  private warnedAt = 0;
  constructor(readonly o: GuardOptions) {}

  private fix(): string { return typeof this.o.fix === 'function' ? this.o.fix() : this.o.fix; }

  private where(step: number, unit?: string): string {
    return `${this.o.what}: ${this.o.iteration !== undefined ? `iteration ${this.o.iteration}, ` : ''}step ${step}${unit ? ` (${unit})` : ''}`;
  }

  /**
   * Σw² of the weights the update of `step` left: non-finite (NaN/Inf, or weights over ~1e19
   * whose squares overflow f32) means that update broke them.
   */
  checkWeights(step: number, weightsNormSq: number, unit?: string): void {
    if (Number.isFinite(weightsNormSq)) return;
    throw new DivergenceError(`${this.where(step, unit)}: its update left non-finite (or over 1e19) weights (Σw² = ${weightsNormSq}); nothing after step ${step - 1} is kept. Fix: ${this.fix()}`, step, this.o.iteration ?? null, unit ?? null);
  }

  /**
   * Call after the backward pass, before the optimizer update. `step` is 1-based; `unit` names
   * where the step belongs (an epoch, a training unit) and what is kept (the last checkpoint).
   * `weightsNormSq`: Σw² of the weights as the previous update left them (non-finite = that
   * update broke them), when the loop measures it.
   */
  check(step: number, loss: number, gradNorm: number, unit?: string, weightsNormSq?: number): void {
    const fail = (what: string) => {
      throw new DivergenceError(`${this.where(step, unit)}: ${what}; the step was not applied. Fix: ${this.fix()}`, step, this.o.iteration ?? null, unit ?? null);
    };
    if (weightsNormSq !== undefined) this.checkWeights(step - 1, weightsNormSq, unit);
    if (!Number.isFinite(loss)) fail(`the loss is ${loss}`);
    if (!Number.isFinite(gradNorm)) fail(`the gradient norm is ${gradNorm} (the loss was ${loss})`);
    if (this.first === null) { this.first = Math.abs(loss); return; }
    const growth = this.o.growth ?? 100;
    const ref = Math.max(this.first, 1e-6);
    // warn at 100× the first loss, then again at each further ×10
    const ratio = Math.abs(loss) / ref;
    if (ratio >= growth && ratio >= this.warnedAt * 10) {
      this.warnedAt = ratio;
      this.o.warn?.(`${this.where(step, unit)}: the loss ${fmt(loss)} is ${fmt(ratio)}× the first step's ${fmt(this.first)} — training may be diverging. Fix: ${this.fix()}`);
    }
  }
}

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(Number(x.toPrecision(4))));

/**
 * Throws a DivergenceError when any tensor holds NaN or ±Inf: called on host copies just before a
 * checkpoint or model is written (`target` names it), so no file ever holds them.
 */
export function assertFiniteWeights(tensors: Iterable<[string, ArrayLike<number>]>, target: string, o: { what: string; step: number; iteration?: number; unit?: string; fix: string }): void {
  const bad = nonFiniteTensors(tensors);
  if (!bad.length) return;
  const list = bad.slice(0, 5).map((b) => `${b.name} (${b.count} of ${b.size})`).join(', ') + (bad.length > 5 ? `, ... (${bad.length} tensors)` : '');
  const where = `${o.what}: ${o.iteration !== undefined ? `iteration ${o.iteration}, ` : ''}step ${o.step}${o.unit ? ` (${o.unit})` : ''}`;
  throw new DivergenceError(`${where}: ${target} not written: its update left non-finite weights in ${list}. Fix: ${o.fix}`, o.step, o.iteration ?? null, o.unit ?? null);
}
