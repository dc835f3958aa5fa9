// Gemma's RMSNorm multiplies by (1 + w), w as the checkpoint stores it (HF: output · (1.0 +
// weight.float()), in f32). The norm ops take the multiplier itself, so the model keeps, per norm
// weight, a device tensor holding 1 + w (f32, rounded once as PyTorch rounds it) and passes that to
// rmsnorm / rmsnormBackward. The gradient rmsnormBackward accumulates is d/d(1 + w) = d/dw: it goes
// to w's own gradient unchanged, and the optimizer, weight decay and checkpoints all see w.
// refresh() recomputes every 1 + w from the current weights (fill 1, then += w): call it whenever
// the weights may have changed since the last refresh — at the start of each forward, once per
// decoder (weights do not change during generation).
import type { Backend, Tensor } from '../kernels/backend.js';

export class OffsetNormWeights {
  private readonly eff = new Map<string, Tensor>();

  /** names: the norm weights (C) that multiply as (offset + w) */
  constructor(private readonly be: Backend, private readonly offset: number, private readonly names: readonly string[]) {}

  /** 1 + w for every norm, from the current weights (params looked up by name) */
  refresh(param: (name: string) => Tensor): void {
    for (const name of this.names) {
      const w = param(name);
      let t = this.eff.get(name);
      if (!t || t.size !== w.size) {
        if (t) this.be.dispose(t);
        t = this.be.tensor([w.size], 'f32', `${name}+${this.offset}`);
        this.eff.set(name, t);
      }
      this.be.fill(t, this.offset);
      this.be.axpy(t, w, 1);
    }
  }

  /** the multiplier (offset + w) of norm `name` as of the last refresh */
  get(name: string): Tensor {
    const t = this.eff.get(name);
    if (!t) throw new Error(`model: no effective norm weight for ${name} (refresh() first)`);
    return t;
  }

  dispose(): void {
    for (const t of this.eff.values()) this.be.dispose(t);
    this.eff.clear();
  }
}
