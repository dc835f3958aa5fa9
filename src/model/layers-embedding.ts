// Input embeddings, forward and backward: x (N, C) = embed[ids] (+ pos_embed[positions] for
// GPT-2's learned positions; × scale for Gemma's √C). ids (N) i32 (−1 at a padding slot gives a
// zero row), positions (N) i32, embed (V, C), pos_embed (P, C).
import type { Backend, Tensor } from '../kernels/backend.js';

/** scale: the rows are multiplied by it (Gemma: √C as f32) */
export interface EmbeddingParams { embed: Tensor; pos?: Tensor; scale?: number }
export interface EmbeddingGrads { embed: Tensor | null; pos: Tensor | null }

/** out (N,C) = embed[ids] (+ pos[positions]) (× scale), through the (N,C) scratch tmp (positions' rows, or the unscaled rows) */
export function embeddingForward(be: Backend, out: Tensor, ids: Tensor, positions: Tensor, p: EmbeddingParams, posTmp?: Tensor): void {
  if (p.scale !== undefined) {
    if (p.pos || !posTmp) throw new Error('model: scaled embeddings need an (N, C) scratch and no learned positions');
    be.embedding(posTmp, p.embed, ids);
    be.scale(out, posTmp, p.scale);
    return;
  }
  be.embedding(out, p.embed, ids);
  if (p.pos) {
    if (!posTmp) throw new Error('model: learned positions need an (N, C) scratch');
    be.embedding(posTmp, p.pos, positions);
    be.axpy(out, posTmp, 1);
  }
}

/** g.embed[ids[n]] += (scale·)dout[n], g.pos[positions[n]] += dout[n] (where they train); a scaled
 *  embedding takes an (N, C) scratch tmp for scale·dout */
export function embeddingBackward(be: Backend, g: EmbeddingGrads, dout: Tensor, ids: Tensor, positions: Tensor, scale?: number, tmp?: Tensor): void {
  if (g.embed && scale !== undefined) {
    if (!tmp) throw new Error('model: a scaled embedding\'s backward needs an (N, C) scratch');
    be.scale(tmp, dout, scale);
    be.embeddingBackward(g.embed, tmp, ids);
  } else if (g.embed) be.embeddingBackward(g.embed, dout, ids);
  if (g.pos) be.embeddingBackward(g.pos, dout, positions);
}
