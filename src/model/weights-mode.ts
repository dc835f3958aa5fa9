// How a checkpoint's weights sit on the device (shared by loadModel for directories and
// loadModelFromFiles for models held in memory): 16-bit where they do not train, f32 where they do.

export type WeightFileDType = 'F32' | 'F16' | 'BF16';

/**
 * How weights sit on the device:
 *  'keep' — a BF16/F16 checkpoint's matrices (embedding, projections, LM head) stay 16-bit on
 *           the device (read straight from the file's bytes, no f32 copy); norm weights and
 *           biases are widened to f32. For models that do not train: inference, the reference
 *           policy, judges, and the frozen base under LoRA. Llama family only (GPT-2: f32).
 *  'f32'  — every weight widened to f32 (full fine-tuning: the trained copy is the f32 master).
 * Default: 'keep' without `training`, 'f32' with it.
 */
export type WeightsMode = 'keep' | 'f32';

export interface LoadModelOptions {
  training?: boolean; batch?: number; seq?: number; weights?: WeightsMode;
  /** training trains LoRA adapters only (no gradients or optimizer state for the base): the
   *  memory check before loading counts none */
  lora?: boolean;
}

/** the weights that stay 16-bit under 'keep': 2-D matrices of the Llama family */
export function keepsHalf(mode: WeightsMode, family: string, shape: readonly number[]): boolean {
  return mode === 'keep' && family !== 'gpt2' && shape.length === 2;
}

/** the checkpoint's weight dtype from loadTensors' counts */
export function fileDType(dtypes: Record<string, number>): WeightFileDType {
  let best: WeightFileDType = 'F32', n = -1;
  for (const d of ['F32', 'BF16', 'F16'] as const) if ((dtypes[d] ?? 0) > n) { best = d; n = dtypes[d] ?? 0; }
  return best;
}

