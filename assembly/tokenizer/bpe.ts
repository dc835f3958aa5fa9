// BPE over one pre-token ("word"): initial symbols, then merges by rank until none applies.
//
// Initial symbols
//   byte-level models: one symbol per byte, byteIds[b] (the id of the GPT-2 char for byte b);
//   other models: one symbol per UTF-8 character (vocabulary lookup of its bytes); a character
//   missing from the vocabulary becomes its <0xNN> byte tokens when byte fallback is on and all
//   of them exist, else <unk> (consecutive ones fused into one when fuse_unk), else it is dropped
//   — the order of Hugging Face tokenizers' BPE::merge_word.
// Merges: repeatedly merge the adjacent pair of lowest rank, leftmost first among equal ranks
//   (ranks come from the merges list, or from token scores for llama2.c vocabularies).
//   Short words (n <= smallLimit): rank array + linear scan, O(n^2) but two table lookups per
//   merge. Long words: a binary min-heap of (rank << 32 | position) over a doubly linked symbol
//   list, O(n log n); stale heap entries are dropped on pop when the pair now at that position
//   no longer has that rank.
// ignore_merges: a word that is itself a vocabulary token is emitted as that token.
import { Scratch, hashBytes } from './mem';
import { vocabLookup, pairLookup, NO_PAIR } from './vocab';
import { cacheEnabled, cacheGet, cachePut, CACHE_MAX_KEY } from './cache';
import { utf8Len } from './unicode';

export let byteLevel: bool = true;
export let ignoreMerges: bool = false;
export let byteFallback: bool = false;
export let unkId: i32 = -1;
export let fuseUnk: bool = false;
export let smallLimit: i32 = 48;
export const byteIds: usize = heap.alloc(1024); // i32[256]
export const fallbackIds: usize = heap.alloc(1024); // i32[256]

export function setModel(flags: i32, unk: i32, small: i32): void {
  byteLevel = (flags & 1) != 0;
  ignoreMerges = (flags & 2) != 0;
  byteFallback = (flags & 4) != 0;
  fuseUnk = (flags & 8) != 0;
  unkId = unk;
  smallLimit = small;
}

// Output ids of the current call.
export const out = new Scratch();
export let outLen: i32 = 0;
export function resetOut(): void { outLen = 0; }
export function setOutLen(n: i32): void { outLen = n; }

const symIds = new Scratch();
const symRank = new Scratch();
const symMerged = new Scratch();
const symNext = new Scratch();
const symPrev = new Scratch();
const heapBuf = new Scratch();

/** Encodes the word [p, p+len) and appends its ids to `out`. */
export function encodeWord(p: usize, len: i32): void {
  if (len <= 0) return;
  out.grow(<usize>(outLen + len) << 2, <usize>outLen << 2);
  const dst = out.ptr + (<usize>outLen << 2);
  if (cacheEnabled && len <= CACHE_MAX_KEY) {
    const h = hashBytes(p, len);
    const got = cacheGet(h, p, len, dst);
    if (got >= 0) {
      outLen += got;
      return;
    }
    const n = encodeUncached(p, len, dst);
    cachePut(h, p, len, dst, n);
    outLen += n;
    return;
  }
  outLen += encodeUncached(p, len, dst);
}

function encodeUncached(p: usize, len: i32, dst: usize): i32 {
  if (ignoreMerges) {
    const id = vocabLookup(p, len);
    if (id >= 0) {
      store<i32>(dst, id);
      return 1;
    }
  }
  let n = initialSymbols(p, len);
  if (n > 1) n = n <= smallLimit ? mergeSmall(n) : mergeHeap(n);
  memory.copy(dst, symIds.ptr, <usize>n << 2);
  return n;
}

