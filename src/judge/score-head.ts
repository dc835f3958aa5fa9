// A linear score head on the final hidden state of each sequence's last token — what a reward
// model (HF *ForSequenceClassification) and the pairwise judge put on a transformer trunk.
//
//   hidden (N, C) row-major, N = B·T: the trunk's final normed hidden states (forwardHidden)
//   last   (B) i32: the row of hidden each sequence is read at (b·T + its last token)
//   w (L, C), b (L) optional:        scores (B, L) = hidden[last] · wᵀ + b
//
// Forward, all on the backend (no host round trip):
//   hLast (B, C) = gather of hidden rows at `last`  (the embedding op: hidden is the "table")
//   scores (B, L) = matmul(hLast, w, transB) + b
// Backward from dscores (B, L):
//   dw (L, C) += dscoresᵀ · hLast               db (L) += Σ_rows dscores
//   dhLast (B, C) = dscores · w
//   dhidden (N, C) = 0 except rows `last`, which get dhLast (scatter-add: embeddingBackward)
// dhidden then goes to Transformer.backwardHidden().
import type { Backend, Tensor } from '../kernels/backend.js';

interface HeadWorkspace {
  B: number; N: number;
  last: Tensor; hLast: Tensor; scores: Tensor; dscores: Tensor; dhLast: Tensor; dhidden: Tensor;
}

export class ScoreHead {
  /** (L, C) */
  readonly w: Tensor;
  /** (L) or null (HF reward models have no bias) */
  readonly b: Tensor | null;
  /** gradients (allocated by zeroGrad) */
  gw: Tensor | null = null;
  gb: Tensor | null = null;
  private ws: HeadWorkspace | null = null;
  private lastB = 0;

  constructor(readonly be: Backend, readonly labels: number, readonly hidden: number, w: Float32Array, b: Float32Array | null) {
    if (w.length !== labels * hidden) throw new Error(`score head: weight has ${w.length} values, expected ${labels}×${hidden}`);
    if (b && b.length !== labels) throw new Error(`score head: bias has ${b.length} values, expected ${labels}`);
    this.w = be.fromArray(w, [labels, hidden], 'f32', 'score.w');
    this.b = b ? be.fromArray(b, [labels], 'f32', 'score.b') : null;
  }

  /** the head's parameters by name ('score.w', 'score.b'), for an optimizer */
  params(): Map<string, Tensor> {
    const m = new Map<string, Tensor>([['score.w', this.w]]);
    if (this.b) m.set('score.b', this.b);
    return m;
  }

  /** allocates (once) and zeroes the gradients; returns them by the same names as params() */
  zeroGrad(): Map<string, Tensor> {
    this.gw ??= this.be.tensor([this.labels, this.hidden], 'f32', 'grad.score.w');
    if (this.b) this.gb ??= this.be.tensor([this.labels], 'f32', 'grad.score.b');
    this.be.fill(this.gw, 0);
    if (this.gb) this.be.fill(this.gb, 0);
    return this.grads();
  }

  grads(): Map<string, Tensor> {
    if (!this.gw) throw new Error('score head: call zeroGrad() first');
    const m = new Map<string, Tensor>([['score.w', this.gw]]);
    if (this.gb) m.set('score.b', this.gb);
    return m;
  }

  private workspace(B: number, N: number): HeadWorkspace {
    if (this.ws && this.ws.B === B && this.ws.N === N) return this.ws;
    this.disposeWorkspace();
    const be = this.be, C = this.hidden, L = this.labels;
    this.ws = {
      B, N,
      last: be.tensor([B], 'i32', 'score.last'),
      hLast: be.tensor([B, C], 'f32', 'score.hLast'),
      scores: be.tensor([B, L], 'f32', 'score.out'),
      dscores: be.tensor([B, L], 'f32', 'score.dout'),
      dhLast: be.tensor([B, C], 'f32', 'score.dhLast'),
      dhidden: be.tensor([N, C], 'f32', 'score.dhidden'),
    };
    return this.ws;
  }

  /** scores (B, L) of the rows `last` of hidden (N, C); the tensor is reused by the next call */
  forward(hidden: Tensor, last: Int32Array): Tensor {
    const C = this.hidden;
    if (hidden.size % C !== 0) throw new Error(`score head: hidden has ${hidden.size} values, not a multiple of hidden size ${C}`);
    const N = hidden.size / C, B = last.length;
    for (let i = 0; i < B; i++) {
      if (!(last[i] >= 0 && last[i] < N)) throw new Error(`score head: last[${i}] = ${last[i]} is outside the ${N} hidden rows`);
    }
    const ws = this.workspace(B, N);
    this.be.write(ws.last, last);
    this.be.embedding(ws.hLast, hidden, ws.last);
    this.be.matmul(ws.scores, ws.hLast, this.w, { m: B, n: this.labels, k: C, transB: true, bias: this.b ?? undefined });
    this.lastB = B;
    return ws.scores;
  }

  /**
   * From d(loss)/d(scores) (B·L values, host), after forward(): accumulates dw, db and returns
   * dhidden (N, C) for Transformer.backwardHidden().
   */
  backward(dscores: Float32Array): Tensor {
    const ws = this.ws;
    if (!ws || this.lastB !== ws.B) throw new Error('score head: backward() needs a forward() first');
    if (!this.gw) throw new Error('score head: call zeroGrad() before backward()');
    const be = this.be, B = ws.B, C = this.hidden, L = this.labels;
    if (dscores.length !== B * L) throw new Error(`score head: dscores has ${dscores.length} values, expected ${B}×${L}`);
    be.write(ws.dscores, dscores);
    be.matmul(this.gw, ws.dscores, ws.hLast, { m: L, n: C, k: B, transA: true, accumulate: true });
    if (this.gb) be.sumRows(this.gb, ws.dscores, { accumulate: true });
    be.matmul(ws.dhLast, ws.dscores, this.w, { m: B, n: C, k: L });
    be.fill(ws.dhidden, 0);
    be.embeddingBackward(ws.dhidden, ws.dhLast, ws.last);
    return ws.dhidden;
  }

  /** host copies of w and b */
  async download(): Promise<{ w: Float32Array; b: Float32Array | null }> {
    return {
      w: (await this.be.read(this.w)) as Float32Array,
      b: this.b ? (await this.be.read(this.b)) as Float32Array : null,
    };
  }

  private disposeWorkspace(): void {
    if (!this.ws) return;
    const { last, hLast, scores, dscores, dhLast, dhidden } = this.ws;
    for (const t of [last, hLast, scores, dscores, dhLast, dhidden]) this.be.dispose(t);
    this.ws = null;
  }

  dispose(): void {
    this.disposeWorkspace();
    this.be.dispose(this.w);
    if (this.b) this.be.dispose(this.b);
    if (this.gw) this.be.dispose(this.gw);
    if (this.gb) this.be.dispose(this.gb);
    this.gw = this.gb = null;
  }
}
