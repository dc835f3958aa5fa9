// Code-point classes for the pre-tokenizer scanners: OTHER, L (\p{L}), N (\p{N}),
// WS (\p{White_Space}: Oniguruma's \s, which the tokenizer.json patterns are written for).
// The host passes sorted, disjoint ranges as i32 triples (start, end inclusive, class) — from
// src/tokenizer/unicode-classes.ts. Lookup: a flat u8 table for the BMP (64 KiB), binary search
// over the ranges above U+FFFF (rare: emoji, historic scripts, CJK extensions).
import { allocZeroed } from './mem';

export const C_OTHER: u8 = 0;
export const C_L: u8 = 1;
export const C_N: u8 = 2;
export const C_WS: u8 = 3;

let bmp: usize = 0; // u8[65536]
export let rangesIn: usize = 0; // i32[3 n]
let nRanges: i32 = 0;
let astralFirst: i32 = 0; // index of the first range that ends above U+FFFF

export function classesInit(n: i32): usize {
  nRanges = n;
  rangesIn = allocZeroed(<usize>n * 12);
  return rangesIn;
}

export function classesBuild(): void {
  bmp = allocZeroed(65536);
  astralFirst = nRanges;
  for (let i = 0; i < nRanges; i++) {
    const e = rangesIn + <usize>i * 12;
    const lo = load<i32>(e), hi = load<i32>(e + 4), c = <u8>load<i32>(e + 8);
    if (hi > 0xffff && i < astralFirst) astralFirst = i;
    const top = hi > 0xffff ? 0xffff : hi;
    for (let cp = lo; cp <= top; cp++) store<u8>(bmp + <usize>cp, c);
  }
}

/** Class of code point cp. */
// @ts-ignore: decorator
@inline
export function classOf(cp: u32): u8 {
  if (cp < 0x10000) return load<u8>(bmp + <usize>cp);
  return astralClass(cp);
}

function astralClass(cp: u32): u8 {
  let lo = astralFirst, hi = nRanges - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = rangesIn + <usize>mid * 12;
    if (<u32>load<i32>(e + 4) < cp) lo = mid + 1;
    else if (<u32>load<i32>(e) > cp) hi = mid - 1;
    else return <u8>load<i32>(e + 8);
  }
  return C_OTHER;
}

/** Byte length of the UTF-8 sequence that starts with lead byte b (input is valid UTF-8). */
// @ts-ignore: decorator
@inline
export function utf8Len(b: u32): usize {
  return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/** Code point of the (valid) UTF-8 sequence at p. */
// @ts-ignore: decorator
@inline
export function codePointAt(p: usize): u32 {
  const b0 = <u32>load<u8>(p);
  if (b0 < 0x80) return b0;
  if (b0 < 0xe0) return ((b0 & 0x1f) << 6) | (<u32>load<u8>(p + 1) & 0x3f);
  if (b0 < 0xf0) return ((b0 & 0x0f) << 12) | ((<u32>load<u8>(p + 1) & 0x3f) << 6) | (<u32>load<u8>(p + 2) & 0x3f);
  return ((b0 & 0x07) << 18) | ((<u32>load<u8>(p + 1) & 0x3f) << 12) | ((<u32>load<u8>(p + 2) & 0x3f) << 6) | (<u32>load<u8>(p + 3) & 0x3f);
}

/** Class of the character at p (p < end). */
// @ts-ignore: decorator
@inline
export function classAt(p: usize): u8 {
  const b = <u32>load<u8>(p);
  if (b < 0x80) return load<u8>(bmp + <usize>b);
  return classOf(codePointAt(p));
}

/** First position at or after p whose character is not of class c (or end). */
export function skipClass(p: usize, end: usize, c: u8): usize {
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (b < 0x80) {
      if (load<u8>(bmp + <usize>b) != c) return p;
      p++;
    } else {
      if (classOf(codePointAt(p)) != c) return p;
      p += utf8Len(b);
    }
  }
  return end;
}
