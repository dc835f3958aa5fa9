// The coordinator's environment without a file system — browsers, workers, Deno scripts that
// hold their model as bytes: models are ModelFiles (src/model/memory-dir.ts: from URLs, File
// objects or ArrayBuffers through model-source.ts), prompt files are strings, the run directory
// is a RunStore (MemoryStore by default, or opfsStore), checkpoints of each iteration and
// training states stay in memory (and are written to the store too when it keeps bytes).
//
//   const deps = await memoryDeps(cfg, { backend, judge, models: { demo: files }, texts: { 'train.jsonl': text } });
//   await new SPPO(cfg, deps).run();
//   deps.checkpoints.get('iter-2/model')   // the aligned model's files: config.json, model.safetensors, tokenizer.json ...
// No node: imports.
import type { Backend } from '../../kernels/backend.js';
import type { Judge } from '../../judge/types.js';
import { fileText, loadModelFromFiles, modelToFiles, type ModelFiles } from '../../model/memory-dir.js';
import type { ModelConfig } from '../../model/config.js';
import { SafetensorsBuffer, serializeSafetensors } from '../../model/safetensors.js';
import type { Transformer } from '../../model/transformer.js';
import { tokenizerFromJSONSync } from '../../tokenizer/hf-json.js';
import type { SPPOConfig } from '../config.js';
import type { SPPODeps } from '../coordinator.js';
import { MemoryStore } from './store.js';
import type { RunStore } from '../run-store.js';
import { makeTextCodec } from '../text.js';

/** a RunStore that also keeps bytes (opfsStore does): checkpoints then survive the page */
export interface ByteStore extends RunStore {
  writeBytes(path: string, data: Uint8Array): Promise<void>;
  readBytes(path: string): Promise<Uint8Array>;
}
const keepsBytes = (s: RunStore): s is ByteStore => typeof (s as ByteStore).writeBytes === 'function' && typeof (s as ByteStore).readBytes === 'function';

export interface MemoryDepsOptions {
  backend: Backend;
  judge: Judge;
  evalJudge?: Judge;
  /** model locations the config names (its "model", e.g. "demo") → the model's files */
  models: Record<string, ModelFiles> | Map<string, ModelFiles>;
  /** text files the config names ("prompts", "evalPrompts") → their contents */
  texts: Record<string, string> | Map<string, string>;
  /** the run directory (default: a new MemoryStore) */
  store?: RunStore;
  /** judge each generated unit while the next one generates (a judge in a worker) */
  judgeAhead?: boolean;
}

export interface MemoryDeps extends SPPODeps {
  /** store-relative model directory (e.g. "iter-1/model") → the files savePolicy wrote */
  checkpoints: Map<string, ModelFiles>;
  /** the files of a model location: a name from `models`, or "run:iter-N/model" */
  modelFiles(location: string): Promise<ModelFiles>;
}

type TrainState = { params: Map<string, Float32Array>; opt: Map<string, Float32Array>; meta: Record<string, unknown> };

