// SentencePiece's model file (spm.model: a serialized ModelProto), read by hand — the proto2
// wire format needs only varints, fixed32 and length-delimited fields, so no protobuf library.
// The fields read (sentencepiece_model.proto):
//   ModelProto      1 pieces (repeated SentencePiece)  2 trainer_spec  3 normalizer_spec
//   SentencePiece   1 piece (string)  2 score (float)  3 type (enum: 1 NORMAL, 2 UNKNOWN,
//                   3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE; default NORMAL)
//   TrainerSpec     3 model_type (1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR)  35 byte_fallback
//                   40 unk_id  41 bos_id  42 eos_id  43 pad_id
//   NormalizerSpec  1 name  2 precompiled_charsmap  3 add_dummy_prefix (default true)
//                   4 remove_extra_whitespaces (default true)  5 escape_whitespaces (default true)
// Unknown fields are skipped by wire type; a truncated or malformed file is a
// TokenizerFileError naming the byte offset.
import { TokenizerFileError } from './errors.js';

export const PIECE_NORMAL = 1, PIECE_UNKNOWN = 2, PIECE_CONTROL = 3, PIECE_USER_DEFINED = 4, PIECE_UNUSED = 5, PIECE_BYTE = 6;

export interface SpmPiece { piece: string; score: number; type: number }

export interface SpmModel {
  pieces: SpmPiece[];
  /** 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR (default UNIGRAM) */
  modelType: number;
  byteFallback: boolean;
  unkId: number;
  normalizer: { name: string; addDummyPrefix: boolean; removeExtraWhitespaces: boolean; escapeWhitespaces: boolean; hasCharsmap: boolean };
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly file: string, readonly end = buf.length) {}
  fail(what: string): never { throw new TokenizerFileError(this.file, '', `${what} at byte ${this.pos}: not a SentencePiece model (spm.model), or a damaged one`); }
  varint(): number {
    let v = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) this.fail(`field of ${n} bytes runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  f32(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) { this.pos += 8; if (this.pos > this.end) this.fail('truncated fixed64'); }
    else if (wire === 2) this.bytes();
    else if (wire === 5) { this.pos += 4; if (this.pos > this.end) this.fail('truncated fixed32'); }
    else this.fail(`unsupported wire type ${wire}`);
  }
  /** calls f(field, wire) for each field of the message between pos and end */
  each(f: (field: number, wire: number, r: Reader) => boolean): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8), wire = key & 7;
      if (!f(field, wire, this)) this.skip(wire);
    }
  }
  sub(bytes: Uint8Array): Reader { return new Reader(bytes, this.file); }
  /** a length-delimited UTF-8 string */
  str(what: string): string {
    const b = this.bytes();
    try { return utf8.decode(b); } catch { return this.fail(`${what} that is not UTF-8`); }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** parses spm.model bytes; `file` names it in errors */
export function parseSpmModel(buf: Uint8Array, file: string): SpmModel {
  const r = new Reader(buf, file);
  const m: SpmModel = {
    pieces: [], modelType: 1, byteFallback: false, unkId: -1,
    normalizer: { name: '', addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true, hasCharsmap: false },
  };
  let unkField = -1;
  r.each((field, wire, rr) => {
    if (field === 1 && wire === 2) {
      const p: SpmPiece = { piece: '', score: 0, type: PIECE_NORMAL };
      rr.sub(rr.bytes()).each((f, w, s) => {
        if (f === 1 && w === 2) { p.piece = s.str('a piece'); return true; }
        if (f === 2 && w === 5) { p.score = s.f32(); return true; }
        if (f === 3 && w === 0) { p.type = s.varint(); return true; }
        return false;
      });
      m.pieces.push(p);
      return true;
    }
    if (field === 2 && wire === 2) {
      rr.sub(rr.bytes()).each((f, w, s) => {
        if (f === 3 && w === 0) { m.modelType = s.varint(); return true; }
        if (f === 35 && w === 0) { m.byteFallback = s.varint() !== 0; return true; }
        if (f === 40 && w === 0) { unkField = s.varint(); return true; }
        return false;
      });
      return true;
    }
    if (field === 3 && wire === 2) {
      rr.sub(rr.bytes()).each((f, w, s) => {
        if (f === 1 && w === 2) { m.normalizer.name = s.str('a normalizer name'); return true; }
        if (f === 2 && w === 2) { m.normalizer.hasCharsmap = s.bytes().length > 0; return true; }
        if (f === 3 && w === 0) { m.normalizer.addDummyPrefix = s.varint() !== 0; return true; }
        if (f === 4 && w === 0) { m.normalizer.removeExtraWhitespaces = s.varint() !== 0; return true; }
        if (f === 5 && w === 0) { m.normalizer.escapeWhitespaces = s.varint() !== 0; return true; }
        return false;
      });
      return true;
    }
    return false;
  });
  if (m.pieces.length === 0) throw new TokenizerFileError(file, 'pieces', 'the model has no pieces: not a SentencePiece model (spm.model)');
  // a non-finite score makes the Viterbi lattice lose every path through that piece (no
  // segmentation at all); SentencePiece's trainer never writes one
  const bad = m.pieces.findIndex((p) => !Number.isFinite(p.score));
  if (bad >= 0) throw new TokenizerFileError(file, `pieces[${bad}].score`, `is ${m.pieces[bad].score} (piece ${JSON.stringify(m.pieces[bad].piece)}): scores must be finite — the file is damaged; download spm.model again`);
  const unk = m.pieces.findIndex((p) => p.type === PIECE_UNKNOWN);
  m.unkId = unk >= 0 ? unk : unkField;
  if (m.unkId < 0 || m.unkId >= m.pieces.length) throw new TokenizerFileError(file, 'pieces', 'no piece of type UNKNOWN: a SentencePiece model needs one');
  return m;
}
