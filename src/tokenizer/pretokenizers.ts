// tokenizer.json "pre_tokenizer": splits normalized text into pieces ("words") that BPE encodes
// one at a time (Hugging Face semantics). Compiled into a plan:
//   stages    — steps run here in JavaScript, each string[] -> string[]
//   scan      — the last split, run in wasm on each piece when it is a pattern with a scanner
//               (patterns.ts), else MODE_WHOLE (each piece is one word)
//   byteLevel — a ByteLevel step is present: the model works on raw UTF-8 bytes (the GPT-2
//               byte->char mapping is implicit; the vocabulary is stored as bytes)
// Types: Split {pattern, behavior, invert}, ByteLevel {add_prefix_space, use_regex}, Metaspace
// {replacement, prepend_scheme | add_prefix_space, split}, Digits {individual_digits},
// Whitespace, WhitespaceSplit, Punctuation {behavior}, BertPreTokenizer, Sequence.
import { Field } from './errors.js';
import { compilePattern } from './pattern-matcher.js';
import { scannerFor, GPT2_PATTERN, MODE_WHOLE, MODE_GPT2, type ScanMode } from './patterns.js';
import { compileOniguruma } from './oniguruma.js';

export const PRE_TOKENIZER_TYPES = ['Split', 'ByteLevel', 'Metaspace', 'Digits', 'Whitespace', 'WhitespaceSplit', 'Punctuation', 'BertPreTokenizer', 'Sequence'] as const;
const BEHAVIORS = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'] as const;
type Behavior = (typeof BEHAVIORS)[number];

/** One step: pieces in, pieces out. `first`: the text starts at offset 0 of the input. */
export type Stage = (pieces: string[], first: boolean) => string[];

export interface PreTokenizerPlan {
  stages: Stage[];
  scan: ScanMode;
  byteLevel: boolean;
}

// ---- splitting with Hugging Face's delimiter behaviors ----

/** Splits s at the match spans (sorted, disjoint [start, end) pairs) with a delimiter behavior. */
export function splitWith(s: string, spans: number[], behavior: Behavior, invert: boolean): string[] {
  const parts: number[] = []; // start, end, isMatch triples covering s
  let prev = 0;
  for (let k = 0; k < spans.length; k += 2) {
    if (prev < spans[k]) parts.push(prev, spans[k], 0);
    parts.push(spans[k], spans[k + 1], 1);
    prev = spans[k + 1];
  }
  if (prev < s.length) parts.push(prev, s.length, 0);
  if (invert) for (let k = 2; k < parts.length; k += 3) parts[k] ^= 1;
  const acc: number[] = []; // start, end pairs
  if (behavior === 'MergedWithNext') {
    let prevMatch = false;
    for (let k = parts.length - 3; k >= 0; k -= 3) {
      const m = parts[k + 2] === 1;
      if (m && !prevMatch && acc.length) acc[acc.length - 2] = parts[k];
      else acc.push(parts[k], parts[k + 1]);
      prevMatch = m;
    }
    const out: string[] = [];
    for (let k = acc.length - 2; k >= 0; k -= 2) if (acc[k + 1] > acc[k]) out.push(s.slice(acc[k], acc[k + 1]));
    return out;
  }
  let prevMatch = false;
  for (let k = 0; k < parts.length; k += 3) {
    const m = parts[k + 2] === 1;
    switch (behavior) {
      case 'Removed': if (!m) acc.push(parts[k], parts[k + 1]); break;
      case 'Isolated': acc.push(parts[k], parts[k + 1]); break;
      case 'MergedWithPrevious':
        if (m && !prevMatch && acc.length) acc[acc.length - 1] = parts[k + 1];
        else acc.push(parts[k], parts[k + 1]);
        break;
      case 'Contiguous':
        if (m === prevMatch && acc.length) acc[acc.length - 1] = parts[k + 1];
        else acc.push(parts[k], parts[k + 1]);
        break;
    }
    prevMatch = m;
  }
  const out: string[] = [];
  for (let k = 0; k < acc.length; k += 2) if (acc[k + 1] > acc[k]) out.push(s.slice(acc[k], acc[k + 1]));
  return out;
}

