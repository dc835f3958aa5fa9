// tokenizer.json "decoder": token strings -> text, with Hugging Face tokenizers' (Rust)
// semantics. Each decoder maps the list of token strings to a new list; the result is joined.
//   ByteLevel    all tokens' bytes (GPT-2 mapping undone; a token with unmapped characters
//                keeps its UTF-8) as one lossy-UTF-8 string
//   Metaspace    replacement char -> ' ', except in the first token, where it is dropped
//                (when a prefix was prepended: prepend_scheme != never)
//   ByteFallback runs of <0xNN> tokens -> their bytes as UTF-8, or one U+FFFD per byte if invalid
//   Fuse         joins everything into one token
//   Strip        drops up to `start` leading and `stop` trailing `content` chars of each token
//   Replace      pattern -> content in each token
//   BPEDecoder   suffix -> ' ' (nothing in the last token)
//   Sequence     each in turn
// No decoder: tokens joined with ' '.
//
// A fast plan covers the chains in common use: [ByteLevel] and
// Sequence[Replace(String)*, ByteFallback?, Fuse, Strip*] — per-token bytes precomputed in the
// wasm decode table, runs of byte tokens checked there, the Strips applied to the joined text.
// Every other chain runs the generic JavaScript version below.
import { Field } from './errors.js';
import { compilePattern, replaceAll } from './pattern-matcher.js';
import { tokenToBytes } from './byte-level.js';

export const DECODER_TYPES = ['ByteLevel', 'Metaspace', 'ByteFallback', 'Fuse', 'Strip', 'Replace', 'BPEDecoder', 'Sequence'] as const;

export type DecodeChain = (tokens: string[]) => string[];

const utf8 = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The byte a <0xNN> token stands for, or -1. */
export function byteTokenValue(token: string): number {
  if (token.length !== 6 || !token.startsWith('<0x') || token[5] !== '>') return -1;
  const h = token.slice(3, 5);
  return /^[0-9A-Fa-f]{2}$/.test(h) ? parseInt(h, 16) : -1;
}

function stripChars(token: string, content: string, start: number, stop: number): string {
  const chars = Array.from(token);
  let a = 0;
  while (a < start && a < chars.length && chars[a] === content) a++;
  let b = chars.length;
  for (let k = 0; k < stop && b > a && chars[b - 1] === content; k++) b--;
  return a === 0 && b === chars.length ? token : chars.slice(a, b).join('');
}

function byteFallbackChain(tokens: string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (!run.length) return;
    try {
      out.push(strict.decode(Uint8Array.from(run)));
    } catch {
      for (let k = 0; k < run.length; k++) out.push('\ufffd');
    }
    run = [];
  };
  for (const t of tokens) {
    const b = byteTokenValue(t);
    if (b >= 0) run.push(b);
    else { flush(); out.push(t); }
  }
  flush();
  return out;
}

function build(f: Field): DecodeChain {
  const type = f.type('decoder', DECODER_TYPES);
  switch (type) {
    case 'ByteLevel':
      return (tokens) => {
        const parts: Uint8Array[] = tokens.map((t) => tokenToBytes(t) ?? utf8.encode(t));
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let w = 0;
        for (const p of parts) { all.set(p, w); w += p.length; }
        return [lossy.decode(all)];
      };
    case 'Metaspace': {
      const rep = f.get('replacement').string('▁');
      if ([...rep].length !== 1) f.get('replacement').fail(`is ${JSON.stringify(rep)}; a Metaspace replacement is exactly one character (usually "▁")`);
      const aps = f.get('add_prefix_space');
      let scheme = f.get('prepend_scheme').string(aps.present ? (aps.bool(true) ? 'always' : 'never') : 'always');
      if (aps.present && !aps.bool(true)) scheme = 'never';
      return (tokens) => tokens.map((t, i) => (i === 0 && scheme !== 'never' ? t.split(rep).join('') : t.split(rep).join(' ')));
    }
    case 'ByteFallback':
      return byteFallbackChain;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const content = f.get('content').string(' ');
      const start = f.get('start').int(0), stop = f.get('stop').int(0);
      return (tokens) => tokens.map((t) => stripChars(t, content, start, stop));
    }
    case 'Replace': {
      const m = compilePattern(f.get('pattern'));
      const content = f.get('content').string();
      return (tokens) => tokens.map((t) => replaceAll(m, t, content));
    }
    case 'BPEDecoder': {
      const suffix = f.get('suffix').string('</w>');
      return (tokens) => tokens.map((t, i) => t.split(suffix).join(i === tokens.length - 1 ? '' : ' '));
    }
    case 'Sequence': {
      const chain = f.get('decoders').items().map(build);
      return (tokens) => chain.reduce((t, d) => d(t), tokens);
    }
  }
  return (t) => t;
}

/** The generic decoder: token strings -> text. */
export function buildDecoder(f: Field): (tokens: string[]) => string {
  if (!f.present) return (tokens) => tokens.join(' ');
  const chain = build(f);
  return (tokens) => chain(tokens).join('');
}

/** How the fast path decodes: per-token bytes, byte runs, and final strips. */
export interface FastDecodePlan {
  /** token string -> its bytes and whether it is a byte-fallback token */
  tokenBytes(token: string): { bytes: Uint8Array; byte: boolean };
  /** byte runs follow the ByteFallback rule (else: plain concatenation, lossy UTF-8) */
  runs: boolean;
  /** Strip decoders applied to the joined text */
  strips: { content: string; start: number; stop: number }[];
}

/** The fast plan for this decoder field, or null when the chain needs the generic path. */
export function fastDecodePlan(f: Field): FastDecodePlan | null {
  if (!f.present) return null;
  const type = f.get('type').value;
  if (type === 'ByteLevel') {
    return { tokenBytes: (t) => ({ bytes: tokenToBytes(t) ?? utf8.encode(t), byte: false }), runs: false, strips: [] };
  }
  if (type !== 'Sequence') return null;
  const items = f.get('decoders').items();
  const replaces: [string, string][] = [];
  let k = 0;
  for (; k < items.length && items[k].get('type').value === 'Replace'; k++) {
    const pat = items[k].get('pattern').value as { String?: unknown } | null;
    const content = items[k].get('content').value;
    if (!pat || typeof pat !== 'object' || typeof pat.String !== 'string' || typeof content !== 'string') return null;
    replaces.push([pat.String, content]);
  }
  let runs = false;
  if (items[k]?.get('type').value === 'ByteFallback') { runs = true; k++; }
  if (items[k]?.get('type').value !== 'Fuse') return null;
  k++;
  const strips: FastDecodePlan['strips'] = [];
  for (; k < items.length; k++) {
    if (items[k].get('type').value !== 'Strip') return null;
    strips.push({ content: items[k].get('content').string(' '), start: items[k].get('start').int(0), stop: items[k].get('stop').int(0) });
  }
  return {
    tokenBytes: (t) => {
      for (const [a, b] of replaces) t = t.split(a).join(b);
      const v = runs ? byteTokenValue(t) : -1;
      return v >= 0 ? { bytes: Uint8Array.of(v), byte: true } : { bytes: utf8.encode(t), byte: false };
    },
    runs,
    strips,
  };
}

/** Applies the final strips of a fast plan to the joined text. */
export function applyStrips(text: string, strips: FastDecodePlan['strips']): string {
  for (const s of strips) text = stripChars(text, s.content, s.start, s.stop);
  return text;
}
