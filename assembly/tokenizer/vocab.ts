// Model vocabulary (byte string -> token id) and merge table ((left id, right id) -> rank, merged id).
//
// vocab: n tokens; token i's MODEL bytes are tokBytes[tokOff[i] .. tokOff[i+1]) (empty = not
//   reachable by the model, e.g. added tokens or ids missing from the vocab). Byte-level models
//   store the raw bytes a token stands for (the GPT-2 byte<->char mapping already undone), others
//   the token's UTF-8. Open addressing, slots hold id+1 (0 = empty), capacity a power of two >= 2n.
// pairs: m entries given as 4 x i32 (left, right, merged or -1 to look it up, rank). Key (left<<32|right) as u64,
//   value (rank<<32|merged) as u64; a later duplicate of the same pair overwrites the earlier one
//   (as Hugging Face tokenizers does when it builds its merge map).
import { allocZeroed, hashBytes, bytesEqual } from './mem';

export let nTokens: i32 = 0;
export let tokOff: usize = 0; // i32[n + 1]
export let tokBytes: usize = 0; // u8[...]
let vocabSlots: usize = 0; // i32[cap]
let vocabMask: u32 = 0;

export let pairIn: usize = 0; // i32[4 m] filled by the host
let nPairs: i32 = 0;
let pairKeys: usize = 0; // u64[cap], EMPTY_KEY when free
let pairVals: usize = 0; // u64[cap]
let pairMask: u32 = 0;
export const EMPTY_KEY: u64 = 0xffffffffffffffff;
export const NO_PAIR: u64 = 0xffffffffffffffff;

function pow2AtLeast(n: u32): u32 {
  let c: u32 = 16;
  while (c < n) c <<= 1;
  return c;
}

/** Allocates the vocabulary arrays; the host fills tokOff (n+1 offsets) and tokBytes. */
export function vocabInit(n: i32, bytesLen: i32): void {
  nTokens = n;
  tokOff = allocZeroed(<usize>(n + 1) << 2);
  tokBytes = allocZeroed(<usize>bytesLen + 8);
}

export function vocabBuild(): void {
  const cap = pow2AtLeast(<u32>nTokens * 2 + 2);
  vocabMask = cap - 1;
  vocabSlots = allocZeroed(<usize>cap << 2);
  for (let id = 0; id < nTokens; id++) {
    const off = load<i32>(tokOff + (<usize>id << 2));
    const len = load<i32>(tokOff + (<usize>(id + 1) << 2)) - off;
    if (len <= 0) continue;
    const p = tokBytes + <usize>off;
    if (vocabLookup(p, len) >= 0) continue; // keep the first id for duplicate byte strings
    let s = hashBytes(p, len) & vocabMask;
    while (load<i32>(vocabSlots + (<usize>s << 2)) != 0) s = (s + 1) & vocabMask;
    store<i32>(vocabSlots + (<usize>s << 2), id + 1);
  }
}

/** Id of the token whose model bytes are [p, p+len), or -1. */
export function vocabLookup(p: usize, len: i32): i32 {
  let s = hashBytes(p, len) & vocabMask;
  while (true) {
    const v = load<i32>(vocabSlots + (<usize>s << 2));
    if (v == 0) return -1;
    const id = v - 1;
    const off = load<i32>(tokOff + (<usize>id << 2));
    const tlen = load<i32>(tokOff + (<usize>(id + 1) << 2)) - off;
    if (tlen == len && bytesEqual(tokBytes + <usize>off, p, len)) return id;
    s = (s + 1) & vocabMask;
  }
  return -1;
}

/** Allocates room for m merge entries (4 x i32 each) that the host fills, returns the pointer. */
export function pairsInit(m: i32): usize {
  nPairs = m;
  pairIn = allocZeroed(<usize>m << 4);
  return pairIn;
}

// @ts-ignore: decorator
@inline
function pairHash(key: u64): u32 {
  return <u32>((key * 0x9e3779b97f4a7c15) >> 32);
}

/** Builds the merge table. A merged id < 0 is looked up as the concatenation of the two
 *  tokens' bytes; returns the index of the first entry whose concatenation is not a token, or -1. */
export function pairsBuild(): i32 {
  const cap = pow2AtLeast(<u32>nPairs * 2 + 2);
  pairMask = cap - 1;
  pairKeys = heap.alloc(<usize>cap << 3);
  memory.fill(pairKeys, 0xff, <usize>cap << 3);
  pairVals = allocZeroed(<usize>cap << 3);
  let concat: usize = 0;
  let concatCap = 0;
  for (let i = 0; i < nPairs; i++) {
    const e = pairIn + (<usize>i << 4);
    if (load<i32>(e + 8) < 0) {
      const a = load<i32>(e), b = load<i32>(e + 4);
      if (a < 0 || a >= nTokens || b < 0 || b >= nTokens) return i;
      const ao = load<i32>(tokOff + (<usize>a << 2)), al = load<i32>(tokOff + (<usize>(a + 1) << 2)) - ao;
      const bo = load<i32>(tokOff + (<usize>b << 2)), bl = load<i32>(tokOff + (<usize>(b + 1) << 2)) - bo;
      if (al <= 0 || bl <= 0) return i;
      if (al + bl > concatCap) { concatCap = (al + bl) * 2; concat = heap.alloc(<usize>concatCap); }
      memory.copy(concat, tokBytes + <usize>ao, <usize>al);
      memory.copy(concat + <usize>al, tokBytes + <usize>bo, <usize>bl);
      const m = vocabLookup(concat, al + bl);
      if (m < 0) return i;
      store<i32>(e + 8, m);
    }
    const key = (<u64>load<u32>(e) << 32) | <u64>load<u32>(e + 4);
    const val = (<u64>load<u32>(e + 12) << 32) | <u64>load<u32>(e + 8);
    let s = pairHash(key) & pairMask;
    while (true) {
      const k = load<u64>(pairKeys + (<usize>s << 3));
      if (k == EMPTY_KEY || k == key) break;
      s = (s + 1) & pairMask;
    }
    store<u64>(pairKeys + (<usize>s << 3), key);
    store<u64>(pairVals + (<usize>s << 3), val);
  }
  return -1;
}

/** (rank << 32 | merged id) for the pair (a, b), or NO_PAIR. */
// @ts-ignore: decorator
@inline
export function pairLookup(a: i32, b: i32): u64 {
  const key = (<u64><u32>a << 32) | <u64><u32>b;
  let s = pairHash(key) & pairMask;
  while (true) {
    const k = load<u64>(pairKeys + (<usize>s << 3));
    if (k == key) return load<u64>(pairVals + (<usize>s << 3));
    if (k == EMPTY_KEY) return NO_PAIR;
    s = (s + 1) & pairMask;
  }
  return NO_PAIR;
}