/** Non-empty match spans of a global RegExp in s. */
export function regexSpans(re: RegExp, s: string): number[] {
  const spans: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex += (s.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1;
      continue;
    }
    spans.push(m.index, m.index + m[0].length);
  }
  return spans;
}

function charSpans(s: string, test: RegExp): number[] {
  const spans: number[] = [];
  for (let i = 0; i < s.length;) {
    const n = (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    if (test.test(s.slice(i, i + n))) spans.push(i, i + n);
    i += n;
  }
  return spans;
}

const flatMap = (f: (s: string) => string[]): Stage => (pieces) => {
  if (pieces.length === 1) return f(pieces[0]);
  const out: string[] = [];
  for (const p of pieces) for (const q of f(p)) out.push(q);
  return out;
};

const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const PUNCT = /^[\p{P}!-/:-@[-`{-~]$/u;

// ---- the stages ----

interface Step {
  kind: string;
  stage: Stage;
  /** for Split: the raw pattern and options, to run it as a scanner when it is last */
  split?: { pattern: string; behavior: Behavior; invert: boolean };
  byteLevel?: { addPrefixSpace: boolean; useRegex: boolean };
}

function byteLevelRegex(): RegExp {
  return compileOniguruma(GPT2_PATTERN);
}

function buildStep(f: Field, out: Step[]): void {
  const type = f.type('pre-tokenizer', PRE_TOKENIZER_TYPES);
  switch (type) {
    case 'Sequence':
      for (const item of f.get('pretokenizers').items()) buildStep(item, out);
      return;
    case 'Split': {
      const pf = f.get('pattern');
      const matcher = compilePattern(pf);
      const bf = f.get('behavior');
      const behavior = bf.string() as Behavior;
      if (!BEHAVIORS.includes(behavior)) bf.fail(`unknown split behavior "${behavior}" — supported: ${BEHAVIORS.join(', ')}`);
      const invert = f.get('invert').bool(false);
      const raw = pf.object();
      out.push({
        kind: type,
        stage: flatMap((s) => splitWith(s, matcher.spans(s), behavior, invert)),
        split: typeof raw.Regex === 'string' ? { pattern: raw.Regex, behavior, invert } : undefined,
      });
      return;
    }
    case 'ByteLevel': {
      const addPrefixSpace = f.get('add_prefix_space').bool(true);
      const useRegex = f.get('use_regex').bool(true);
      const re = useRegex ? byteLevelRegex() : null;
      out.push({
        kind: type,
        byteLevel: { addPrefixSpace, useRegex },
        stage: flatMap((s) => {
          if (addPrefixSpace && !s.startsWith(' ')) s = ' ' + s;
          return re ? splitWith(s, regexSpans(re, s), 'Isolated', false) : [s];
        }),
      });
      return;
    }
    case 'Metaspace': {
      const replacement = f.get('replacement').string('▁');
      // one character, as Hugging Face's Metaspace requires (an empty one would match everywhere)
      if ([...replacement].length !== 1) f.get('replacement').fail(`is ${JSON.stringify(replacement)}; a Metaspace replacement is exactly one character (usually "▁")`);
      const aps = f.get('add_prefix_space');
      let scheme = f.get('prepend_scheme').string(aps.present ? (aps.bool(true) ? 'always' : 'never') : 'always');
      if (!['always', 'first', 'never'].includes(scheme)) f.get('prepend_scheme').fail(`unknown prepend_scheme "${scheme}" — use always, first or never`);
      if (aps.present && !aps.bool(true)) scheme = 'never';
      const split = f.get('split').bool(true);
      const spaces = / /g;
      out.push({
        kind: type,
        stage: (pieces, first) => {
          const res: string[] = [];
          pieces.forEach((p, k) => {
            let s = p.replace(spaces, replacement);
            if (!s.startsWith(replacement) && (scheme === 'always' || (scheme === 'first' && first && k === 0))) s = replacement + s;
            if (!split) { res.push(s); return; }
            const spans: number[] = [];
            for (let i = s.indexOf(replacement); i >= 0; i = s.indexOf(replacement, i + replacement.length)) spans.push(i, i + replacement.length);
            for (const q of splitWith(s, spans, 'MergedWithNext', false)) res.push(q);
          });
          return res;
        },
      });
      return;
    }
    case 'Digits': {
      const individual = f.get('individual_digits').bool(false);
      const num = /^\p{N}$/u;
      out.push({ kind: type, stage: flatMap((s) => splitWith(s, charSpans(s, num), individual ? 'Isolated' : 'Contiguous', false)) });
      return;
    }
    case 'Whitespace': {
      const re = new RegExp(`[${WORD}]+|[^${WORD}\\p{White_Space}]+`, 'gu');
      out.push({ kind: type, stage: flatMap((s) => splitWith(s, regexSpans(re, s), 'Removed', true)) });
      return;
    }
    case 'WhitespaceSplit': {
      const re = /\p{White_Space}+/gu;
      out.push({ kind: type, stage: flatMap((s) => splitWith(s, regexSpans(re, s), 'Removed', false)) });
      return;
    }
    case 'Punctuation': {
      const bf = f.get('behavior');
      const behavior = bf.string('Isolated') as Behavior;
      if (!BEHAVIORS.includes(behavior)) bf.fail(`unknown split behavior "${behavior}" — supported: ${BEHAVIORS.join(', ')}`);
      out.push({ kind: type, stage: flatMap((s) => splitWith(s, charSpans(s, PUNCT), behavior, false)) });
      return;
    }
    case 'BertPreTokenizer': {
      const ws = /\p{White_Space}+/gu;
      out.push({
        kind: type,
        stage: flatMap((s) => splitWith(s, regexSpans(ws, s), 'Removed', false).flatMap((w) => splitWith(w, charSpans(w, PUNCT), 'Isolated', false))),
      });
      return;
    }
  }
}

/** Compiles the pre_tokenizer field. `useScanner: false` keeps every split in JavaScript (tests). */
export function buildPreTokenizer(f: Field, useScanner = true): PreTokenizerPlan {
  const steps: Step[] = [];
  if (f.present) buildStep(f, steps);
  const bl = steps.findIndex((s) => s.kind === 'ByteLevel');
  if (bl >= 0 && bl !== steps.length - 1) {
    f.fail('a ByteLevel pre-tokenizer must be the last one in the sequence (steps after the byte mapping are not supported)');
  }
  const plan: PreTokenizerPlan = { stages: steps.map((s) => s.stage), scan: { mode: MODE_WHOLE, maxDigits: 0 }, byteLevel: bl >= 0 };
  if (!useScanner || steps.length === 0) return plan;
  const last = steps[steps.length - 1];
  if (last.byteLevel) {
    const { addPrefixSpace, useRegex } = last.byteLevel;
    if (useRegex) {
      // the GPT-2 split runs in wasm; only the prefix space (per piece) stays here
      plan.scan = { mode: MODE_GPT2, maxDigits: 0 };
      plan.stages.pop();
      if (addPrefixSpace) plan.stages.push(flatMap((s) => [s.startsWith(' ') ? s : ' ' + s]));
      return plan;
    }
    if (addPrefixSpace) return plan; // the space goes on every piece of the split before: keep it all in JS
    plan.stages.pop(); // the mapping itself is implicit
  }
  const split = steps[plan.stages.length - 1]?.split;
  if (split && split.behavior === 'Isolated' && !split.invert) {
    const mode = scannerFor(split.pattern);
    if (mode) {
      plan.scan = mode;
      plan.stages.pop();
    }
  }
  return plan;
}
