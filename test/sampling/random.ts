// Fresh random inputs for the sampler tests: mulberry32 from a printed seed (SPPO_SEED=n reproduces).
export const SEED = process.env.SPPO_SEED ? Number(process.env.SPPO_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
console.log(`  (inputs seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);

export class TestRng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo)); }
  normal(): number {
    const u = Math.max(this.next(), 1e-12), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** logits ~ N(0, std²), a fraction masked to -Infinity (never all) */
  logits(n: number, std = 2, masked = 0): Float32Array {
    const a = Float32Array.from({ length: n }, () => this.normal() * std);
    for (let i = 0; i < n; i++) if (this.next() < masked) a[i] = -Infinity;
    a[this.int(0, n)] = this.normal() * std; // at least one finite
    return a;
  }
}
