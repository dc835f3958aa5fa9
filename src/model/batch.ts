// Packing token sequences into padded [B, T] batches.
//  - right padding (training, scoring): positions 0..len-1, padding after;
//  - left padding (generation): real tokens end at T-1, positions still start at 0.
// targets[b,t] = ids[b,t+1] where position t+1 is a scored token (a response token), else -1;
// scoreMask[b,t] = 1 where targets[b,t] >= 0 (the f32 mask seqSum needs).
// Padding slots hold id -1 (PAD_ID) unless padId is given: the embedding kernels give an id
// outside [0, V) a row of zeros, so no row of the table (a pad token's row may hold NaN or Inf
// in a checkpoint) is read for a slot that no sequence owns.
import type { Batch } from './transformer.js';

export interface Sequence {
  /** context tokens (not scored) */
  prompt: ArrayLike<number>;
  /** scored tokens, appended after the prompt */
  response: ArrayLike<number>;
}

export interface PackedBatch extends Batch {
  /** (B,T) f32: 1 where a response token is predicted */
  scoreMask: Float32Array;
  /** real length of each row */
  lengths: number[];
}

/** the id of padding slots: outside every vocabulary (its embedding is a row of zeros) */
export const PAD_ID = -1;

export function packBatch(seqs: Sequence[], o: { padSide?: 'left' | 'right'; T?: number; padId?: number } = {}): PackedBatch {
  const B = seqs.length;
  if (B === 0) throw new Error('packBatch: no sequences');
  const lengths = seqs.map((s) => s.prompt.length + s.response.length);
  const T = o.T ?? Math.max(...lengths);
  if (Math.max(...lengths) > T) throw new Error(`packBatch: a sequence of ${Math.max(...lengths)} tokens does not fit T=${T}`);
  const N = B * T;
  const ids = new Int32Array(N).fill(o.padId ?? PAD_ID);
  const positions = new Int32Array(N);
  const keyMask = new Int32Array(N);
  const targets = new Int32Array(N).fill(-1);
  const scoreMask = new Float32Array(N);
  const left = o.padSide === 'left';
  seqs.forEach((s, b) => {
    const len = lengths[b], P = s.prompt.length;
    if (len === 0) throw new Error(`packBatch: sequence ${b} is empty`);
    const start = left ? T - len : 0;
    for (let j = 0; j < len; j++) {
      const idx = b * T + start + j;
      ids[idx] = j < P ? s.prompt[j] : s.response[j - P];
      positions[idx] = j;
      keyMask[idx] = 1;
      // position j predicts token j+1; score it when token j+1 is a response token
      if (j + 1 < len && j + 1 >= P) {
        targets[idx] = j + 1 < P ? s.prompt[j + 1] : s.response[j + 1 - P];
        scoreMask[idx] = 1;
      }
    }
  });
  return { B, T, ids, positions, keyMask, targets, scoreMask, lengths };
}
