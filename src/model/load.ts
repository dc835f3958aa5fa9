// Loading a model directory onto a backend and saving a model back (Node side).
import type { Backend } from '../kernels/backend.js';
import { paramCount, type Arch } from './arch.js';
import type { ModelConfig, GenerationConfig } from './config.js';
import { archFromConfig, fromHF, toHF } from './hf-names.js';
import { downloadParams, uploadParams } from './init.js';
import { estimateMemory, checkFits } from './memory.js';
import { readModelDir, writeModelDir } from './modeldir.js';
import { Transformer } from './transformer.js';

export interface LoadedModel {
  model: Transformer;
  config: ModelConfig;
  arch: Arch;
  generation: GenerationConfig | null;
  dir: string;
}

export function loadModel(be: Backend, dir: string, o: { training?: boolean; batch?: number; seq?: number } = {}): LoadedModel {
  const md = readModelDir(dir);
  const arch = archFromConfig(md.config, `${dir}/config.json`);
  checkFits(be, estimateMemory(arch, { batch: o.batch ?? 1, seq: o.seq ?? Math.min(arch.maxPositions, 256), training: !!o.training }), dir);
  const model = new Transformer(be, arch, uploadParams(be, arch, fromHF(arch, md.tensors)));
  return { model, config: md.config, arch, generation: md.generation, dir };
}

/** Save parameters in HF layout (config, weights, tokenizer files carried from copyFrom). */
export async function saveModel(model: Transformer, config: ModelConfig, dir: string, o: { copyFrom?: string; dtype?: 'F32' | 'F16'; generation?: GenerationConfig; overwrite?: boolean } = {}): Promise<void> {
  const host = await downloadParams(model.be, model.params);
  writeModelDir(dir, { config, tensors: toHF(model.arch, host), dtype: o.dtype, copyFrom: o.copyFrom, generation: o.generation, overwrite: o.overwrite ?? true });
}

export { paramCount };
