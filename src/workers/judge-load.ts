// A judge from its spec in any runtime. Node and Deno: loadJudge (src/judge/load.ts) — module
// paths, builtin:NAME, http(s) endpoints, model directories. Browsers have no file system:
//   builtin:NAME[?opts]               the built-in judges
//   http(s)://.../judge.js | .mjs     an ES module by URL (default export as in module.ts)
//   blob: / data: URLs                the same, made in the page
//   http(s)://HOST/v1?model=M         an OpenAI-compatible endpoint (fetch)
import { detectRuntime } from '../gpu/runtime.js';
import { JudgeError, throwIfAborted, type Judge, type Pair } from '../judge/types.js';
import { checkPairs, checkProbabilities } from '../judge/validate.js';
import type { LoadJudgeOptions } from '../judge/load.js';

const MODULE_URL = /^(blob:|data:)|^https?:\/\/[^?#]*\.m?js([?#].*)?$/i;

/** the judge for `spec` in this runtime (see the file comment) */
export async function loadJudgeAnywhere(spec: string, o: LoadJudgeOptions = {}): Promise<Judge> {
  if (detectRuntime() !== 'browser') {
    const { loadJudge } = await import('../judge/load.js');
    return loadJudge(spec, o);
  }
  const s = spec.trim();
  if (MODULE_URL.test(s)) return urlModuleJudge(s);
  if (s.startsWith('builtin:') || /^https?:\/\//i.test(s)) {
    const { loadJudge } = await import('../judge/load.js');
    return loadJudge(s, o);
  }
  throw new JudgeError(s, 'cannot be loaded in a browser: give builtin:NAME, the absolute URL of a judge module (.js/.mjs), or an http(s):// chat-completions endpoint');
}

/** A judge module loaded by URL; its default export answers pairs (the module-judge interface). */
export async function urlModuleJudge(url: string): Promise<Judge> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(/* @vite-ignore */ url);
  } catch (e) {
    throw new JudgeError(url, `failed to load: ${(e as Error)?.message ?? e}: check the URL (absolute; same origin or CORS) and that the module parses`);
  }
  const def = mod.default as unknown;
  let fn: (pairs: Pair[], o?: { signal?: AbortSignal }) => unknown;
  let orderSensitive = mod.orderSensitive === true;
  if (typeof def === 'function') fn = def as typeof fn;
  else if (def && typeof (def as Judge).compare === 'function') {
    const j = def as Judge;
    fn = (p, o) => j.compare(p, o);
    if (typeof j.orderSensitive === 'boolean') orderSensitive = j.orderSensitive;
  } else {
    throw new JudgeError(url, 'has no default export function: write `export default async (pairs) => pairs.map((p) => /* P(p.a ≻ p.b) */ 0.5)`');
  }
  return {
    name: url,
    describe: `JS module judge ${url}`,
    orderSensitive,
    info: { kind: 'module', url, orderSensitive },
    async compare(pairs, co = {}) {
      checkPairs(pairs, url);
      throwIfAborted(co.signal);
      const got = await fn(pairs.map((p) => ({ prompt: p.prompt, a: p.a, b: p.b })), { signal: co.signal });
      const out = checkProbabilities(got, pairs.length, url);
      co.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}
