// The model-directory judge kinds, in ONE table that loadJudge tries in order (load.ts imports
// this module the first time a spec is a path that no other kind takes, so bundles without a
// file system never load it). A spec is the directory, optionally with options in a query:
// "path/to/rm?backend=wasm&batchSize=8". To add a kind, add one entry (name, matches, load).
//   reward-model    config.json architectures ...ForSequenceClassification → reward-model.ts
//   pairwise-model  config.json architectures ["SppoPairwiseJudge"]        → pairwise-model.ts
//   model-directory any other config.json (e.g. a causal LM): a clear error saying what a judge
//                   directory must be
import path from 'node:path';
import type { JudgeKind, LoadJudgeOptions } from './load.js';
import { modelDirKind, PAIRWISE_ARCH, readConfigJson, splitDirSpec, type ModelDirKind } from './model-common.js';
import { pairwiseJudge } from './pairwise-model.js';
import { rewardModelJudge } from './reward-model.js';
import { JudgeError } from './types.js';

function kindOf(spec: string, o: LoadJudgeOptions): { kind: ModelDirKind | null; dir: string; query: string } {
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return { kind: null, dir: '', query: '' }; // builtin:, http:, ...
  const { dir, query } = splitDirSpec(spec, (o.cwd as string | undefined) ?? process.cwd());
  return { kind: modelDirKind(dir), dir, query };
}

export const MODEL_JUDGE_KINDS: readonly JudgeKind[] = [{
  name: 'reward-model',
  matches: (spec, o) => kindOf(spec, o).kind === 'reward',
  load: (spec, o) => { const k = kindOf(spec, o); return rewardModelJudge(k.dir, o, k.query); },
}, {
  name: 'pairwise-model',
  matches: (spec, o) => kindOf(spec, o).kind === 'pairwise',
  load: (spec, o) => { const k = kindOf(spec, o); return pairwiseJudge(k.dir, o, k.query); },
}, {
  // last: a model directory that no kind above takes
  name: 'model-directory',
  matches: (spec, o) => kindOf(spec, o).kind === 'model',
  load: async (spec, o) => {
    const { dir } = kindOf(spec, o);
    const archs = readConfigJson(dir)?.architectures;
    throw new JudgeError(spec, `is a model directory (${path.resolve(dir)}, architectures ${JSON.stringify(archs ?? null)}) but not a judge: ` +
      `a judge directory holds a reward model (config.json architectures ...ForSequenceClassification, num_labels 1) ` +
      `or a pairwise judge (architectures ["${PAIRWISE_ARCH}"]); train one from this model with ` +
      `sppo train-judge --model ${spec} --data PAIRS.jsonl --out DIR`);
  },
}];
