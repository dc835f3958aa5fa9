// Reading judge options that come either from code ({scale: 10}) or from a spec's query string
// (builtin:length?scale=10, http://host/v1?model=m&timeoutMs=5000, where every value is text).
// Each reader checks its value and throws a JudgeError naming the judge, the option and the fix.
import { JudgeError } from './types.js';
import { preview } from './validate.js';

export type RawOptions = Record<string, unknown>;

/** throws when `opts` holds a key not in `known` (a typo would otherwise be silently ignored) */
export function checkKnown(opts: RawOptions, known: readonly string[], judge: string): void {
  for (const k of Object.keys(opts)) {
    if (opts[k] !== undefined && !known.includes(k)) {
      throw new JudgeError(judge, `has no option "${k}": known options are ${known.length ? known.join(', ') : '(none)'}`);
    }
  }
}

export interface NumberRule {
  /** inclusive bounds */
  min?: number;
  max?: number;
  /** exclusive lower bound */
  above?: number;
  integer?: boolean;
}

function ruleText(r: NumberRule): string {
  const parts: string[] = [];
  if (r.integer) parts.push('an integer');
  else parts.push('a number');
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return parts.join(' ');
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function checkNumber(n: number, r: NumberRule): boolean {
  return Number.isFinite(n) && (!r.integer || Number.isInteger(n)) && (r.min === undefined || n >= r.min)
    && (r.max === undefined || n <= r.max) && (r.above === undefined || n > r.above);
}

/** a number option: the given value (number or numeric text) checked against `rule`, else `dflt` */
export function numberOption(opts: RawOptions, key: string, dflt: number, rule: NumberRule, judge: string): number {
  const v = opts[key];
  if (v === undefined) return dflt;
  const n = toNumber(v);
  if (!checkNumber(n, rule)) throw new JudgeError(judge, `option ${key}=${preview(v)} is invalid: give ${ruleText(rule)}`);
  return n;
}

/** a list of numbers: an array, or comma-separated text ("0.9,0.7,0.6"), of exactly `length` entries */
export function numbersOption(opts: RawOptions, key: string, dflt: number[], length: number, rule: NumberRule, judge: string): number[] {
  const v = opts[key];
  if (v === undefined) return dflt.slice();
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : Array.isArray(v) ? v : null;
  const nums = list?.map(toNumber);
  if (!nums || nums.length !== length || !nums.every((n) => checkNumber(n, rule))) {
    throw new JudgeError(judge, `option ${key}=${preview(v)} is invalid: give ${length} numbers, each ${ruleText(rule)} (e.g. ${key}=${dflt.join(',')})`);
  }
  return nums;
}

/** a list of strings: an array, or comma-separated text, of exactly `length` entries (or any length if undefined) */
export function stringsOption(opts: RawOptions, key: string, length: number | undefined, judge: string, example: string): string[] | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null;
  if (!list || (length !== undefined && list.length !== length)) {
    throw new JudgeError(judge, `option ${key}=${preview(v)} is invalid: give ${length ?? 'a list of'} strings (e.g. ${key}=${example})`);
  }
  return list;
}

/** a text option */
export function stringOption(opts: RawOptions, key: string, judge: string): string | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new JudgeError(judge, `option ${key}=${preview(v)} is invalid: give a non-empty string`);
  return v;
}

/** a boolean option: true/false or "true"/"false"/"1"/"0" */
export function booleanOption(opts: RawOptions, key: string, dflt: boolean, judge: string): boolean {
  const v = opts[key];
  if (v === undefined) return dflt;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw new JudgeError(judge, `option ${key}=${preview(v)} is invalid: give true or false`);
}

/** the query string of a spec as options ({} when none); repeated keys are an error */
export function queryOptions(query: string, judge: string): RawOptions {
  const out: RawOptions = {};
  for (const [k, v] of new URLSearchParams(query)) {
    if (k in out) throw new JudgeError(judge, `sets option "${k}" twice in its query: give it once`);
    out[k] = v;
  }
  return out;
}

/**
 * Options from a spec's query merged with options from code. A key set in both with different
 * values is an error (which one was meant is unknowable); equal values are fine.
 */
export function mergeOptions(fromQuery: RawOptions, fromCode: RawOptions, judge: string): RawOptions {
  const out: RawOptions = { ...fromCode };
  for (const [k, v] of Object.entries(fromQuery)) {
    const c = fromCode[k];
    if (c !== undefined && String(c) !== String(v)) {
      throw new JudgeError(judge, `gets option ${k}=${preview(v)} from its spec but ${k}=${preview(c)} from the options: give it once`);
    }
    out[k] = c ?? v;
  }
  return out;
}
