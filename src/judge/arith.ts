// builtin:arith — a correctness judge for arithmetic prompts such as "12+7=" or "Q: 3*4=".
//   The prompt's last "A op B =" with op in + - * × (integers, optionally negative) gives the
//   answer (exact, BigInt). A response is correct when it starts (after spaces) with that
//   number, not followed by more digits or a fractional part ("19", " 19.", "19 apples").
//   correct vs wrong:       P(correct ≻ wrong) = 0.5 + correctMargin (default 0.45 → 0.95)
//   same correctness:       the shorter (in code points) wins, P = 0.5 + lengthMargin
//                           (default 0.1 → 0.6); equal lengths → 0.5
// A prompt without an expression is an error (this judge is for arithmetic data only).
// Order-insensitive.
import { checkKnown, numberOption, type RawOptions } from './options.js';
import { checkPairs, preview } from './validate.js';
import { JudgeError, throwIfAborted, type Judge } from './types.js';

const EXPR = /(-?\d+)\s*([-+*×])\s*(-?\d+)\s*=/g;

/** the answer to the last "A op B =" in `prompt`, or null when there is none */
export function arithAnswer(prompt: string): bigint | null {
  let last: RegExpExecArray | null = null;
  for (const m of prompt.matchAll(EXPR)) last = m;
  if (!last) return null;
  const a = BigInt(last[1]), b = BigInt(last[3]);
  switch (last[2]) {
    case '+': return a + b;
    case '-': return a - b;
    default: return a * b;
  }
}

/** whether `response` starts with the integer `answer` */
export function arithCorrect(response: string, answer: bigint): boolean {
  const m = /^\s*([+-]?\d+)(?![\d]|[.,]\d)/.exec(response);
  return m !== null && BigInt(m[1]) === answer;
}

const codePoints = (s: string): number => { let n = 0; for (const _ of s) n++; return n; };

/** Judge.metrics of both arithmetic judges: the fraction of answers that start with the right number */
function accuracyMetric(_name: string) {
  return async (items: { prompt: string; response: string }[]): Promise<Record<string, number>> => {
    if (!items.length) return {};
    let right = 0;
    for (const it of items) {
      const ans = arithAnswer(it.prompt);
      if (ans === null) return {}; // not an arithmetic set: no accuracy to report
      if (arithCorrect(it.response, ans)) right++;
    }
    return { accuracy: right / items.length };
  };
}

export function arithJudge(opts: RawOptions = {}): Judge {
  const name = 'builtin:arith';
  checkKnown(opts, ['correctMargin', 'lengthMargin'], name);
  const correctMargin = numberOption(opts, 'correctMargin', 0.45, { min: 0, max: 0.5 }, name);
  const lengthMargin = numberOption(opts, 'lengthMargin', 0.1, { min: 0, max: 0.5 }, name);
  return {
    name,
    describe: `Arithmetic correctness judge for prompts with "A+B=", "A-B=" or "A*B=": a response starting with the right ` +
      `number beats one that does not (P=${0.5 + correctMargin}); between equals the shorter wins (P=${0.5 + lengthMargin}).`,
    orderSensitive: false,
    info: { kind: 'builtin', builtin: 'arith', correctMargin, lengthMargin },
    metrics: accuracyMetric(name),
    async compare(pairs, o = {}) {
      checkPairs(pairs, name);
      throwIfAborted(o.signal);
      const answers = new Map<string, bigint>();
      const out = pairs.map((p) => {
        let ans = answers.get(p.prompt);
        if (ans === undefined) {
          const a = arithAnswer(p.prompt);
          if (a === null) {
            throw new JudgeError(name, `found no arithmetic expression in prompt ${preview(p.prompt)}: builtin:arith needs prompts containing "A+B=", "A-B=" or "A*B=" (use another judge for other prompts)`);
          }
          answers.set(p.prompt, (ans = a));
        }
        const ca = arithCorrect(p.a, ans), cb = arithCorrect(p.b, ans);
        if (ca !== cb) return 0.5 + (ca ? correctMargin : -correctMargin);
        const la = codePoints(p.a), lb = codePoints(p.b);
        return la === lb ? 0.5 : 0.5 + (la < lb ? lengthMargin : -lengthMargin);
      });
      o.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}

/**
 * builtin:arith-strict — a held-out evaluation judge for the same prompts: correctness alone,
 * hard (1 if only a is right, 0 if only b is, ½ otherwise); length does not matter. Used to
 * evaluate policies trained under builtin:arith with a judge that was not used in training.
 */
export function arithStrictJudge(opts: RawOptions = {}): Judge {
  const name = 'builtin:arith-strict';
  checkKnown(opts, [], name);
  return {
    name,
    describe: 'Arithmetic correctness alone: a response starting with the right number beats one that does not (P=1); otherwise a tie (0.5).',
    orderSensitive: false,
    info: { kind: 'builtin', builtin: 'arith-strict' },
    metrics: accuracyMetric(name),
    async compare(pairs, o = {}) {
      checkPairs(pairs, name);
      throwIfAborted(o.signal);
      const out = pairs.map((p) => {
        const ans = arithAnswer(p.prompt);
        if (ans === null) throw new JudgeError(name, `found no arithmetic expression in prompt ${preview(p.prompt)}: it needs prompts containing "A+B=", "A-B=" or "A*B="`);
        const ca = arithCorrect(p.a, ans), cb = arithCorrect(p.b, ans);
        return ca === cb ? 0.5 : ca ? 1 : 0;
      });
      o.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}
