// SentencePiece Unigram encoding (the algorithm of sentencepiece's unigram_model.cc), from a
// parsed spm.model (spm-model.ts):
//   1. normalise (below), 2. Viterbi over the lattice of pieces: the segmentation with the
//   largest total score; at a position that no piece of exactly one character starts, an
//   unknown node of one character with score (min piece score − 10), 3. consecutive unknowns
//   merged into one [UNK] (as SentencePieceProcessor does), or, with byte_fallback, each
//   unknown character written as its UTF-8 bytes <0xXX>.
// Pieces taken into the lattice: NORMAL and USER_DEFINED (the latter with their own score;
// sentencepiece also pre-matches user-defined symbols so they are never split — the DeBERTa
// and PairRM models have none). CONTROL, UNKNOWN, UNUSED and BYTE pieces are never matched.
//
// Normalisation. sentencepiece applies the model's precompiled_charsmap (for "nmt_nfkc": NFKC
// plus NMT rules, compiled into a double-array trie). We do NOT read that charsmap; we
// APPROXIMATE nmt_nfkc as:
//   - String.prototype.normalize('NFKC');
//   - the NMT whitespace rules: TAB, LF, CR, VT, FF, NBSP, U+1680, U+2000–U+200A, U+2028,
//     U+2029, U+202F, U+205F, U+3000 → ' ';
//   - control characters U+0000–U+0008, U+000E–U+001F, U+007F and the zero-width characters
//     U+200B–U+200D, U+FEFF removed.
// For ASCII text this is exact; for other text it agrees wherever the charsmap is NFKC plus
// those rules (its few other entries — e.g. some full-width or compatibility characters
// mapped differently from NFKC — may differ). "identity" normalisation skips all of this.
// Then, as the NormalizerSpec says: remove_extra_whitespaces (trim, collapse runs of ' '),
// add_dummy_prefix (a leading ' '), escape_whitespaces (' ' → '▁').
import { TokenizerFileError } from './errors.js';
import { PIECE_BYTE, PIECE_NORMAL, PIECE_USER_DEFINED, type SpmModel } from './spm-model.js';

const SPACE_LIKE = /[\t\n\r\v\f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;
const DROPPED = /[\u0000-\u0008\u000e-\u001f\u007f\u200b-\u200d\ufeff]/g;
const UNK_PENALTY = 10;

export class UnigramTokenizer {
  private readonly vocab = new Map<string, { id: number; score: number }>();
  private readonly byteIds: Int32Array | null;
  private readonly maxPieceChars: number;
  private readonly unkScore: number;
  readonly unkId: number;
  readonly vocabSize: number;
  private readonly ids = new Map<string, number>();

  constructor(readonly model: SpmModel, readonly file = 'spm.model') {
    if (model.modelType !== 1) throw new TokenizerFileError(file, 'trainer_spec.model_type', `is ${model.modelType}, not UNIGRAM (1): only Unigram SentencePiece models are read`);
    let minScore = Infinity, maxChars = 1;
    model.pieces.forEach((p, id) => {
      if (!this.ids.has(p.piece)) this.ids.set(p.piece, id);
      if (p.type !== PIECE_NORMAL && p.type !== PIECE_USER_DEFINED) return;
      if (p.piece === '') return;
      if (!this.vocab.has(p.piece)) this.vocab.set(p.piece, { id, score: p.score });
      minScore = Math.min(minScore, p.score);
      maxChars = Math.max(maxChars, [...p.piece].length);
    });
    this.unkScore = (Number.isFinite(minScore) ? minScore : 0) - UNK_PENALTY;
    this.maxPieceChars = maxChars;
    this.unkId = model.unkId;
    this.vocabSize = model.pieces.length;
    if (model.byteFallback) {
      const b = new Int32Array(256).fill(-1);
      model.pieces.forEach((p, id) => {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p.piece);
        if (p.type === PIECE_BYTE && m) b[parseInt(m[1], 16)] = id;
      });
      this.byteIds = b;
    } else {
      this.byteIds = null;
    }
  }

  /** the id of a piece string, or undefined */
  pieceId(piece: string): number | undefined { return this.ids.get(piece); }

  /** the normalised, escaped text the lattice runs over (see the file comment) */
  normalize(text: string): string {
    const n = this.model.normalizer;
    let s = text;
    if (n.name !== 'identity') s = s.normalize('NFKC').replace(SPACE_LIKE, ' ').replace(DROPPED, '');
    if (n.removeExtraWhitespaces) s = s.replace(/ +/g, ' ').replace(/^ /, '').replace(/ $/, '');
    if (s === '') return '';
    if (n.addDummyPrefix) s = ' ' + s;
    if (n.escapeWhitespaces) s = s.replace(/ /g, '\u2581');
    return s;
  }

  /** ids of text (no special tokens added) */
  encode(text: string): number[] {
    const s = this.normalize(text);
    if (s === '') return [];
    const chars = Array.from(s);
    const n = chars.length;
    // best[i]: best score of a segmentation of chars[0, i); from[i], piece[i]: its last node
    const best = new Float64Array(n + 1).fill(-Infinity);
    const from = new Int32Array(n + 1).fill(-1);
    const piece = new Int32Array(n + 1).fill(-1);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      if (best[i] === -Infinity) continue;
      let single = false;
      let sub = '';
      const lim = Math.min(n, i + this.maxPieceChars);
      for (let j = i + 1; j <= lim; j++) {
        sub += chars[j - 1];
        const v = this.vocab.get(sub);
        if (!v) continue;
        if (j === i + 1) single = true;
        const sc = best[i] + v.score;
        if (sc > best[j]) { best[j] = sc; from[j] = i; piece[j] = v.id; }
      }
      if (!single) {
        const sc = best[i] + this.unkScore;
        if (sc > best[i + 1]) { best[i + 1] = sc; from[i + 1] = i; piece[i + 1] = -2; } // −2: unknown
      }
    }
    if (best[n] === -Infinity) throw new TokenizerFileError(this.file, 'pieces', `no segmentation of ${JSON.stringify(s.slice(0, 40))}: the model's pieces and scores leave no path (is the file damaged?)`);
    const nodes: [number, number, number][] = []; // [start, end, id or −2]
    for (let j = n; j > 0; j = from[j]) nodes.push([from[j], j, piece[j]]);
    nodes.reverse();
    const out: number[] = [];
    let prevUnk = false;
    for (const [a, b, id] of nodes) {
      if (id !== -2) { out.push(id); prevUnk = false; continue; }
      if (this.byteIds) {
        const bytes = new TextEncoder().encode(chars.slice(a, b).join(''));
        let ok = true;
        for (const byte of bytes) if (this.byteIds[byte] < 0) ok = false;
        if (ok) { for (const byte of bytes) out.push(this.byteIds[byte]); prevUnk = false; continue; }
      }
      if (!prevUnk) out.push(this.unkId);
      prevUnk = true;
    }
    return out;
  }
}
