// The work of `npm run bench -- scale-out`, shared by the bench and its plain-process peer
// (bench/scale-out/plain.ts): an iteration's generation units, and running them with judging
// in one process, one unit after another — what the coordinator does without a queue.
import fs from 'node:fs';
import type { Backend } from '../../src/kernels/backend.js';
import type { Judge } from '../../src/judge/types.js';
import { judgeMatrices } from '../../src/judge/matrix.js';
import { loadModel } from '../../src/model/load.js';
import { Policy } from '../../src/sppo/policy.js';
import { parsePrompts } from '../../src/sppo/prompts.js';
import { loadPolicyText } from '../../src/sppo/text.js';
import type { GenerateUnit } from '../../src/sppo/units.js';

export interface WorkShape { prompts: number; perUnit: number; k: number; tokens: number }

/**
 * The policy at `model` and `shape.prompts` prompts from `promptFile` in units of `perUnit`.
 * A file with fewer prompts is cycled; each repeat has its own index (so its own random streams).
 */
export function makeUnits(be: Backend, model: string, promptFile: string, shape: WorkShape): { policy: Policy; units: GenerateUnit[] } {
  const lm = loadModel(be, model);
  const text = loadPolicyText(model, { chat: false, config: lm.config });
  const base = parsePrompts(fs.readFileSync(promptFile, 'utf8'), promptFile);
  const enc = Array.from({ length: shape.prompts }, (_, i) => {
    const item = { ...base[i % base.length], index: i };
    return { item, ids: text.encodePrompt(item) };
  });
  const units: GenerateUnit[] = [];
  for (let u = 0; u * shape.perUnit < enc.length; u++) {
    units.push({ iteration: 1, unit: u, policy: model, prompts: enc.slice(u * shape.perUnit, (u + 1) * shape.perUnit), k: shape.k, maxNewTokens: shape.tokens, seed: '1000004', sample: { temperature: 1, topP: 1, topK: 0 }, stop: [] });
  }
  return { policy: new Policy(lm.model, text), units };
}

/** generation then judging of every unit here, one unit after another: wall ms */
export async function inProcess(policy: Policy, judge: Judge, units: GenerateUnit[]): Promise<number> {
  const t0 = performance.now();
  for (const u of units) {
    const ids = await policy.sample(u.prompts, { k: u.k, maxNewTokens: u.maxNewTokens, seed: BigInt(u.seed), sample: u.sample, stop: u.stop });
    const texts = ids.map((rs) => rs.map((r) => policy.text.decode(r)));
    await judgeMatrices(judge, u.prompts.map((p, i) => ({ prompt: p.item.text, responses: texts[i] })));
  }
  return performance.now() - t0;
}
