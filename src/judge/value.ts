// Judges as values: wherever a judge spec (a string) is accepted — the SPPO config object,
// loadJudge, evaluate, judgeMatrices — a JavaScript value is accepted too:
//   async (pairs: {prompt, a, b}[]) => number[]          P(a ≻ b) per pair, in [0, 1]
//   { compare(pairs, {signal}) → number[], name?, describe?, orderSensitive?, close? }
//   a full Judge (name, orderSensitive, compare), e.g. from httpJudge or workerJudge: used as is
// Every answer of a wrapped value is checked (an array, one number per pair, each in [0, 1],
// no NaN) and a bad one is an error naming the judge. Module judges (module.ts, and by URL in
// browsers) are the same wrapper around a module's default export.
// Values cannot cross to a worker (structured clone drops functions): worker judges take a
// module path or URL (judgeCrossError says so). No node: imports.
import { checkPairs, checkProbabilities } from './validate.js';
import { JudgeError, throwIfAborted, type CompareOptions, type Judge, type Pair } from './types.js';

/** a judge written as one function: P(a ≻ b) for each pair */
export type JudgeFunction = (pairs: Pair[], o?: { signal?: AbortSignal }) => number[] | Float32Array | Float64Array | Promise<number[] | Float32Array | Float64Array>;

/** a judge written as an object with a compare method (the other fields are optional) */
export interface JudgeObject {
  compare(pairs: Pair[], o?: CompareOptions): number[] | Float32Array | Float64Array | Promise<number[] | Float32Array | Float64Array>;
  name?: string;
  describe?: string;
  /** true when P(a ≻ b) may differ from 1 − P(b ≻ a): both orders are then asked and averaged */
  orderSensitive?: boolean;
  close?(): void | Promise<void>;
  /** task metrics of a set of answers (e.g. {accuracy}), shown in eval.json and report.html */
  metrics?(items: { prompt: string; response: string }[]): Record<string, number> | Promise<Record<string, number>>;
}

export type JudgeValue = JudgeFunction | JudgeObject;
/** what every judge-taking place accepts: a spec string (loadJudge) or a value */
export type JudgeSpec = string | JudgeValue;

export function isJudgeValue(v: unknown): v is JudgeValue {
  return typeof v === 'function' || (!!v && typeof v === 'object' && typeof (v as JudgeObject).compare === 'function');
}

/** a complete Judge already (name, orderSensitive, compare): used without another wrapper */
function isFullJudge(v: unknown): v is Judge {
  const j = v as Judge;
  return !!j && typeof j === 'object' && typeof j.compare === 'function' && typeof j.name === 'string' && j.name !== '' && typeof j.orderSensitive === 'boolean';
}

/** how a judge spec is shown in config.json, report.html and logs */
export function judgeSpecName(spec: JudgeSpec | undefined | null): string {
  if (spec === undefined || spec === null) return '';
  if (typeof spec === 'string') return spec;
  if (typeof spec === 'function') return `function:${spec.name || 'anonymous'}`;
  if (isJudgeValue(spec)) return `object:${typeof spec.name === 'string' && spec.name ? spec.name : 'judge'}`;
  return String(spec);
}

export interface WrapOptions {
  /** the judge's name in errors and records (default: from the value) */
  name?: string;
  /** P(a ≻ b) may depend on the order (a function's default: false) */
  orderSensitive?: boolean;
  describe?: string;
  /** what the error says to fix when the value throws, e.g. "fix the module's default export" */
  fix?: string;
  /** extra fields of Judge.info */
  info?: Record<string, unknown>;
}

/** A Judge from a function or an object with compare (a full Judge is returned as it is). */
export function judgeFromValue(v: JudgeValue, o: WrapOptions = {}): Judge {
  if (isFullJudge(v) && o.name === undefined) return v;
  if (!isJudgeValue(v)) {
    throw new JudgeError(o.name ?? preview(v), 'is not a judge: give a spec string, a function async (pairs) => number[] (P(a ≻ b) each), or an object with such a compare method');
  }
  let fn: (pairs: Pair[], co: { signal?: AbortSignal }) => unknown;
  // both orders unless the judge declares itself order-free (orderSensitive: false): a position
  // bias would otherwise decide every pair silently
  let name: string, orderSensitive = o.orderSensitive ?? true, describe = o.describe;
  let close: (() => Promise<void>) | undefined;
  let metrics: Judge['metrics'];
  if (typeof v === 'function') {
    fn = (pairs, co) => v(pairs, co);
    name = o.name ?? judgeSpecName(v);
    // a function may declare itself order-free as a property: judge.orderSensitive = false
    const declared = (v as { orderSensitive?: unknown }).orderSensitive;
    if (typeof declared === 'boolean') orderSensitive = declared;
  } else {
    fn = (pairs, co) => v.compare(pairs, co);
    name = o.name ? (v.name ? `${o.name} (${v.name})` : o.name) : judgeSpecName(v);
    if (typeof v.orderSensitive === 'boolean') orderSensitive = v.orderSensitive;
    if (typeof v.describe === 'string') describe = v.describe;
    if (typeof v.close === 'function') close = async () => { await v.close!(); };
    if (typeof v.metrics === 'function') metrics = async (items) => v.metrics!(items);
  }
  const fix = o.fix ?? 'fix the judge function';
  return {
    name,
    describe: describe ?? `JavaScript judge ${name}`,
    orderSensitive,
    info: { kind: typeof v === 'function' ? 'function' : 'object', ...(o.info ?? {}), orderSensitive },
    close,
    metrics,
    async compare(pairs, co = {}) {
      checkPairs(pairs, name);
      throwIfAborted(co.signal);
      let got: unknown;
      try {
        got = await fn(pairs.map((p) => ({ prompt: p.prompt, a: p.a, b: p.b })), { signal: co.signal });
      } catch (e) {
        if (co.signal?.aborted) throw co.signal.reason;
        if (e instanceof JudgeError) throw e;
        throw new JudgeError(name, `threw: ${(e as Error)?.message ?? String(e)}: ${fix}`, { cause: e });
      }
      throwIfAborted(co.signal);
      const out = checkProbabilities(got, pairs.length, name);
      co.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}

/** the error for a judge value that was to run in a worker (functions cannot be cloned) */
export function judgeCrossError(v: unknown, where: string): JudgeError {
  return new JudgeError(judgeSpecName(v as JudgeSpec) || preview(v), `cannot cross to ${where}: functions do not survive the structured clone of postMessage. ` +
    'Put the judge in a module whose default export is the function and pass its path or URL ' +
    "(e.g. new URL('./judge.mjs', import.meta.url).href), or run the judge on this thread");
}

function preview(v: unknown): string {
  try { return String(JSON.stringify(v) ?? v).slice(0, 40); } catch { return Object.prototype.toString.call(v); }
}
