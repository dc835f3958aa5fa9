// Raw memory helpers for the tokenizer module. With the minimal no-GC runtime, heap.alloc is a bump allocator
// that never reuses memory, so tables are allocated once and scratch buffers grow by doubling
// (the old block is abandoned; waste stays under 2x the largest request).

/** Allocates `bytes` zeroed bytes, 16-byte aligned. */
export function allocZeroed(bytes: usize): usize {
  const p = heap.alloc(bytes < 16 ? 16 : bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** A growable scratch buffer: `ptr` holds at least `cap` bytes. */
export class Scratch {
  ptr: usize = 0;
  cap: usize = 0;
  /** Makes room for `bytes` bytes; contents are NOT preserved. */
  reserve(bytes: usize): usize {
    if (bytes > this.cap) {
      let c = this.cap < 256 ? <usize>256 : this.cap;
      while (c < bytes) c <<= 1;
      this.ptr = heap.alloc(c);
      this.cap = c;
    }
    return this.ptr;
  }
  /** Makes room for `bytes` bytes, keeping the first `keep` bytes. */
  grow(bytes: usize, keep: usize): usize {
    if (bytes > this.cap) {
      const old = this.ptr;
      let c = this.cap < 256 ? <usize>256 : this.cap;
      while (c < bytes) c <<= 1;
      this.ptr = heap.alloc(c);
      this.cap = c;
      if (keep > 0) memory.copy(this.ptr, old, keep);
    }
    return this.ptr;
  }
}

/** 32-bit hash of a byte string (multiply-xorshift over 4-byte chunks). */
// @ts-ignore: decorator
@inline
export function hashBytes(p: usize, len: i32): u32 {
  let h: u32 = 0x811c9dc5 ^ <u32>len;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    h = (h ^ load<u32>(p + <usize>i)) * 0x01000193;
    h ^= h >> 15;
  }
  for (; i < len; i++) h = (h ^ <u32>load<u8>(p + <usize>i)) * 0x01000193;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  return h;
}

/** Byte-wise equality of two byte strings of the same length. */
// @ts-ignore: decorator
@inline
export function bytesEqual(a: usize, b: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  for (; i < len; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}
