// sppo tokenizer hot loops (AssemblyScript → wasm; bound by src/tokenizer/engine.ts).
//
// One instance holds one model. Setup (once):
//   classesInit(n) -> ptr; host writes n (start, end, class) i32 triples; classesBuild()
//   vocabInit(n, bytes); host fills vocabOffsetsPtr() (n+1 i32) and vocabBytesPtr(); vocabBuild()
//   pairsInit(m) -> ptr; host writes m (left, right, merged or -1, rank) i32 quads;
//   pairsBuild() -> -1, or the index of a merge whose left+right is not a token
//   byteIdsPtr() / fallbackIdsPtr(): i32[256] each; setModel(flags, unk, smallLimit); cacheInit()
//   decodeInit(n, bytes); host fills decodeOffsetsPtr(), decodeBytesPtr(), decodeFlagsPtr()
// Encode:
//   inputReserve(len) -> ptr (UTF-8 bytes go there), then
//   encode(len, mode, maxDigits)            — one text, scanned by `mode` (see scan.ts)
//   encodePieces(nPieces, mode, maxDigits)  — piece end offsets in piecesReserve(n) (i32), each
//                                             piece scanned by `mode` on its own
//   both return the id count; ids are i32 at outputPtr().
// Decode:
//   idsReserve(n) -> ptr (i32 ids), decode(n, flags) -> byte length at decodeOutputPtr()
//   (negative: -(index+1) of an id outside the vocabulary).
// Test hook: scanPieces(len, mode, maxDigits) — piece end offsets instead of ids.
import { Scratch } from './mem';
import { tokOff, tokBytes } from './vocab';
import { out, outLen, resetOut, byteIds, fallbackIds } from './bpe';
import { scan, setRecordOnly } from './scan';
import { decOff, decBytes, decFlags, idsIn, decOut } from './decode';

export { classesInit, classesBuild } from './unicode';
export { vocabInit, vocabBuild, pairsInit, pairsBuild } from './vocab';
export { setModel } from './bpe';
export { cacheInit, cacheClear } from './cache';
export { decodeInit, decode } from './decode';

const input = new Scratch();
const pieces = new Scratch();

export function vocabOffsetsPtr(): usize { return tokOff; }
export function vocabBytesPtr(): usize { return tokBytes; }
export function byteIdsPtr(): usize { return byteIds; }
export function fallbackIdsPtr(): usize { return fallbackIds; }
export function decodeOffsetsPtr(): usize { return decOff; }
export function decodeBytesPtr(): usize { return decBytes; }
export function decodeFlagsPtr(): usize { return decFlags; }

export function inputReserve(len: i32): usize { return input.reserve(<usize>len + 8); }
export function piecesReserve(n: i32): usize { return pieces.reserve(<usize>n << 2); }
export function idsReserve(n: i32): usize { return idsIn.reserve(<usize>n << 2); }
export function outputPtr(): usize { return out.ptr; }
export function decodeOutputPtr(): usize { return decOut.ptr; }

export function encode(len: i32, mode: i32, maxDigits: i32): i32 {
  resetOut();
  out.reserve(<usize>len << 2);
  scan(input.ptr, input.ptr + <usize>len, mode, maxDigits);
  return outLen;
}

export function encodePieces(nPieces: i32, mode: i32, maxDigits: i32): i32 {
  resetOut();
  let start: usize = input.ptr;
  for (let i = 0; i < nPieces; i++) {
    const end = input.ptr + <usize>load<i32>(pieces.ptr + (<usize>i << 2));
    scan(start, end, mode, maxDigits);
    start = end;
  }
  return outLen;
}

/** Test hook: the scanner's piece end offsets (bytes) for the input, at outputPtr(). */
export function scanPieces(len: i32, mode: i32, maxDigits: i32): i32 {
  resetOut();
  out.reserve(<usize>len << 2);
  setRecordOnly(true, input.ptr);
  scan(input.ptr, input.ptr + <usize>len, mode, maxDigits);
  setRecordOnly(false, 0);
  return outLen;
}