function initialSymbols(p: usize, len: i32): i32 {
  const ids = symIds.reserve(<usize>len << 2);
  let n = 0;
  if (byteLevel && unkId < 0) {
    // fast path: every byte maps to its own symbol (ids < 0 are dropped, as without <unk>)
    for (let i = 0; i < len; i++) {
      const id = load<i32>(byteIds + (<usize>load<u8>(p + <usize>i) << 2));
      if (id >= 0) store<i32>(ids + (<usize>(n++) << 2), id);
    }
    return n;
  }
  let pendingUnk = false;
  let i = 0;
  while (i < len) {
    const b = <u32>load<u8>(p + <usize>i);
    const clen = byteLevel ? 1 : min<i32>(<i32>utf8Len(b), len - i);
    const id = byteLevel ? load<i32>(byteIds + (<usize>b << 2)) : vocabLookup(p + <usize>i, clen);
    if (id >= 0) {
      if (pendingUnk) { store<i32>(ids + (<usize>(n++) << 2), unkId); pendingUnk = false; }
      store<i32>(ids + (<usize>(n++) << 2), id);
    } else {
      let done = false;
      if (byteFallback) {
        let all = true;
        for (let k = 0; k < clen; k++) {
          if (load<i32>(fallbackIds + (<usize>load<u8>(p + <usize>(i + k)) << 2)) < 0) { all = false; break; }
        }
        if (all) {
          if (pendingUnk) { store<i32>(ids + (<usize>(n++) << 2), unkId); pendingUnk = false; }
          for (let k = 0; k < clen; k++) {
            store<i32>(ids + (<usize>(n++) << 2), load<i32>(fallbackIds + (<usize>load<u8>(p + <usize>(i + k)) << 2)));
          }
          done = true;
        }
      }
      if (!done && unkId >= 0) {
        if (pendingUnk && !fuseUnk) store<i32>(ids + (<usize>(n++) << 2), unkId);
        pendingUnk = true;
      }
    }
    i += clen;
  }
  if (pendingUnk) store<i32>(ids + (<usize>(n++) << 2), unkId);
  return n;
}

// @ts-ignore: decorator
@inline
function rankOf(v: u64): u32 {
  return v == NO_PAIR ? 0xffffffff : <u32>(v >> 32);
}

function mergeSmall(n: i32): i32 {
  const ids = symIds.ptr;
  const rk = symRank.reserve(<usize>n << 2);
  const mg = symMerged.reserve(<usize>n << 2);
  for (let i = 0; i < n - 1; i++) {
    const v = pairLookup(load<i32>(ids + (<usize>i << 2)), load<i32>(ids + (<usize>(i + 1) << 2)));
    store<u32>(rk + (<usize>i << 2), rankOf(v));
    store<i32>(mg + (<usize>i << 2), <i32>v);
  }
  while (n > 1) {
    let best: u32 = 0xffffffff;
    let bi = -1;
    for (let i = 0; i < n - 1; i++) {
      const r = load<u32>(rk + (<usize>i << 2));
      if (r < best) { best = r; bi = i; }
    }
    if (bi < 0) break;
    store<i32>(ids + (<usize>bi << 2), load<i32>(mg + (<usize>bi << 2)));
    // drop symbol bi+1 and pair bi+1
    const tail = n - bi - 2; // symbols after bi+1
    if (tail > 0) {
      memory.copy(ids + (<usize>(bi + 1) << 2), ids + (<usize>(bi + 2) << 2), <usize>tail << 2);
      if (tail > 1) {
        memory.copy(rk + (<usize>(bi + 1) << 2), rk + (<usize>(bi + 2) << 2), <usize>(tail - 1) << 2);
        memory.copy(mg + (<usize>(bi + 1) << 2), mg + (<usize>(bi + 2) << 2), <usize>(tail - 1) << 2);
      }
    }
    n--;
    if (bi > 0) {
      const v = pairLookup(load<i32>(ids + (<usize>(bi - 1) << 2)), load<i32>(ids + (<usize>bi << 2)));
      store<u32>(rk + (<usize>(bi - 1) << 2), rankOf(v));
      store<i32>(mg + (<usize>(bi - 1) << 2), <i32>v);
    }
    if (bi < n - 1) {
      const v = pairLookup(load<i32>(ids + (<usize>bi << 2)), load<i32>(ids + (<usize>(bi + 1) << 2)));
      store<u32>(rk + (<usize>bi << 2), rankOf(v));
      store<i32>(mg + (<usize>bi << 2), <i32>v);
    }
  }
  return n;
}

