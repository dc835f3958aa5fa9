// Input embeddings, forward and backward: x (N, C) = embed[ids] (+ pos_embed[positions] for
// GPT-2's learned positions). ids (N) i32 (−1 at a padding slot gives a zero row), positions (N) i32,
// embed (V, C), pos_embed (P, C).
import type { Backend, Tensor } from '../kernels/backend.js';

export interface EmbeddingParams { embed: Tensor; pos?: Tensor }
export interface EmbeddingGrads { embed: Tensor | null; pos: Tensor | null }

/** out (N,C) = embed[ids] (+ pos[positions], through the (N,C) scratch posTmp) */
export function embeddingForward(be: Backend, out: Tensor, ids: Tensor, positions: Tensor, p: EmbeddingParams, posTmp?: Tensor): void {
  be.embedding(out, p.embed, ids);
  if (p.pos) {
    if (!posTmp) throw new Error('model: learned positions need an (N, C) scratch');
    be.embedding(posTmp, p.pos, positions);
    be.axpy(out, posTmp, 1);
  }
}

/** g.embed[ids[n]] += dout[n], g.pos[positions[n]] += dout[n] (where they train) */
export function embeddingBackward(be: Backend, g: EmbeddingGrads, dout: Tensor, ids: Tensor, positions: Tensor): void {
  if (g.embed) be.embeddingBackward(g.embed, dout, ids);
  if (g.pos) be.embeddingBackward(g.pos, dout, positions);
}
