// The average policy of a run, π̄ = (1/T) Σ_t π_t — the object SPPO's theory speaks about — as a
// model one can sample: each response comes from an iterate drawn uniformly and independently
// for its (prompt, sample) pair, then sampled from that iterate with the pair's own stream. So
// with one response per prompt, one iterate per prompt. Iterates are loaded one at a time (only
// those drawn), so memory is that of one model.
import type { Policy, SampleOptions } from './policy.js';
import type { PromptItem } from './prompts.js';
import { mix64 } from '../sampling/rng.js';

/** one iterate of the mixture: loads its policy (and frees it) on demand */
export interface MixtureMember {
  name: string;
  load(): Promise<{ policy: Policy; dispose(): void }>;
}

/** SplitMix64 of (seed, prompt index, k) → uniform integer in [0, n): the iterate of a response */
export function mixtureChoice(seed: bigint | number, promptIndex: number, k: number, n: number): number {
  const z = mix64(BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(promptIndex) * 0xbf58476d1ce4e5b9n + BigInt(k) * 0x94d049bb133111ebn + 0x5851f42d4c957f2dn));
  return Number((z >> 11n) % BigInt(n));
}

/**
 * K responses per prompt from the mixture of `members`: ids[p][k], and iterate[p][k] the index
 * of the member that produced each. Seeded and independent of batching, like Policy.sample.
 */
export async function sampleMixture(members: MixtureMember[], prompts: { item: PromptItem; ids: number[] }[], o: SampleOptions): Promise<{ ids: number[][][]; iterate: number[][] }> {
  if (!members.length) throw new Error('mixture: no iterates to sample from');
  const iterate = prompts.map((p) => Array.from({ length: o.k }, (_, k) => mixtureChoice(o.seed, p.item.index, k, members.length)));
  const ids: number[][][] = prompts.map(() => new Array(o.k));
  for (let m = 0; m < members.length; m++) {
    if (!iterate.some((row) => row.includes(m))) continue;
    const { policy, dispose } = await members[m].load();
    try {
      const got = await policy.sample(prompts, { ...o, only: (p, k) => iterate[p][k] === m });
      got.forEach((row, p) => row.forEach((r, k) => { if (iterate[p][k] === m) ids[p][k] = r; }));
    } finally { dispose(); }
  }
  return { ids, iterate };
}