export async function memoryDeps(cfg: SPPOConfig, o: MemoryDepsOptions): Promise<MemoryDeps> {
  const models = o.models instanceof Map ? o.models : new Map(Object.entries(o.models));
  const texts = o.texts instanceof Map ? o.texts : new Map(Object.entries(o.texts));
  const store = o.store ?? new MemoryStore();
  const checkpoints = new Map<string, ModelFiles>();
  const trainStates = new Map<string, TrainState>();
  const origin = new WeakMap<Transformer, { config: ModelConfig; files: ModelFiles }>();

  async function filesOf(location: string): Promise<ModelFiles> {
    if (location.startsWith('run:')) {
      const rel = location.slice(4);
      const mem = checkpoints.get(rel);
      if (mem) return mem;
      if (keepsBytes(store) && await store.exists(`${rel}/files.json`)) {
        const names: string[] = JSON.parse(await store.readText(`${rel}/files.json`));
        const files: ModelFiles = new Map();
        for (const n of names) files.set(n, await store.readBytes(`${rel}/${n}`));
        checkpoints.set(rel, files);
        return files;
      }
      throw new Error(`sppo: the run's checkpoint ${rel} is not in memory (a memory run directory does not outlive the page): start a new run, or use a store that keeps bytes (opfsStore)`);
    }
    const files = models.get(location);
    if (!files) throw new Error(`sppo: no model "${location}" was given: the config's "model" must name one of the models passed to memoryDeps (${[...models.keys()].join(', ') || 'none given'})`);
    return files;
  }

  return {
    store, backend: o.backend, judge: o.judge, evalJudge: o.evalJudge, judgeAhead: o.judgeAhead,
    checkpoints,
    modelFiles: filesOf,
    async readPrompts(p) {
      const t = texts.get(p);
      if (t === undefined) throw new Error(`sppo: no prompts "${p}" were given: pass its text in memoryDeps({ texts: { ${JSON.stringify(p)}: '...' } }) (given: ${[...texts.keys()].join(', ') || 'none'})`);
      return t;
    },
    async loadPolicy(be, location) {
      const files = await filesOf(location);
      const label = location.startsWith('run:') ? `${store.where}/${location.slice(4)}` : location;
      const lm = loadModelFromFiles(be, files, { training: true, batch: cfg.batchSize * 2, seq: cfg.maxPromptTokens + cfg.maxNewTokens, weights: cfg.loraRank > 0 ? 'keep' : 'f32', lora: cfg.loraRank > 0, label });
      const tokJson = fileText(files, 'tokenizer.json');
      if (tokJson === null) { lm.model.dispose(); throw new Error(`sppo: model ${label} has no tokenizer.json: give the tokenizer with the model files`); }
      const tok = tokenizerFromJSONSync(tokJson, fileText(files, 'tokenizer_config.json'), { file: `${label}/tokenizer.json`, configFile: `${label}/tokenizer_config.json` });
      const text = makeTextCodec(tok, { chat: cfg.chat, eos: lm.config.eosTokenIds });
      origin.set(lm.model, { config: lm.config, files });
      if (cfg.loraRank > 0) lm.model.enableLoRA({ rank: cfg.loraRank, alpha: cfg.loraAlpha, targets: cfg.loraTargets, seed: cfg.seed });
      return { model: lm.model, text };
    },
    async savePolicy(model, rel, st) {
      const og = origin.get(model);
      if (!og) throw new Error('savePolicy: the model was not loaded through this environment');
      const files = await modelToFiles(model, og.config, og.files);
      checkpoints.set(rel, files);
      if (keepsBytes(st)) {
        for (const [n, b] of files) await st.writeBytes(`${rel}/${n}`, b);
        await st.writeText(`${rel}/files.json`, JSON.stringify([...files.keys()]));
      } else {
        await st.writeText(`${rel}/config.json`, new TextDecoder().decode(files.get('config.json')!));
      }
    },
    async saveTrainState(rel, state, st) {
      trainStates.set(rel, { params: new Map(state.params), opt: new Map(state.opt), meta: { ...state.meta } });
      if (keepsBytes(st)) {
        const tensors = [
          ...[...state.params].map(([n, d]) => ({ name: 'param.' + n, shape: [d.length], data: d, dtype: 'F32' as const })),
          ...[...state.opt].map(([n, d]) => ({ name: 'opt.' + n, shape: [d.length], data: d, dtype: 'F32' as const })),
        ];
        await st.writeBytes(rel + '.safetensors', serializeSafetensors(tensors, { meta: JSON.stringify(state.meta) }));
      }
    },
    async loadTrainState(rel, st) {
      const mem = trainStates.get(rel);
      if (mem) return mem;
      if (!keepsBytes(st) || !(await st.exists(rel + '.safetensors'))) return null;
      const f = new SafetensorsBuffer(await st.readBytes(rel + '.safetensors'), `${st.where}/${rel}.safetensors`);
      const params = new Map<string, Float32Array>(), opt = new Map<string, Float32Array>();
      for (const n of f.names()) {
        if (n.startsWith('param.')) params.set(n.slice(6), f.readFloat32(n));
        else if (n.startsWith('opt.')) opt.set(n.slice(4), f.readFloat32(n));
      }
      return { params, opt, meta: JSON.parse(f.metadata.meta ?? '{}') };
    },
  };
}
