// Added tokens (tokenizer.json "added_tokens"): literals cut out of the text before the model
// sees it, as Hugging Face tokenizers' AddedVocabulary does:
//   1. tokens with normalized=false are matched in the raw text;
//   2. the text between them is normalized, then tokens with normalized=true (their content
//      normalized the same way) are matched in it.
// Matching is leftmost-longest. Special tokens (special=true) are matched only when the caller
// asks (`special`); otherwise a special match is passed over and its text stays plain text —
// Hugging Face's split_special_tokens / encode_special_tokens. Non-special added tokens are
// always matched. lstrip / rstrip swallow the whitespace on that side of the token;
// single_word tokens match only when not touching a word character.
import { escapeRegExp } from './oniguruma.js';
import type { Normalizer } from './normalizers.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
  normalized: boolean;
}

/** A piece of text to encode (with whether it starts at offset 0 of the input), or a token id. */
export type Segment = { text: string; first: boolean } | number;

const WORD_CHAR = /[\p{Alphabetic}\p{N}_]/u;
const TRAILING_WS = /\p{White_Space}+$/u;
const LEADING_WS = /^\p{White_Space}+/u;

class LiteralSet {
  readonly re: RegExp | null;
  readonly byContent = new Map<string, AddedToken>();
  readonly hasNonSpecial: boolean;
  constructor(tokens: { content: string; token: AddedToken }[]) {
    for (const t of tokens) if (t.content.length > 0 && !this.byContent.has(t.content)) this.byContent.set(t.content, t.token);
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    this.re = contents.length ? new RegExp(contents.map(escapeRegExp).join('|'), 'gu') : null;
    this.hasNonSpecial = [...this.byContent.values()].some((t) => !t.special);
  }

  /** Splits text (which starts at input offset `base`) into text segments and token ids. */
  split(text: string, base: number, special: boolean, onText: (s: string, offset: number) => void, onToken: (id: number) => void): void {
    if (!this.re || (!special && !this.hasNonSpecial)) { onText(text, base); return; }
    const re = this.re;
    re.lastIndex = 0;
    let done = 0; // text before this offset has been handed out
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const tok = this.byContent.get(m[0])!;
      let start = m.index, stop = m.index + m[0].length;
      if (tok.special && !special) continue;
      if (tok.singleWord) {
        const before = start > 0 && WORD_CHAR.test(charBefore(text, start));
        const after = stop < text.length && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(stop)!));
        if (before || after) continue;
      }
      if (tok.lstrip) {
        const ws = TRAILING_WS.exec(text.slice(done, start));
        if (ws) start -= ws[0].length;
      }
      if (tok.rstrip) {
        const ws = LEADING_WS.exec(text.slice(stop));
        if (ws) stop += ws[0].length;
        re.lastIndex = stop;
      }
      if (done < start) onText(text.slice(done, start), base + done);
      onToken(tok.id);
      done = stop;
    }
    if (done < text.length || text.length === 0) onText(text.slice(done), base + done);
  }
}

/** The character (code point) that ends just before offset i > 0. */
function charBefore(s: string, i: number): string {
  const c = s.charCodeAt(i - 1);
  return c >= 0xdc00 && c <= 0xdfff && i > 1 ? s.slice(i - 2, i) : s.slice(i - 1, i);
}

export class AddedVocabulary {
  private readonly raw: LiteralSet;
  private readonly norm: LiteralSet;

  constructor(readonly tokens: AddedToken[], private readonly normalizer: Normalizer | null) {
    this.raw = new LiteralSet(tokens.filter((t) => !t.normalized || !normalizer).map((t) => ({ content: t.content, token: t })));
    this.norm = new LiteralSet(tokens.filter((t) => t.normalized && normalizer).map((t) => ({ content: normalizer!(t.content), token: t })));
  }

  /** Whether encoding must look for added tokens (false: none could match). */
  needsScan(special: boolean): boolean {
    return special ? this.raw.re !== null || this.norm.re !== null : this.raw.hasNonSpecial || this.norm.hasNonSpecial;
  }

  /** Cuts added tokens out of text and normalizes the rest; returns segments in order. */
  segments(text: string, special: boolean): Segment[] {
    const out: Segment[] = [];
    const onToken = (id: number) => { out.push(id); };
    this.raw.split(text, 0, special, (piece, offset) => {
      const normalized = this.normalizer ? this.normalizer(piece) : piece;
      this.norm.split(normalized, offset, special, (s, off) => {
        if (s.length > 0) out.push({ text: s, first: off === 0 && offset === 0 });
      }, onToken);
    }, onToken);
    return out;
  }
}
