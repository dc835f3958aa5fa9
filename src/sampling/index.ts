// Sampling: seeded, deterministic token sampling over logits (wasm hot loops).
export { Sampler, type SampleResult } from './sampler.js';
export { SamplerRng, splitMix64 } from './rng.js';
export { resolveSampleConfig, GREEDY, type SampleConfig, type ResolvedSampleConfig } from './config.js';
