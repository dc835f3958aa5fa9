// loadJudge(spec, options) — a Judge from one string, as given to `--judge` or a config file:
//   builtin:NAME[?opt=value&...]   a built-in judge (builtins.ts), e.g. builtin:length?scale=20
//   http(s)://HOST/BASE[?model=M&timeoutMs=...]
//                                  an LLM judge over an OpenAI-compatible chat-completions API
//                                  (http.ts); options from the query and/or the second argument
//   a function / {compare}         a judge value (value.ts), used as it is
//   file:///…/judge.mjs            a module by file: URL
//   ./path/judge.{js,mjs,cjs,ts}   a JS module whose default export answers pairs (module.ts),
//                                  resolved against options.cwd (default: the current directory)
//   a model directory              a reward model / learned pairwise judge: the kinds of the
//                                  table MODEL_JUDGE_KINDS (model-kinds.ts, imported the first
//                                  time a spec falls through to a path)
// Code may plug in more kinds with registerJudgeKind (tried first); the package's own kinds are
// the table and the branches below, never registered by importing a module.
// A key given both in the spec's query and in the options must agree. Options a judge does
// not take are an error (typos fail loudly).
import { builtinJudges, getBuiltin } from './builtins.js';
import { HTTP_OPTION_KEYS, httpJudge, type HttpJudgeOptions } from './http.js';
import { MODULE_EXTENSIONS, moduleJudge } from './module.js';
import { checkKnown, mergeOptions, queryOptions, type RawOptions } from './options.js';
import { JudgeError, type Judge } from './types.js';
import { isJudgeValue, judgeFromValue, type JudgeSpec } from './value.js';

export interface LoadJudgeOptions extends HttpJudgeOptions {
  /** where module paths and model directories resolve (default: the current directory) */
  cwd?: string;
  /** options of a built-in judge (scale, strengths, classes, ...) sit here too */
  [option: string]: unknown;
}

/** another kind of judge spec, e.g. a reward-model directory; tried before the built-in kinds */
export interface JudgeKind {
  name: string;
  /** whether this kind handles `spec` (e.g. a directory holding a reward-model config.json) */
  matches(spec: string, o: LoadJudgeOptions): boolean | Promise<boolean>;
  load(spec: string, o: LoadJudgeOptions): Promise<Judge>;
}

const kinds: JudgeKind[] = [];

/** adds a kind of judge spec from code (replacing one of the same name); tried before every
 *  kind of the package's own */
export function registerJudgeKind(k: JudgeKind): void {
  const i = kinds.findIndex((x) => x.name === k.name);
  if (i >= 0) kinds[i] = k; else kinds.push(k);
}

/** query keys an http spec may carry (the textual options) */
const HTTP_QUERY_KEYS = ['model', 'apiKeyEnv', 'timeoutMs', 'retries', 'backoffMs', 'maxBackoffMs', 'concurrency', 'logprobs', 'topLogprobs', 'systemPrompt'];

const defined = (o: RawOptions): RawOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function builtinList(): string {
  return builtinJudges().map((b) => `builtin:${b.name}`).join(', ');
}

