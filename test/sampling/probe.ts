// A fixed sampling scenario run unchanged in Node, Deno and Chromium (crossruntime.test.ts):
// its logits come from integer arithmetic only, so any difference in the output is the sampler's.
// No node: imports. Exports run(); the runtimes print/return its JSON.
import { Sampler, SamplerRng, type SampleConfig } from '../../src/sampling/index.js';

export async function run(): Promise<{ tokens: number[]; logprobs: number[]; rawLogprobs: number[] }> {
  const V = 5003, B = 4;
  const sampler = await Sampler.create(V, B);
  let x = 0x12345678;
  const logits = new Float32Array(B * V);
  for (let i = 0; i < logits.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    logits[i] = ((x >>> 8) % 20001 - 14000) / 1000; // in [-14, 6], a fat upper tail of its own
  }
  const configs: SampleConfig[] = [
    { temperature: 0.8, topP: 0.9 },
    { topK: 40, temperature: 1.2, minP: 0.02 },
    { repetitionPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.1 },
    { temperature: 0.5, topK: 100, topP: 0.8, minP: 0.01 },
  ];
  const rngs = Array.from({ length: B }, (_, i) => SamplerRng.fromSeed(20240601n, i));
  const hist: number[][] = Array.from({ length: B }, () => []);
  const out = { tokens: [] as number[], logprobs: [] as number[], rawLogprobs: [] as number[] };
  for (let step = 0; step < 100; step++) {
    const r = sampler.sample(logits, configs, rngs, hist);
    for (let i = 0; i < B; i++) {
      hist[i].push(r.tokens[i]);
      out.tokens.push(r.tokens[i]); out.logprobs.push(r.logprobs[i]); out.rawLogprobs.push(r.rawLogprobs[i]);
    }
  }
  return out;
}
