// Per-word result cache: pre-token bytes -> token ids, as real tokenizers keep one. Two
// generations approximate LRU: lookups search the young generation, then the old one (a hit there
// is copied into the young one); when the young generation fills up it becomes the old one and
// the previous old one is dropped. Words longer than CACHE_MAX_KEY bytes are not cached.
//
// Per generation: slots i32[SLOTS] (entry index + 1, 0 = empty), entries 4 x i32
// (hash, arena offset, key length, id count), arena = for each entry its ids (i32) then its key.
import { allocZeroed, bytesEqual } from './mem';

export const CACHE_MAX_KEY: i32 = 256;
const SLOTS: i32 = 1 << 16;
const SLOT_MASK: u32 = <u32>SLOTS - 1;
const ENTRIES: i32 = 1 << 15;
const ARENA: i32 = 1 << 21;

class Generation {
  slots: usize = allocZeroed(<usize>SLOTS << 2);
  entries: usize = allocZeroed(<usize>ENTRIES << 4);
  arena: usize = allocZeroed(<usize>ARENA);
  count: i32 = 0;
  used: i32 = 0;

  clear(): void {
    memory.fill(this.slots, 0, <usize>SLOTS << 2);
    this.count = 0;
    this.used = 0;
  }

  /** Entry index for the key, or -1. */
  find(h: u32, p: usize, len: i32): i32 {
    let s = h & SLOT_MASK;
    while (true) {
      const v = load<i32>(this.slots + (<usize>s << 2));
      if (v == 0) return -1;
      const e = this.entries + (<usize>(v - 1) << 4);
      if (load<u32>(e) == h && load<i32>(e + 8) == len) {
        const n = load<i32>(e + 12);
        if (bytesEqual(this.arena + <usize>load<i32>(e + 4) + (<usize>n << 2), p, len)) return v - 1;
      }
      s = (s + 1) & SLOT_MASK;
    }
    return -1;
  }

  /** Stores key -> ids; false when this generation is full. */
  insert(h: u32, p: usize, len: i32, ids: usize, n: i32): bool {
    const need = ((n << 2) + len + 3) & ~3;
    if (this.count >= ENTRIES || this.used + need > ARENA) return false;
    const idx = this.count++;
    const off = this.used;
    this.used += need;
    const e = this.entries + (<usize>idx << 4);
    store<u32>(e, h);
    store<i32>(e + 4, off);
    store<i32>(e + 8, len);
    store<i32>(e + 12, n);
    memory.copy(this.arena + <usize>off, ids, <usize>n << 2);
    memory.copy(this.arena + <usize>off + (<usize>n << 2), p, <usize>len);
    let s = h & SLOT_MASK;
    while (load<i32>(this.slots + (<usize>s << 2)) != 0) s = (s + 1) & SLOT_MASK;
    store<i32>(this.slots + (<usize>s << 2), idx + 1);
    return true;
  }

  idsPtr(idx: i32): usize {
    return this.arena + <usize>load<i32>(this.entries + (<usize>idx << 4) + 4);
  }
  idsCount(idx: i32): i32 {
    return load<i32>(this.entries + (<usize>idx << 4) + 12);
  }
}

let young: Generation | null = null;
let old: Generation | null = null;
export let cacheEnabled: bool = false;

export function cacheInit(): void {
  young = new Generation();
  old = new Generation();
  cacheEnabled = true;
}

export function cacheClear(): void {
  if (!cacheEnabled) return;
  young!.clear();
  old!.clear();
}

/** Copies the cached ids for the key to dst and returns their count, or returns -1. */
export function cacheGet(h: u32, p: usize, len: i32, dst: usize): i32 {
  const y = young!;
  let idx = y.find(h, p, len);
  if (idx >= 0) {
    const n = y.idsCount(idx);
    memory.copy(dst, y.idsPtr(idx), <usize>n << 2);
    return n;
  }
  const o = old!;
  idx = o.find(h, p, len);
  if (idx < 0) return -1;
  const n = o.idsCount(idx);
  memory.copy(dst, o.idsPtr(idx), <usize>n << 2);
  cachePut(h, p, len, dst, n);
  return n;
}

export function cachePut(h: u32, p: usize, len: i32, ids: usize, n: i32): void {
  if (young!.insert(h, p, len, ids, n)) return;
  const t = old!;
  old = young;
  young = t;
  t.clear();
  t.insert(h, p, len, ids, n);
}
