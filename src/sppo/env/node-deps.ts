// The coordinator's environment on Node (and Deno through node: modules): models from
// directories, checkpoints as safetensors in the run directory, prompts from files.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../../kernels/backend.js';
import { loadJudge } from '../../judge/load.js';
import { loadModel, saveModel } from '../../model/load.js';
import { SafetensorsFile, writeSafetensorsFile } from '../../model/io-files.js';
import type { Transformer } from '../../model/transformer.js';
import type { ModelConfig } from '../../model/config.js';
import type { SPPOConfig } from '../config.js';
import type { SPPODeps } from '../coordinator.js';
import type { PolicyText } from '../policy.js';
import { diskStore } from './store.js';
import type { RunStore } from '../run-store.js';
import { checkOutDir } from './out-dir.js';
import { builtinModelDir } from './package-root.js';
import { loadPolicyText } from '../text.js';

/** remembered per loaded model: its config and the directory its tokenizer files came from */
const origin = new WeakMap<Transformer, { config: ModelConfig; dir: string }>();

export async function nodeDeps(cfg: SPPOConfig, be: Backend): Promise<SPPODeps> {
  checkOutDir(cfg.out, 'config "out"');
  const store = await diskStore(cfg.out);
  // an offline run without a judge: judging is never asked for (its samples come judged)
  const judge = cfg.judge ? await loadJudge(cfg.judge) : noJudge(cfg.offline);
  const evalJudge = cfg.evalJudge ? await loadJudge(cfg.evalJudge) : undefined;
  // run:PATH is a checkpoint of this run; builtin:NAME a model the package ships (models/NAME)
  const resolve = (location: string) => (location.startsWith('run:') ? store.localPath(location.slice(4))! : location.startsWith('builtin:') ? builtinModelDir(location) : location);
  return {
    store, backend: be, judge, evalJudge,
    async readPrompts(p) {
      try { return fs.readFileSync(p, 'utf8'); } catch (e) {
        throw new Error(`prompts file ${p} cannot be read (${(e as NodeJS.ErrnoException).code}): check the "prompts" path`);
      }
    },
    async loadPolicy(be2, location) {
      const dir = resolve(location);
      const lm = loadModel(be2, dir, { training: true, batch: cfg.batchSize * 2, seq: cfg.maxPromptTokens + cfg.maxNewTokens, weights: cfg.loraRank > 0 ? 'keep' : 'f32', lora: cfg.loraRank > 0 });
      const text: PolicyText = loadPolicyText(dir, { chat: cfg.chat, config: lm.config });
      origin.set(lm.model, { config: lm.config, dir });
      if (cfg.loraRank > 0) lm.model.enableLoRA({ rank: cfg.loraRank, alpha: cfg.loraAlpha, targets: cfg.loraTargets, seed: cfg.seed });
      return { model: lm.model, text };
    },
    async savePolicy(model, rel, st: RunStore) {
      const o = origin.get(model);
      if (!o) throw new Error('savePolicy: model was not loaded through this environment');
      const dir = st.localPath(rel);
      if (!dir) throw new Error(`savePolicy: ${st.where} has no local directories`);
      await saveModel(model, o.config, dir, { copyFrom: o.dir, overwrite: true });
    },
    async saveTrainState(rel, state, st) {
      const file = st.localPath(rel + '.safetensors')!;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tensors = [
        ...[...state.params].map(([n, d]) => ({ name: 'param.' + n, shape: [d.length], data: d, dtype: 'F32' as const })),
        ...[...state.opt].map(([n, d]) => ({ name: 'opt.' + n, shape: [d.length], data: d, dtype: 'F32' as const })),
      ];
      writeSafetensorsFile(file, tensors, { meta: JSON.stringify(state.meta) });
    },
    async loadTrainState(rel, st) {
      const file = st.localPath(rel + '.safetensors')!;
      if (!fs.existsSync(file)) return null;
      const f = SafetensorsFile.open(file);
      const params = new Map<string, Float32Array>(), opt = new Map<string, Float32Array>();
      for (const n of f.names()) {
        if (n.startsWith('param.')) params.set(n.slice(6), f.readFloat32(n));
        else if (n.startsWith('opt.')) opt.set(n.slice(4), f.readFloat32(n));
      }
      const meta = JSON.parse(f.metadata?.meta ?? '{}');
      return { params, opt, meta };
    },
  };
}

/** the judge of an offline run that names none: asking it is one clear error */
function noJudge(offline: string): import('../../judge/types.js').Judge {
  return {
    name: 'none (offline)', orderSensitive: false,
    async compare() { throw new Error(`sppo: this run trains on the offline file ${offline} and has no "judge": set "judge" (or "evalJudge") to judge anything`); },
  };
}
