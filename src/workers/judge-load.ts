// A judge from its spec in any runtime. Node and Deno: loadJudge (src/judge/load.ts) — module
// paths, builtin:NAME, http(s) endpoints, model directories. Browsers have no file system:
//   builtin:NAME[?opts]               the built-in judges
//   http(s)://.../judge.js | .mjs     an ES module by URL (default export as in module.ts)
//   blob: / data: URLs                the same, made in the page
//   http(s)://HOST/v1?model=M         an OpenAI-compatible endpoint (fetch)
// A judge value (a function, an object with compare: judge/value.ts) is used as it is.
import { detectRuntime } from '../gpu/runtime.js';
import { JudgeError, type Judge } from '../judge/types.js';
import { isJudgeValue, judgeFromValue, type JudgeSpec } from '../judge/value.js';
import type { LoadJudgeOptions } from '../judge/load.js';

const MODULE_URL = /^(blob:|data:)|^https?:\/\/[^?#]*\.m?js([?#].*)?$/i;

/** the judge for `spec` in this runtime (see the file comment) */
export async function loadJudgeAnywhere(spec: JudgeSpec, o: LoadJudgeOptions = {}): Promise<Judge> {
  if (isJudgeValue(spec)) return judgeFromValue(spec);
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
  if (!isJudgeValue(def)) {
    throw new JudgeError(url, 'has no default export function: write `export default async (pairs) => pairs.map((p) => /* P(p.a ≻ p.b) */ 0.5)`');
  }
  return judgeFromValue(def, {
    name: url, orderSensitive: mod.orderSensitive !== false, describe: `JS module judge ${url}`,
    fix: "fix the module's default export", info: { kind: 'module', url },
  });
}
