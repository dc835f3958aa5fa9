// Per-row sampling settings (what a request asks for) and their validation.
// Processing order is Hugging Face generate's: penalties → temperature → top-k → top-p → min-p.
//   temperature        0 = greedy (argmax, lowest index on ties); default 1
//   topK               keep logits ≥ the k-th largest (ties kept); 0 = off (default)
//   topP               nucleus: keep tokens whose strictly-larger probability mass is < topP
//                      (computed after top-k); 1 = off (default); 0 keeps only the top logit(s)
//   minP               keep tokens with p ≥ minP · p_max (after top-p); 0 = off (default)
//   repetitionPenalty  HF/CTRL: for each distinct token of the history, logit > 0 → logit / r,
//                      else logit · r; 1 = off (default); must be > 0
//   frequencyPenalty   OpenAI: logit −= count(token in history) · f; 0 = off (default)
//   presencePenalty    OpenAI: logit −= p if the token occurs in the history; 0 = off (default)
// All penalties act on the history passed with the row (prompt + generated so far, or only the
// generated part: the caller decides which ids count).

export interface SampleConfig {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
}

/** A validated config with every field present. */
export interface ResolvedSampleConfig {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
}

export const GREEDY: Readonly<SampleConfig> = Object.freeze({ temperature: 0 });

function bad(field: string, v: unknown, want: string): never {
  throw new RangeError(`SampleConfig.${field} = ${String(v)} is invalid: ${want}`);
}

/** Fill defaults and check ranges; throws a RangeError naming the field and the allowed range. */
export function resolveSampleConfig(c: SampleConfig = {}): ResolvedSampleConfig {
  const temperature = c.temperature ?? 1;
  const topK = c.topK ?? 0;
  const topP = c.topP ?? 1;
  const minP = c.minP ?? 0;
  const repetitionPenalty = c.repetitionPenalty ?? 1;
  const frequencyPenalty = c.frequencyPenalty ?? 0;
  const presencePenalty = c.presencePenalty ?? 0;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) bad('temperature', temperature, 'use a finite number ≥ 0 (0 = greedy)');
  if (temperature > 0 && Math.fround(temperature) === 0) bad('temperature', temperature, 'it rounds to 0 in f32 (the sampler computes in f32); use 0 for greedy or a temperature ≥ 1e-38');
  if (!Number.isInteger(topK) || topK < 0) bad('topK', topK, 'use an integer ≥ 0 (0 = off)');
  if (typeof topP !== 'number' || !(topP >= 0 && topP <= 1)) bad('topP', topP, 'use a number in [0, 1] (1 = off)');
  if (typeof minP !== 'number' || !(minP >= 0 && minP <= 1)) bad('minP', minP, 'use a number in [0, 1] (0 = off)');
  if (typeof repetitionPenalty !== 'number' || !(repetitionPenalty > 0) || !Number.isFinite(repetitionPenalty)) bad('repetitionPenalty', repetitionPenalty, 'use a finite number > 0 (1 = off)');
  if (typeof frequencyPenalty !== 'number' || !Number.isFinite(frequencyPenalty)) bad('frequencyPenalty', frequencyPenalty, 'use a finite number (0 = off)');
  if (typeof presencePenalty !== 'number' || !Number.isFinite(presencePenalty)) bad('presencePenalty', presencePenalty, 'use a finite number (0 = off)');
  return { temperature, topK, topP, minP, repetitionPenalty, frequencyPenalty, presencePenalty };
}
