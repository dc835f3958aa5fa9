// Which prompts iteration t trains on. The original SPPO trains each iteration on its own split of
// UltraFeedback (iter1, iter2, iter3); here "prompts" is one of
//   "FILE"                               every iteration takes the whole file
//   ["A", "B", "C"]                      iteration t takes entry t (the last one repeats)
//   {"file": "FILE", "split": "iteration"}  the file shuffled (seeded) and cut into `iterations`
//                                        disjoint parts of near-equal size; iteration t takes part t
//   {texts: ["...", ...]}                the prompts themselves (from code: no file), every iteration
// then "maxPrompts" keeps the first n of that set. Item indices stay the file's line order.
import type { PromptItem } from './prompts.js';

export type PromptsSpec = string | string[] | { file: string; split: 'iteration' } | InlinePrompts;
/** prompts given as values (library use) */
export interface InlinePrompts { texts: string[] }
/** evaluation prompts: a file or the prompts themselves */
export type EvalPromptsSpec = string | InlinePrompts;

function inline(o: Record<string, unknown>, key: string, where: string): InlinePrompts {
  for (const k of Object.keys(o)) if (k !== 'texts') throw new Error(`${where}: "${key}" has no key "${k}" next to "texts"`);
  const t = o.texts;
  if (!Array.isArray(t) || !t.length) throw new Error(`${where}: "${key}.texts" must be a non-empty list of prompt strings`);
  const bad = t.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) throw new Error(`${where}: "${key}.texts" must hold strings (the prompts); item ${bad} is ${JSON.stringify(t[bad])}`);
  return { texts: [...t] as string[] };
}

/** checked form of a config's "evalPrompts" ('' = none given) */
export function evalPromptsSpec(v: unknown, where: string): EvalPromptsSpec {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && 'texts' in v) return inline(v as Record<string, unknown>, 'evalPrompts', where);
  throw new Error(`${where}: "evalPrompts" must be a prompts file or, from code, {texts: ["...", ...]}, got ${JSON.stringify(v)?.slice(0, 200)}`);
}

/** checked form of a config's "prompts" ('' = none given) */
export function promptsSpec(v: unknown, where: string): PromptsSpec {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (!v.length || !v.every((x) => typeof x === 'string' && x)) throw new Error(`${where}: "prompts" as a list must hold one or more file names (iteration t takes entry t; the last one repeats), got ${JSON.stringify(v).slice(0, 200)}`);
    return [...v] as string[];
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('texts' in o) return inline(o, 'prompts', where);
    for (const k of Object.keys(o)) if (k !== 'file' && k !== 'split') throw new Error(`${where}: "prompts" has no key "${k}": write {"file": "FILE", "split": "iteration"}`);
    if (typeof o.file !== 'string' || !o.file) throw new Error(`${where}: "prompts.file" must name a prompts file`);
    if (o.split !== 'iteration') throw new Error(`${where}: "prompts.split" must be "iteration" (each iteration its own disjoint part), got ${JSON.stringify(o.split)}`);
    return { file: o.file, split: 'iteration' };
  }
  throw new Error(`${where}: "prompts" must be a file name, a list of files (one per iteration), {"file": "FILE", "split": "iteration"} or, from code, {texts: ["...", ...]}, got ${JSON.stringify(v)}`);
}

/** every file the spec reads, each once */
export function promptFiles(spec: PromptsSpec): string[] {
  if (typeof spec === 'string') return spec ? [spec] : [];
  if (Array.isArray(spec)) return [...new Set(spec)];
  if ('texts' in spec) return [];
  return [spec.file];
}

/** the spec with every file name passed through f (e.g. made relative to the config file) */
export function mapPromptFiles(spec: PromptsSpec, f: (file: string) => string): PromptsSpec {
  if (typeof spec === 'string') return spec ? f(spec) : spec;
  if (Array.isArray(spec)) return spec.map(f);
  if ('texts' in spec) return spec;
  return { file: f(spec.file), split: spec.split };
}

/**
 * The prompts of iteration t (1-based) of `iterations`, from the parsed files (by name).
 * `shuffle(n)` is the run's seeded permutation of n (the same on every resume).
 */
export function iterationPrompts(spec: PromptsSpec, t: number, iterations: number, files: Map<string, PromptItem[]>, shuffle: (n: number) => number[], maxPrompts = 0): PromptItem[] {
  const get = (f: string) => {
    const p = files.get(f);
    if (!p) throw new Error(`prompts: ${f} was not read`);
    return p;
  };
  let set: PromptItem[];
  if (typeof spec === 'string') set = spec ? get(spec) : [];
  else if (Array.isArray(spec)) set = get(spec[Math.min(t, spec.length) - 1]);
  else if ('texts' in spec) set = spec.texts.map((text, index) => ({ index, text }));
  else {
    const all = get(spec.file);
    if (all.length < iterations) throw new Error(`prompts: ${spec.file} holds ${all.length} prompts, fewer than the ${iterations} iterations it is split into: give more prompts or fewer iterations`);
    // part t of the permutation: [floor((t−1)·n/T), floor(t·n/T)), then back in file order
    const perm = shuffle(all.length);
    const lo = Math.floor(((t - 1) * all.length) / iterations), hi = Math.floor((t * all.length) / iterations);
    set = perm.slice(lo, hi).sort((a, b) => a - b).map((i) => all[i]);
  }
  return maxPrompts > 0 ? set.slice(0, maxPrompts) : set;
}
