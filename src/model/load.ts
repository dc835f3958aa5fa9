// Loading a model directory onto a backend and saving a model back (Node side).
import type { Backend, Tensor } from '../kernels/backend.js';
import { HalfArray } from '../kernels/half.js';
import { paramCount, paramSpecs, type Arch } from './arch.js';
import type { ModelConfig, GenerationConfig } from './config.js';
import { archFromConfig, fromHF, llamaName, toHF } from './hf-names.js';
import { downloadParams, uploadParams } from './init.js';
import { checkModelFits } from './plan.js';
import { checkCheckpointUsage, readModelDir, readModelMeta, writeModelDir, writeModelDirStreamed } from './modeldir.js';
import { checkpointDTypes, streamTensors } from './io-files.js';
import { hfParamList } from './io-params.js';
import { nonFiniteTensors } from './finite.js';
import { Transformer } from './transformer.js';
import { fileDType, keepsHalf, type LoadModelOptions, type WeightFileDType, type WeightsMode } from './weights-mode.js';

export interface LoadedModel {
  model: Transformer;
  config: ModelConfig;
  arch: Arch;
  generation: GenerationConfig | null;
  dir: string;
  /** the checkpoint's weight dtype (the most common float dtype of its tensors); saveModel
   *  writes it again unless told otherwise (also on model.sourceDtype) */
  dtype: WeightFileDType;
}

export type { WeightFileDType, WeightsMode, LoadModelOptions } from './weights-mode.js';

/**
 * Loads a model directory onto a backend. The memory budget is checked first (weights as they
 * will sit on the device, training state unless `lora`, one pass: see plan.ts), then Llama-family
 * weights stream tensor by tensor from the safetensors file(s) to the device (16-bit matrices
 * stay 16-bit under 'keep'), each host copy dropped once uploaded: the model is never held whole
 * in JavaScript. Rows per pass are planned later (planPass).
 */
export function loadModel(be: Backend, dir: string, o: LoadModelOptions = {}): LoadedModel {
  const mode: WeightsMode = o.weights ?? (o.training ? 'f32' : 'keep');
  if (mode !== 'keep' && mode !== 'f32') throw new Error(`loadModel: weights must be 'keep' or 'f32', got ${JSON.stringify(o.weights)}`);
  const { config, generation } = readModelMeta(dir);
  const arch = archFromConfig(config, `${dir}/config.json`);
  const fileType = fileDType(checkpointDTypes(dir));
  const half = mode === 'keep' && arch.family !== 'gpt2' && fileType !== 'F32';
  checkModelFits(be, arch, { training: !!o.training, lora: o.lora, seq: o.seq ?? 16, weightBytes: half ? 2 : 4, what: `model ${dir}` });
  let params: Map<string, Tensor>, dtypes: Record<string, number>;
  const keepHalf = (spec: { shape: readonly number[] }) => keepsHalf(mode, config.arch, spec.shape);
  if (arch.family === 'llama') {
    // the whole checkpoint is matched to the config before a tensor streams to the device
    checkCheckpointUsage(dir, config);
    const byHF = new Map(paramSpecs(arch).map((s) => [llamaName(s.name, arch), s]));
    params = new Map();
    try {
      ({ dtypes } = streamTensors(dir, hfParamList(config), (hfName, data) => {
        const s = byHF.get(hfName);
        if (s) params.set(s.name, data instanceof HalfArray ? be.fromArray(data.bits, s.shape, data.dtype, s.name) : be.fromArray(data, s.shape, 'f32', s.name));
      }, { keepHalf }));
    } catch (e) {
      for (const t of params.values()) be.dispose(t);
      throw e;
    }
  } else {
    const md = readModelDir(dir, undefined, { keepHalf: (spec, cfg) => keepsHalf(mode, cfg.arch, spec.shape) });
    dtypes = md.dtypes;
    params = uploadParams(be, arch, fromHF(arch, md.tensors));
  }
  const model = new Transformer(be, arch, params);
  const dtype = fileDType(dtypes);
  model.sourceDtype = dtype;
  return { model, config, arch, generation, dir, dtype };
}

/**
 * Save parameters in HF layout (config, weights, tokenizer files carried from copyFrom). Weights
 * are written in `dtype`, by default the dtype the model was loaded with (model.sourceDtype; F32
 * for a fresh model); BF16/F16 round to nearest even. A model
 * with LoRA adapters is saved merged (W + (α/r)·B A) unless `adapters: 'separate'`, which writes the
 * base weights unchanged plus a PEFT adapter (adapter_model.safetensors + adapter_config.json).
 * Llama-family weights stream to the file a slice at a time (writeModelDirStreamed): the host
 * holds one slice of f32 (merged) values, not a copy of the model.
 */
export async function saveModel(model: Transformer, config: ModelConfig, dir: string, o: { copyFrom?: string; dtype?: WeightFileDType; generation?: GenerationConfig; overwrite?: boolean; adapters?: 'merge' | 'separate' } = {}): Promise<void> {
  const separate = o.adapters === 'separate' && model.lora.size > 0;
  if (model.arch.family !== 'gpt2') {
    // Llama family: one tensor (slice) at a time from the device — merged with its adapter,
    // converted to the file's dtype, written, dropped — never the whole model on the host
    const internal = new Map(paramSpecs(model.arch).map((s) => [llamaName(s.name), s.name]));
    const dtype = o.dtype ?? model.sourceDtype ?? 'F32';
    await writeModelDirStreamed(dir, {
      config, dtype, copyFrom: o.copyFrom, generation: o.generation, overwrite: o.overwrite ?? true,
      tensors: (name, offset, count) => {
        const n = internal.get(name);
        if (!n) throw new Error(`saveModel: ${name} is not a parameter of this model`);
        return model.mergedSlice(n, offset, count, !separate);
      },
    });
    if (separate) await writePeftAdapter(model, dir);
    return;
  }
  const host = model.lora.size && !separate ? await model.mergedParams() : await downloadParams(model.be, new Map([...model.params].filter(([n]) => !n.includes('.lora_'))));
  // the dtype it was loaded with unless told otherwise (16-bit weights read back widened and
  // written again round to the same bits: RNE of an exact value)
  const dtype = o.dtype ?? model.sourceDtype ?? 'F32';
  writeModelDir(dir, { config, tensors: toHF(model.arch, host), dtype, copyFrom: o.copyFrom, generation: o.generation, overwrite: o.overwrite ?? true });
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
  // like every model write: no NaN/Inf on disk
  const bad = nonFiniteTensors(tensors.map((t) => [t.name, t.data] as [string, Float32Array]));
  if (bad.length) throw new Error(`LoRA adapter for ${dir}: not written: non-finite (NaN/Inf) weights in ${bad.slice(0, 5).map((b) => `${b.name} (${b.count} of ${b.size})`).join(', ')}: training diverged; lower the learning rate`);
  writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), tensors);
  writeFileAtomic(path.join(dir, 'adapter_config.json'), JSON.stringify({
    peft_type: 'LORA', task_type: 'CAUSAL_LM', r: rank, lora_alpha: alpha, lora_dropout: 0, bias: 'none',
    fan_in_fan_out: false, target_modules: [...modules].sort(), base_model_name_or_path: null, inference_mode: true,
  }, null, 2) + '\n');
}

export { paramCount };
