// evaluate(): the win rate of one model against a baseline under a judge — the library face of
// `sppo eval` (Node: models are directories or builtin:NAME). Both models answer every prompt
// once (seeded; greedy by default), the judge compares each pair, and evalStats gives the win
// rate, its 95% interval and the length-controlled win rate.
//   const r = await evaluate({ model: 'runs/x/iter-3/model', baseline: 'builtin:demo',
//     prompts: ['What is 2+3?'], judge: async (pairs) => pairs.map(() => 0.5) });
// The judge is a spec string or a value (a function, an object with compare: judge/value.ts).
// Lengths are in tokens. Progress: onProgress({stage: 'generate' | 'judge', done, total}).
// A model or baseline `mixture:RUN_DIR` is a run's average policy: each response comes from an
// iterate drawn uniformly per prompt (src/sppo/mixture.ts).
import fs from 'node:fs';
import type { Backend } from '../kernels/backend.js';
import { loadJudge } from '../judge/load.js';
import { judgeMatrices } from '../judge/matrix.js';
import type { JudgeSpec } from '../judge/value.js';
import { loadModel } from '../model/load.js';
import { readConfigFile } from '../model/modeldir.js';
import { builtinModelDir } from './env/package-root.js';
import { sampleMixture } from './mixture.js';
import { mixtureMembers, runIterates } from './env/mixture-dir.js';
import { Policy } from './policy.js';
import { parsePrompts, type PromptItem } from './prompts.js';
import { loadPolicyText } from './text.js';
import { evalStats, type EvalStats } from './winrate.js';

export interface EvaluateOptions {
  /** the model to evaluate: a model directory or builtin:NAME */
  model: string;
  /** the baseline: a model directory or builtin:NAME */
  baseline: string;
  /** a prompts file (JSONL, JSON array, text lines) or the prompts themselves */
  prompts: string | string[];
  judge: JudgeSpec;
  /** use the first n prompts (0 = all) */
  n?: number;
  maxNewTokens?: number;
  /** 0 = greedy (default) */
  temperature?: number;
  topP?: number;
  seed?: number;
  chat?: boolean;
  /** default: auto */
  backend?: 'webgpu' | 'wasm' | 'auto' | Backend;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'generate' | 'judge'; done: number; total: number }) => void;
}

export interface EvaluateResult extends EvalStats {
  model: string;
  baseline: string;
  judge: string;
  samples: { prompt: string; response: string; baseline: string; p: number }[];
}

/** a model location → its directory, checked (config.json readable) before anything else is read */
export function modelDirOf(spec: string, what = 'model'): string {
  if (typeof spec !== 'string' || !spec) throw new Error(`sppo: ${what} is missing: give a model directory or builtin:NAME`);
  // a mixture's first iterate stands for it (its tokenizer and config are the run's)
  if (spec.startsWith('mixture:')) return runIterates(spec.slice('mixture:'.length))[0];
  const dir = spec.startsWith('builtin:') ? builtinModelDir(spec) : spec;
  if (!fs.existsSync(dir)) throw new Error(`sppo: ${what} ${spec} does not exist: give a model directory (config.json + model.safetensors + tokenizer.json) or builtin:NAME`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`sppo: ${what} ${spec} is a file, not a model directory: give the folder that holds config.json`);
  readConfigFile(dir); // a clear error naming config.json when it is missing or broken
  return dir;
}

export async function evaluate(o: EvaluateOptions): Promise<EvaluateResult> {
  modelDirOf(o.model, 'model'); modelDirOf(o.baseline, 'baseline');
  let prompts: PromptItem[];
  if (Array.isArray(o.prompts)) prompts = o.prompts.map((text, index) => ({ index, text: String(text) }));
  else {
    let content: string;
    try { content = fs.readFileSync(o.prompts, 'utf8'); } catch (e) {
      throw new Error(`sppo: prompts file ${o.prompts} cannot be read (${(e as NodeJS.ErrnoException).code}): check the path`);
    }
    prompts = parsePrompts(content, o.prompts);
  }
  if (o.n && o.n > 0) prompts = prompts.slice(0, o.n);
  if (!prompts.length) throw new Error('sppo: evaluate was given no prompts');
  const judge = await loadJudge(o.judge);
  let be: Backend, own = false;
  if (o.backend && typeof o.backend === 'object') be = o.backend;
  else {
    const { createBackend } = await import('../kernels/index.js');
    be = await createBackend(o.backend ?? 'auto'); own = true;
  }
  try {
    const sampleOpts = { k: 1, maxNewTokens: o.maxNewTokens ?? 64, seed: BigInt(o.seed ?? 0), sample: { temperature: o.temperature ?? 0, topP: o.topP ?? 1 }, signal: o.signal };
    const total = 2 * prompts.length;
    let done = 0;
    const answer = async (spec: string) => {
      const mixture = spec.startsWith('mixture:') ? spec.slice('mixture:'.length) : null;
      const dir = modelDirOf(spec);
      const lm = loadModel(be, dir);
      const text = loadPolicyText(dir, { chat: !!o.chat, config: lm.config });
      // a mixture loads each drawn iterate itself; the first one only lent its tokenizer files
      if (mixture) lm.model.dispose();
      try {
        const members = mixture ? mixtureMembers(be, mixture, text) : [];
        const policy = mixture ? null : new Policy(lm.model, text);
        const texts: string[] = [], lengths: number[] = [];
        const per = 32;
        for (let i = 0; i < prompts.length; i += per) {
          const enc = prompts.slice(i, i + per).map((item) => ({ item, ids: text.encodePrompt(item) }));
          const ids = (policy ? await policy.sample(enc, sampleOpts) : (await sampleMixture(members, enc, sampleOpts)).ids).map((r) => r[0]);
          for (const r of ids) { texts.push(text.decode(r)); lengths.push(r.length); }
          done += enc.length;
          o.onProgress?.({ stage: 'generate', done, total });
        }
        return { texts, lengths };
      } finally { if (!mixture) lm.model.dispose(); }
    };
    const a = await answer(o.model), b = await answer(o.baseline);
    const items = prompts.map((p, i) => ({ prompt: p.text, responses: [a.texts[i], b.texts[i]] }));
    const probs: number[] = [];
    const per = 64;
    for (let i = 0; i < items.length; i += per) {
      const mats = await judgeMatrices(judge, items.slice(i, i + per), { signal: o.signal });
      probs.push(...mats.map((m) => m[0][1]));
      o.onProgress?.({ stage: 'judge', done: probs.length, total: items.length });
    }
    const stats = evalStats(probs, a.lengths, b.lengths);
    return {
      model: o.model, baseline: o.baseline, judge: judge.name, ...stats,
      samples: prompts.map((p, i) => ({ prompt: p.text, response: a.texts[i], baseline: b.texts[i], p: probs[i] })),
    };
  } finally {
    if (typeof o.judge === 'string') await judge.close?.();
    if (own) be.destroy();
  }
}