// ---- binary min-heap of u64 keys (rank << 32 | position) ----
let hp: usize = 0;
let hn: i32 = 0;

// @ts-ignore: decorator
@inline
function heapPush(key: u64): void {
  let i = hn++;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pk = load<u64>(hp + (<usize>parent << 3));
    if (pk <= key) break;
    store<u64>(hp + (<usize>i << 3), pk);
    i = parent;
  }
  store<u64>(hp + (<usize>i << 3), key);
}

function heapPop(): u64 {
  const top = load<u64>(hp);
  const last = load<u64>(hp + (<usize>(--hn) << 3));
  let i = 0;
  while (true) {
    let c = 2 * i + 1;
    if (c >= hn) break;
    let ck = load<u64>(hp + (<usize>c << 3));
    if (c + 1 < hn) {
      const rk = load<u64>(hp + (<usize>(c + 1) << 3));
      if (rk < ck) { c++; ck = rk; }
    }
    if (last <= ck) break;
    store<u64>(hp + (<usize>i << 3), ck);
    i = c;
  }
  if (hn > 0) store<u64>(hp + (<usize>i << 3), last);
  return top;
}

// @ts-ignore: decorator
@inline
function pushPair(ids: usize, left: i32, right: i32): void {
  const v = pairLookup(load<i32>(ids + (<usize>left << 2)), load<i32>(ids + (<usize>right << 2)));
  if (v != NO_PAIR) heapPush((v & 0xffffffff00000000) | <u64><u32>left);
}

function mergeHeap(n: i32): i32 {
  const ids = symIds.ptr;
  const nx = symNext.reserve(<usize>n << 2);
  const pv = symPrev.reserve(<usize>n << 2);
  hp = heapBuf.reserve(<usize>n * 24 + 8); // at most n-1 initial pairs + 2 per merge
  hn = 0;
  for (let i = 0; i < n; i++) {
    store<i32>(nx + (<usize>i << 2), i + 1 < n ? i + 1 : -1);
    store<i32>(pv + (<usize>i << 2), i - 1);
  }
  for (let i = 0; i < n - 1; i++) pushPair(ids, i, i + 1);
  while (hn > 0) {
    const key = heapPop();
    const pos = <i32>(key & 0xffffffff);
    const left = load<i32>(ids + (<usize>pos << 2));
    if (left < 0) continue;
    const right = load<i32>(nx + (<usize>pos << 2));
    if (right < 0) continue;
    const v = pairLookup(left, load<i32>(ids + (<usize>right << 2)));
    if (v == NO_PAIR || (v >> 32) != (key >> 32)) continue;
    store<i32>(ids + (<usize>pos << 2), <i32>v);
    store<i32>(ids + (<usize>right << 2), -1);
    const after = load<i32>(nx + (<usize>right << 2));
    store<i32>(nx + (<usize>pos << 2), after);
    if (after >= 0) store<i32>(pv + (<usize>after << 2), pos);
    const before = load<i32>(pv + (<usize>pos << 2));
    if (before >= 0) pushPair(ids, before, pos);
    if (after >= 0) pushPair(ids, pos, after);
  }
  let k = 0;
  for (let i = 0; i >= 0; i = load<i32>(nx + (<usize>i << 2))) {
    store<i32>(ids + (<usize>(k++) << 2), load<i32>(ids + (<usize>i << 2)));
  }
  return k;
}
