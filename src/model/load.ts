// Loading a model directory onto a backend and saving a model back (Node side).
import type { Backend, Tensor } from '../kernels/backend.js';
import { paramCount, paramSpecs, type Arch } from './arch.js';
import type { ModelConfig, GenerationConfig } from './config.js';
import { archFromConfig, fromHF, llamaName, toHF } from './hf-names.js';
import { downloadParams, uploadParams } from './init.js';
import { checkModelFits } from './plan.js';
import { readModelDir, readModelMeta, writeModelDir } from './modeldir.js';
import { streamTensors } from './io-files.js';
import { hfParamList } from './io-params.js';
import { Transformer } from './transformer.js';

export interface LoadedModel {
  model: Transformer;
  config: ModelConfig;
  arch: Arch;
  generation: GenerationConfig | null;
  dir: string;
}

/**
 * Loads a model directory onto a backend. The budget is checked first (weights, training state
 * unless `lora`, one sequence of `seq` tokens: see plan.ts), then Llama-family weights stream
 * tensor by tensor from the safetensors file(s) to the device, each host copy dropped once it
 * is uploaded (the whole model is never held twice). `batch` is accepted for callers that pass
 * it; rows per pass are planned later (planPass).
 */
export function loadModel(be: Backend, dir: string, o: { training?: boolean; batch?: number; seq?: number; lora?: boolean } = {}): LoadedModel {
  const { config, generation } = readModelMeta(dir);
  const arch = archFromConfig(config, `${dir}/config.json`);
  checkModelFits(be, arch, { training: !!o.training, lora: o.lora, seq: o.seq ?? 16, what: `model ${dir}` });
  let params: Map<string, Tensor>;
  if (arch.family === 'llama') {
    const byHF = new Map(paramSpecs(arch).map((s) => [llamaName(s.name), s]));
    params = new Map();
    try {
      streamTensors(dir, hfParamList(config), (hfName, data) => {
        const s = byHF.get(hfName);
        if (s) params.set(s.name, be.fromArray(data, s.shape, 'f32', s.name));
      });
    } catch (e) {
      for (const t of params.values()) be.dispose(t);
      throw e;
    }
  } else {
    params = uploadParams(be, arch, fromHF(arch, readModelDir(dir).tensors));
  }
  const model = new Transformer(be, arch, params);
  return { model, config, arch, generation, dir };
}

/**
 * Save parameters in HF layout (config, weights, tokenizer files carried from copyFrom). A model
 * with LoRA adapters is saved merged (W + (α/r)·B A) unless `adapters: 'separate'`, which writes the
 * base weights unchanged plus a PEFT adapter (adapter_model.safetensors + adapter_config.json).
 */
export async function saveModel(model: Transformer, config: ModelConfig, dir: string, o: { copyFrom?: string; dtype?: 'F32' | 'F16'; generation?: GenerationConfig; overwrite?: boolean; adapters?: 'merge' | 'separate' } = {}): Promise<void> {
  const separate = o.adapters === 'separate' && model.lora.size > 0;
  const host = model.lora.size && !separate ? await model.mergedParams() : await downloadParams(model.be, new Map([...model.params].filter(([n]) => !n.includes('.lora_'))));
  writeModelDir(dir, { config, tensors: toHF(model.arch, host), dtype: o.dtype, copyFrom: o.copyFrom, generation: o.generation, overwrite: o.overwrite ?? true });
  if (separate) await writePeftAdapter(model, dir);
}

/** PEFT's LoRA format (Llama family): base_model.model.<module>.lora_A.weight (r, in), lora_B.weight (out, r). */
async function writePeftAdapter(model: Transformer, dir: string): Promise<void> {
  if (model.arch.family !== 'llama') throw new Error('LoRA adapters can be saved apart for the Llama family only (GPT-2 fuses q/k/v in c_attn): save merged');
  const { writeSafetensorsFile, writeFileAtomic } = await import('./io-files.js');
  const path = await import('node:path');
  const tensors: { name: string; shape: number[]; data: Float32Array; dtype: 'F32' }[] = [];
  const modules = new Set<string>();
  let rank = 0, alpha = 0;
  for (const [name, l] of model.lora) {
    const hf = llamaName(name + '.w').replace(/\.weight$/, '');
    modules.add(hf.split('.').pop()!);
    rank = l.rank; alpha = l.scale * l.rank;
    tensors.push({ name: `base_model.model.${hf}.lora_A.weight`, shape: [...l.a.shape], data: (await model.be.read(l.a)) as Float32Array, dtype: 'F32' });
    tensors.push({ name: `base_model.model.${hf}.lora_B.weight`, shape: [...l.b.shape], data: (await model.be.read(l.b)) as Float32Array, dtype: 'F32' });
  }
  writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), tensors);
  writeFileAtomic(path.join(dir, 'adapter_config.json'), JSON.stringify({
    peft_type: 'LORA', task_type: 'CAUSAL_LM', r: rank, lora_alpha: alpha, lora_dropout: 0, bias: 'none',
    fan_in_fan_out: false, target_modules: [...modules].sort(), base_model_name_or_path: null, inference_mode: true,
  }, null, 2) + '\n');
}

export { paramCount };
