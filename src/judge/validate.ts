// Checks at the judge boundary: what goes in (pairs) and what comes out (one probability per
// pair). Every judge's answers pass through checkProbabilities before anyone uses them, so a
// bad judge fails here with its name, not later as a NaN loss.
import { JudgeError, type Pair } from './types.js';

/** shows a value in an error message, short */
export function preview(v: unknown, max = 60): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v);
  else if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) s = String(v);
  else {
    try { s = JSON.stringify(v) ?? String(v); } catch { s = Object.prototype.toString.call(v); }
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** throws unless `pairs` is an array of {prompt, a, b} strings */
export function checkPairs(pairs: unknown, judge: string): asserts pairs is Pair[] {
  if (!Array.isArray(pairs)) throw new JudgeError(judge, `was given ${preview(pairs)} instead of an array of pairs: pass [{prompt, a, b}, ...]`);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i] as Partial<Pair> | null;
    if (!p || typeof p.prompt !== 'string' || typeof p.a !== 'string' || typeof p.b !== 'string') {
      throw new JudgeError(judge, `was given pair ${i} = ${preview(p)}, not {prompt, a, b} strings: pass strings for prompt, a and b`);
    }
  }
}

/**
 * Throws unless `values` is an array of `n` numbers, each finite and in [0, 1]. Returns it as a
 * plain number[] (typed arrays are accepted and copied).
 */
export function checkProbabilities(values: unknown, n: number, judge: string): number[] {
  const arr = ArrayBuffer.isView(values) && !(values instanceof DataView) ? Array.from(values as unknown as ArrayLike<number>) : values;
  if (!Array.isArray(arr)) {
    throw new JudgeError(judge, `returned ${preview(values)} instead of an array of ${n} probabilities: return one number in [0, 1] per pair, in order`);
  }
  if (arr.length !== n) {
    throw new JudgeError(judge, `returned ${arr.length} value${arr.length === 1 ? '' : 's'} for ${n} pair${n === 1 ? '' : 's'}: return exactly one number in [0, 1] per pair, in order`);
  }
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new JudgeError(judge, `returned ${preview(v)} for pair ${i}, not a number: return P(a ≻ b) as a number in [0, 1]`);
    }
    if (!(v >= 0 && v <= 1)) {
      throw new JudgeError(judge, `returned ${v} for pair ${i}, outside [0, 1]: return a probability P(a ≻ b), e.g. squash a score with 1/(1+exp(-s))`);
    }
  }
  return (arr as number[]).slice();
}

/** the logistic function σ(x) = 1 / (1 + e^−x), stable for large |x| */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
