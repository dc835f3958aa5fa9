// The bf16 Qwen2-shaped PyTorch fixture (tools/make_half_model_fixture.py): its directory, batch,
// expected values, and the batch with every next token as the target.
import fs from 'node:fs';
import path from 'node:path';
import type { Batch } from '../../src/model/transformer.js';

export const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/models/qwen2-bf16');
export const fx = JSON.parse(fs.readFileSync(path.join(dir, 'batch.json'), 'utf8'));
export const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
export const B: number = fx.input_ids.length, T: number = fx.input_ids[0].length;
export const flat = (a: number[][]) => Int32Array.from(a.flat());

/** every next token as the target (token log-probs at all positions) */
export function allTargets(): Batch {
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) targets[b * T + t] = fx.input_ids[b][t + 1];
  return { B, T, ids: flat(fx.input_ids), positions: flat(fx.position_ids), keyMask: flat(fx.attention_mask), targets };
}
