// tokenizer.json "normalizer": string -> string, applied to each piece of text between added
// tokens before pre-tokenization (Hugging Face semantics).
//   NFC NFD NFKC NFKD   Unicode normalization forms
//   Lowercase           toLowerCase
//   Prepend {prepend}   prepends to a non-empty string (SentencePiece's "▁" prefix)
//   Replace {pattern: {String}|{Regex}, content}
//   Strip {strip_left, strip_right}, StripAccents (drops combining marks), Sequence {normalizers}
import { Field } from './errors.js';
import { compileOniguruma, escapeRegExp, RegexTranslationError } from './oniguruma.js';

export type Normalizer = (s: string) => string;

export const NORMALIZER_TYPES = ['NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'Prepend', 'Replace', 'Strip', 'StripAccents', 'Sequence'] as const;

/** A pattern {String: "..."} or {Regex: "..."} as a global JavaScript RegExp. */
export function patternRegExp(f: Field): RegExp {
  const obj = f.object();
  if (typeof obj.String === 'string') return new RegExp(escapeRegExp(obj.String), 'gu');
  if (typeof obj.Regex === 'string') {
    try {
      return compileOniguruma(obj.Regex);
    } catch (e) {
      if (e instanceof RegexTranslationError) f.get('Regex').fail(`${e.message} — this tokenizer's pattern cannot be run here`);
      throw e;
    }
  }
  return f.fail('expected {"String": "..."} or {"Regex": "..."}');
}

export function buildNormalizer(f: Field): Normalizer | null {
  if (!f.present) return null;
  const type = f.type('normalizer', NORMALIZER_TYPES);
  switch (type) {
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD':
      return (s) => s.normalize(type);
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Prepend': {
      const p = f.get('prepend').string();
      return (s) => (s.length > 0 ? p + s : s);
    }
    case 'Replace': {
      const re = patternRegExp(f.get('pattern'));
      const content = f.get('content').string();
      return (s) => s.replace(re, () => content);
    }
    case 'Strip': {
      const left = f.get('strip_left').bool(false), right = f.get('strip_right').bool(false);
      return (s) => {
        if (left) s = s.replace(/^\p{White_Space}+/u, '');
        if (right) s = s.replace(/\p{White_Space}+$/u, '');
        return s;
      };
    }
    case 'StripAccents':
      return (s) => s.replace(/\p{M}/gu, '');
    case 'Sequence': {
      const parts = f.get('normalizers').items().map(buildNormalizer).filter((n): n is Normalizer => n !== null);
      return (s) => {
        for (const n of parts) s = n(s);
        return s;
      };
    }
  }
  return null;
}
