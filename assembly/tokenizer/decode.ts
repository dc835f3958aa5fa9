// Decode: token ids -> UTF-8 bytes (the host turns them into a string with TextDecoder).
//
// Per token: its decoded bytes decBytes[decOff[i] .. decOff[i+1]) and flags decFlags[i]
//   bit 0 BYTE    — a <0xNN> byte-fallback token standing for one raw byte
//   bit 1 SPECIAL — dropped when skipping special tokens
//   bit 2 MISSING — no token has this id (a gap in the vocabulary): decoding it is an error
// Modes (flags of decode()):
//   bit 0 skip special tokens
//   bit 1 byte-fallback runs (the ByteFallback decoder): each maximal run of BYTE tokens is kept
//         when it is valid UTF-8, else replaced by one U+FFFD per byte (Hugging Face semantics).
//         Without it, bytes are concatenated as they are and the host's lossy UTF-8 decode applies
//         (the ByteLevel decoder's from_utf8_lossy).
// Returns the byte length at out, or -(index + 1) of the first id outside the vocabulary.
import { allocZeroed, Scratch } from './mem';

let nDec: i32 = 0;
export let decOff: usize = 0; // i32[n + 1]
export let decBytes: usize = 0;
export let decFlags: usize = 0; // u8[n]
export const idsIn = new Scratch();
export const decOut = new Scratch();

export function decodeInit(n: i32, bytesLen: i32): void {
  nDec = n;
  decOff = allocZeroed(<usize>(n + 1) << 2);
  decBytes = allocZeroed(<usize>bytesLen + 8);
  decFlags = allocZeroed(<usize>n + 8);
}

/** True when [p, p+len) is valid UTF-8 (shortest forms, no surrogates, <= U+10FFFF). */
function validUtf8(p: usize, len: i32): bool {
  let i = 0;
  while (i < len) {
    const b = <u32>load<u8>(p + <usize>i);
    if (b < 0x80) { i++; continue; }
    let need = 0;
    let lo: u32 = 0x80, hi: u32 = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b == 0xe0) lo = 0xa0;
      if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b == 0xf0) lo = 0x90;
      if (b == 0xf4) hi = 0x8f;
    } else return false;
    if (i + need >= len) return false; // truncated sequence
    const c1 = <u32>load<u8>(p + <usize>(i + 1));
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= need; k++) {
      const c = <u32>load<u8>(p + <usize>(i + k));
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

export function decode(n: i32, flags: i32): i32 {
  const skipSpecial = (flags & 1) != 0;
  const runs = (flags & 2) != 0;
  const ids = idsIn.ptr;
  let total: usize = 0;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id < 0 || id >= nDec || (load<u8>(decFlags + <usize>id) & 4) != 0) return -(i + 1);
    // invalid runs grow 3x at most
    total += <usize>(load<i32>(decOff + (<usize>(id + 1) << 2)) - load<i32>(decOff + (<usize>id << 2))) * 3;
  }
  const o = decOut.reserve(total + 8);
  let w: usize = 0;
  let runStart: usize = 0;
  let runLen = 0;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const f = load<u8>(decFlags + <usize>id);
    if (skipSpecial && (f & 2) != 0) continue;
    const off = load<i32>(decOff + (<usize>id << 2));
    const len = load<i32>(decOff + (<usize>(id + 1) << 2)) - off;
    if (runs && (f & 1) != 0) {
      if (runLen == 0) runStart = w;
      store<u8>(o + w, load<u8>(decBytes + <usize>off));
      w++;
      runLen++;
      continue;
    }
    if (runLen > 0) { w = closeRun(o, runStart, runLen); runLen = 0; }
    memory.copy(o + w, decBytes + <usize>off, <usize>len);
    w += <usize>len;
  }
  if (runLen > 0) w = closeRun(o, runStart, runLen);
  return <i32>w;
}

/** Validates the byte run at o+start; an invalid one becomes U+FFFD per byte. Returns the new end. */
function closeRun(o: usize, start: usize, len: i32): usize {
  if (validUtf8(o + start, len)) return start + <usize>len;
  let w = start;
  for (let k = 0; k < len; k++) {
    store<u8>(o + w, 0xef);
    store<u8>(o + w + 1, 0xbf);
    store<u8>(o + w + 2, 0xbd);
    w += 3;
  }
  return w;
}
