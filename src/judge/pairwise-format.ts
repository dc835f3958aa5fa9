// The token sequence the pairwise judge reads: the prompt and BOTH responses in one sequence,
// PairRM-style, with text markers (no new vocabulary, so any tokenizer works):
//
//   [BOS] <markers.prompt> prompt <markers.a> a <markers.b> b <markers.end>
//
// Each piece is tokenized on its own (no special tokens) and the ids are concatenated; BOS is
// what the tokenizer's post-processor puts before a text (none for tokenizers without one).
// The score is read at the last token (the end marker), which sees every other token through
// causal attention. The markers are saved with the model (config.json sppo_judge.format), so a
// loaded judge encodes exactly as it was trained.
//
// Truncation to maxLength: BOS and markers are always kept; the remaining budget is shared
// water-filling style (the shortest pieces keep all their tokens, the longest are cut to an
// equal cap); the prompt keeps its END (the question nearest the answers), each response its
// BEGINNING.
import type { Tokenizer } from '../tokenizer/index.js';

export interface PairwiseFormat {
  /** text before the prompt, before response a, before response b, and at the very end */
  prompt: string;
  a: string;
  b: string;
  end: string;
}

export const DEFAULT_PAIRWISE_FORMAT: PairwiseFormat = { prompt: '', a: '\n[A] ', b: '\n[B] ', end: '\n[A/B]' };

/** throws unless f is a PairwiseFormat with a non-empty end marker and distinct a/b markers */
export function checkPairwiseFormat(f: unknown, where: string): PairwiseFormat {
  const o = f as Partial<PairwiseFormat> | null;
  if (!o || typeof o !== 'object' || !(['prompt', 'a', 'b', 'end'] as const).every((k) => typeof o[k] === 'string')) {
    throw new Error(`${where}: the pairwise format must be {"prompt", "a", "b", "end"} marker strings, got ${JSON.stringify(f)}`);
  }
  if (!o.end) throw new Error(`${where}: the pairwise format needs a non-empty "end" marker (the score is read at its last token)`);
  if (!o.a || !o.b || o.a === o.b) throw new Error(`${where}: the pairwise format needs two different, non-empty markers "a" and "b"`);
  return { prompt: o.prompt!, a: o.a, b: o.b, end: o.end };
}

/** lengths after sharing `budget` tokens among pieces of `lens` tokens (water-filling) */
export function shareBudget(lens: readonly number[], budget: number): number[] {
  const total = lens.reduce((s, x) => s + x, 0);
  if (total <= budget) return lens.slice();
  // the largest cap c with Σ min(len, c) ≤ budget, then the leftover one token each, in order
  let lo = 0, hi = Math.max(...lens);
  const used = (c: number) => lens.reduce((s, x) => s + Math.min(x, c), 0);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (used(mid) <= budget) lo = mid; else hi = mid - 1;
  }
  const out = lens.map((x) => Math.min(x, lo));
  let left = budget - used(lo);
  for (let i = 0; i < out.length && left > 0; i++) if (lens[i] > out[i]) { out[i]++; left--; }
  return out;
}

export class PairEncoder {
  /** what the tokenizer puts before a text (BOS), without a trailing EOS */
  readonly prefix: number[];
  private readonly markers: { prompt: number[]; a: number[]; b: number[]; end: number[] };
  private readonly cache = new Map<string, number[]>();

  constructor(readonly tok: Tokenizer, readonly format: PairwiseFormat, readonly maxLength: number) {
    const pre = tok.encode('', { addSpecial: true });
    if (tok.eosTokenId !== null && pre.length && pre[pre.length - 1] === tok.eosTokenId && tok.eosTokenId !== tok.bosTokenId) pre.pop();
    this.prefix = pre;
    this.markers = { prompt: tok.encode(format.prompt), a: tok.encode(format.a), b: tok.encode(format.b), end: tok.encode(format.end) };
    if (this.markers.end.length === 0) throw new Error('pairwise format: the end marker encodes to no tokens');
    const fixed = this.fixedLength();
    if (maxLength < fixed + 3) {
      throw new Error(`pairwise judge: maxLength ${maxLength} leaves no room for text: BOS and markers take ${fixed} tokens; give a maxLength of at least ${fixed + 3}`);
    }
  }

  /** tokens every sequence spends on BOS and markers */
  fixedLength(): number {
    const m = this.markers;
    return this.prefix.length + m.prompt.length + m.a.length + m.b.length + m.end.length;
  }

  private ids(text: string): number[] {
    let v = this.cache.get(text);
    if (!v) {
      if (this.cache.size > 100_000) this.cache.clear();
      v = this.tok.encode(text);
      this.cache.set(text, v);
    }
    return v;
  }

  /** the token sequence of (prompt, a, b) */
  encode(prompt: string, a: string, b: string): number[] {
    const p = this.ids(prompt), ta = this.ids(a), tb = this.ids(b);
    const [np, na, nb] = shareBudget([p.length, ta.length, tb.length], this.maxLength - this.fixedLength());
    const m = this.markers;
    return [
      ...this.prefix, ...m.prompt, ...p.slice(p.length - np), ...m.a, ...ta.slice(0, na),
      ...m.b, ...tb.slice(0, nb), ...m.end,
    ];
  }
}