export async function loadJudge(spec: JudgeSpec, options: LoadJudgeOptions = {}): Promise<Judge> {
  if (isJudgeValue(spec)) return judgeFromValue(spec);
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new JudgeError(String(spec), `is not a judge spec: give builtin:NAME (${builtinList()}), an http(s):// URL, a module path (.js/.mjs/.ts) or a model directory`);
  }
  spec = spec.trim();
  const o = defined(options);

  for (const k of kinds) if (await k.matches(spec, o)) return k.load(spec, o);

  if (spec.startsWith('builtin:')) {
    const q = spec.indexOf('?');
    const name = spec.slice('builtin:'.length, q < 0 ? undefined : q);
    const b = getBuiltin(name);
    if (!b) throw new JudgeError(spec, `is not a built-in judge: the built-in judges are ${builtinList()}`);
    const { cwd: _cwd, log: _log, ...rest } = o;
    return b.make(mergeOptions(q < 0 ? {} : queryOptions(spec.slice(q + 1), `builtin:${name}`), rest, `builtin:${name}`));
  }

  if (/^https?:\/\//i.test(spec)) {
    let query: RawOptions = {};
    const u = (() => { try { return new URL(spec); } catch { return null; } })();
    if (!u) throw new JudgeError(spec.replace(/\?.*$/, ''), 'is not a valid URL: give an API base such as http://127.0.0.1:8000/v1?model=NAME');
    const shown = `${u.protocol}//${u.host}${u.pathname}`;
    query = queryOptions(u.search, shown);
    for (const k of Object.keys(query)) {
      if (!HTTP_QUERY_KEYS.includes(k)) throw new JudgeError(shown, `has no URL option "${k}": URL options are ${HTTP_QUERY_KEYS.join(', ')} (the API key goes in an environment variable, never in the URL)`);
    }
    const { cwd: _cwd, ...rest } = o;
    checkKnown(rest, HTTP_OPTION_KEYS, shown);
    u.search = '';
    return httpJudge(u.href, mergeOptions(query, rest, shown) as HttpJudgeOptions);
  }

  // a module by file: URL (e.g. new URL('./judge.mjs', import.meta.url).href)
  if (/^file:\/\//i.test(spec) && MODULE_EXTENSIONS.some((e) => spec.toLowerCase().endsWith(e))) {
    const { fileURLToPath } = await import('node:url');
    const { cwd: _cwd, log: _log, ...rest } = o;
    checkKnown(rest, [], spec);
    return moduleJudge(fileURLToPath(spec));
  }

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec);
  if (scheme) {
    throw new JudgeError(spec.replace(/\?.*$/, ''), `is not a judge spec: the ${scheme[1]}: scheme is not supported; give an http(s):// URL, builtin:NAME (${builtinList()}), a module path or a model directory`);
  }

  const ext = MODULE_EXTENSIONS.find((e) => spec.toLowerCase().endsWith(e));
  if (ext) {
    const { cwd, log: _log, ...rest } = o;
    checkKnown(rest, [], spec);
    return moduleJudge(spec, { cwd: cwd as string | undefined });
  }

  // model directories (reward models, learned pairwise judges): the table of model kinds
  const { MODEL_JUDGE_KINDS } = await import('./model-kinds.js');
  for (const k of MODEL_JUDGE_KINDS) if (await k.matches(spec, o)) return k.load(spec, o);

  // a directory, a missing path, or something else
  const [{ default: fs }, { default: path }] = await Promise.all([import('node:fs'), import('node:path')]);
  const cwd = (o.cwd as string | undefined) ?? process.cwd();
  const full = path.resolve(cwd, spec);
  let st: import('node:fs').Stats | undefined;
  try { st = fs.statSync(full); } catch { st = undefined; }
  if (st?.isDirectory()) {
    throw new JudgeError(spec, `is a directory (${full}) without a config.json, so not a judge: a judge directory holds a reward model ` +
      `(...ForSequenceClassification) or a pairwise judge written by sppo train-judge; or use builtin:NAME (${builtinList()}), an http(s):// URL or a module`);
  }
  if (st?.isFile()) {
    throw new JudgeError(spec, `is a file without a module extension (${full}): judge modules end in ${MODULE_EXTENSIONS.join(', ')}`);
  }
  if (/[\\/]/.test(spec) || spec.startsWith('.')) {
    throw new JudgeError(spec, `not found: nothing at ${full} (paths resolve against ${cwd}); check the path`);
  }
  throw new JudgeError(spec, `is not a judge spec: give builtin:NAME (${builtinList()}), an http(s):// URL, a module path (.js/.mjs/.ts) or a model directory`);
}
