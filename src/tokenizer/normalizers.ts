// tokenizer.json "normalizer": string -> string, applied to each piece of text between added
// tokens before pre-tokenization (Hugging Face semantics).
//   NFC NFD NFKC NFKD   Unicode normalization forms
//   Lowercase           toLowerCase
//   Prepend {prepend}   prepends to a non-empty string (SentencePiece's "▁" prefix)
//   Replace {pattern: {String}|{Regex}, content}
//   Strip {strip_left, strip_right}, StripAccents (drops combining marks), Sequence {normalizers}
import { Field } from './errors.js';
import { compilePattern, replaceAll } from './pattern-matcher.js';

export type Normalizer = (s: string) => string;

export const NORMALIZER_TYPES = ['NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'Prepend', 'Replace', 'Strip', 'StripAccents', 'Sequence'] as const;

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
      const m = compilePattern(f.get('pattern'));
      const content = f.get('content').string();
      return (s) => replaceAll(m, s, content);
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
