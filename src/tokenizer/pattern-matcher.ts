// A tokenizer.json pattern ({String} or {Regex}) compiled to a matcher whose time is bounded,
// whatever the file holds. The rule, in order:
//   native   — a String pattern (a literal: V8 finds it in linear time), or a Regex on the audited
//              list of patterns.ts (GPT-2, Llama 3, Qwen2, DeepSeek...: each read by hand — no
//              nested quantifiers, alternatives that fail within a character or two — and
//              the fast wasm scanners cover three of them anyway): JavaScript's RegExp.
//   re2      — any other Regex that re2js accepts once translated (oniguruma.ts, RE2 spelling):
//              linear time in the input, whatever the pattern (RE2 with captureless lookbehinds).
//   bounded  — the rest (lookahead, backreferences, Unicode \b: what a linear engine cannot do):
//              the backtracking matcher of regex-bounded.ts under a step budget linear in the
//              input; past it, one TokenizerFileError naming the file, the field, the pattern and
//              the input offset where the match attempt started.
// The patterns that decide how a mainstream tokenizer splits therefore keep their exact
// behaviour and speed, and a hostile pattern costs at most the budget.
import { RE2JS } from 're2js';
import { TokenizerFileError, type Field } from './errors.js';
import { compileOniguruma, escapeRegExp, onigurumaToJs, RegexTranslationError } from './oniguruma.js';
import { isAuditedPattern } from './patterns.js';
import { BoundedRegex, BoundedSyntaxError, BudgetExceeded } from './regex-bounded.js';

export type PatternEngine = 'native' | 're2' | 'bounded';

/**
 * Steps the bounded matcher may take to scan s: BUDGET_BASE + perChar × s.length, perChar =
 * BUDGET_PER_CHAR + 2 × the pattern's length. Measured on Debian fortunes: 4–12 steps per
 * character for the GPT-2, Llama 3, DeepSeek and o200k patterns and for \b or lookaround
 * patterns; a step costs ~0.5 µs, so a hostile pattern stops within ~50 ms on a short input.
 */
export const BUDGET_BASE = 100_000;
export const BUDGET_PER_CHAR = 256;

export interface PatternMatcher {
  readonly engine: PatternEngine;
  readonly source: string;
  /**
   * Match spans of s as [start, end) pairs in UTF-16 offsets, JavaScript `g` semantics (an empty
   * match moves on by one code point); empty matches only with keepEmpty.
   */
  spans(s: string, keepEmpty?: boolean): number[];
}

function nativeSpans(re: RegExp, s: string, keepEmpty: boolean): number[] {
  const spans: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      if (keepEmpty) spans.push(m.index, m.index);
      re.lastIndex += (s.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1;
      continue;
    }
    spans.push(m.index, m.index + m[0].length);
  }
  return spans;
}

class NativeMatcher implements PatternMatcher {
  readonly engine = 'native';
  constructor(readonly source: string, private readonly re: RegExp) {}
  spans(s: string, keepEmpty = false): number[] {
    return nativeSpans(this.re, s, keepEmpty);
  }
}

class Re2Matcher implements PatternMatcher {
  readonly engine = 're2';
  constructor(readonly source: string, private readonly re: RE2JS) {}
  spans(s: string, keepEmpty = false): number[] {
    const spans: number[] = [];
    const m = this.re.matcher(s);
    // find() moves past an empty match by itself (one code point), as JavaScript's g flag does
    while (m.find()) {
      const a = m.start(), b = m.end();
      if (b > a || keepEmpty) spans.push(a, b);
    }
    return spans;
  }
}

class BoundedMatcher implements PatternMatcher {
  readonly engine = 'bounded';
  constructor(readonly source: string, private readonly re: BoundedRegex, private readonly where: Field) {}
  spans(s: string, keepEmpty = false): number[] {
    const budget = BUDGET_BASE + (BUDGET_PER_CHAR + 2 * this.source.length) * s.length;
    try {
      return this.re.matchAll(s, budget, keepEmpty);
    } catch (e) {
      const at = e instanceof BudgetExceeded ? e.position : -1;
      if (!(e instanceof BudgetExceeded) && !(e instanceof RangeError)) throw e;
      const what = e instanceof BudgetExceeded ? `took more than ${budget} backtracking steps` : 'nests too deeply for the matcher';
      throw new TokenizerFileError(this.where.file, this.where.path,
        `the pattern ${JSON.stringify(this.source)} ${what} on a ${s.length}-character input` +
        `${at >= 0 ? ` (match attempt at offset ${at}: ${JSON.stringify(s.slice(at, at + 24))})` : ''}` +
        ' — it backtracks catastrophically (a lookahead or backreference pattern cannot run in linear time); fix the pattern or use the tokenizer.json the model was published with');
    }
  }
}

/** s with every match (empty ones too, as String.prototype.replace with a g RegExp) replaced by content. */
export function replaceAll(m: PatternMatcher, s: string, content: string): string {
  const spans = m.spans(s, true);
  if (spans.length === 0) return s;
  let out = '';
  let prev = 0;
  for (let k = 0; k < spans.length; k += 2) {
    out += s.slice(prev, spans[k]) + content;
    prev = spans[k + 1];
  }
  return out + s.slice(prev);
}

/** A {String} or {Regex} pattern field (with file and path for errors) as a bounded matcher. */
export function compilePattern(f: Field): PatternMatcher {
  const obj = f.object();
  if (typeof obj.String === 'string') return new NativeMatcher(obj.String, new RegExp(escapeRegExp(obj.String), 'gu'));
  if (typeof obj.Regex !== 'string') return f.fail('expected {"String": "..."} or {"Regex": "..."}');
  return compileRegex(obj.Regex, f.get('Regex'));
}

/** An Oniguruma pattern as a bounded matcher (see the rule at the top of this file). */
export function compileRegex(src: string, where: Field, forceEngine?: PatternEngine): PatternMatcher {
  const refuse = (e: unknown): never => {
    if (e instanceof RegexTranslationError || e instanceof BoundedSyntaxError) {
      return where.fail(`${e.message} — this tokenizer's pattern ${JSON.stringify(src.length > 200 ? src.slice(0, 200) + '…' : src)} cannot be run here`);
    }
    throw e;
  };
  let js: string;
  try {
    js = onigurumaToJs(src);
    if (forceEngine === 'native' || (forceEngine === undefined && isAuditedPattern(src))) return new NativeMatcher(src, compileOniguruma(src));
  } catch (e) {
    return refuse(e);
  }
  if (forceEngine === undefined || forceEngine === 're2') {
    try {
      return new Re2Matcher(src, RE2JS.compile(onigurumaToJs(src, true), RE2JS.LOOKBEHINDS));
    } catch (e) {
      if (forceEngine === 're2') throw e;
      // not expressible in RE2: the bounded matcher below
    }
  }
  try {
    new RegExp(js, 'u'); // the same syntax check as the native path
    return new BoundedMatcher(src, new BoundedRegex(js), where);
  } catch (e) {
    if (e instanceof SyntaxError) return where.fail(`the translated pattern does not compile (${e.message}) — this tokenizer's pattern cannot be run here`);
    return refuse(e);
  }
}

