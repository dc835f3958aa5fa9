// Pre-tokenizer scanners: hand-written equivalents of the split regexes in use, run over UTF-8
// bytes; every piece found goes straight to encodeWord. The host picks the mode by matching the
// tokenizer.json pattern exactly (src/tokenizer/patterns.ts); the tests check each scanner against
// the JavaScript RegExp translation of the pattern and against the reference tokenizers.
//
// MODE_WHOLE  the whole input is one piece (no pre-tokenizer, e.g. SentencePiece-style BPE).
// MODE_GPT2   GPT-2 / ByteLevel(use_regex):
//             's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// MODE_CL100K Llama 3 / cl100k (maxDigits 3), Qwen2 (maxDigits 1):
//             (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//             ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Alternatives are tried in order at each position (leftmost-first, as the regex engines do);
// each branch below says which alternative it implements. \s is \p{White_Space}, as in
// Oniguruma and Rust's regex (JavaScript's own \s adds U+FEFF and lacks U+0085).
import { classAt, skipClass, utf8Len, C_L, C_N, C_WS, C_OTHER } from './unicode';
import { encodeWord, out, outLen, setOutLen } from './bpe';

/** Test hook: record piece end offsets (from the scan start) in `out` instead of encoding. */
let recordOnly = false;
let recordBase: usize = 0;
export function setRecordOnly(on: bool, base: usize): void { recordOnly = on; recordBase = base; }

// @ts-ignore: decorator
@inline
function piece(p: usize, len: i32): void {
  if (!recordOnly) { encodeWord(p, len); return; }
  out.grow(<usize>(outLen + 1) << 2, <usize>outLen << 2);
  store<i32>(out.ptr + (<usize>outLen << 2), <i32>(p + <usize>len - recordBase));
  setOutLen(outLen + 1);
}

export const MODE_WHOLE = 0;
export const MODE_GPT2 = 1;
export const MODE_CL100K = 2;

/** Length of a contraction ('s 't 're 've 'm 'll 'd) at p (which holds '), or 0. */
// @ts-ignore: decorator
@inline
function contraction(p: usize, end: usize, fold: u32): usize {
  if (p + 1 >= end) return 0;
  const c1 = <u32>load<u8>(p + 1) | fold;
  if (c1 == 0x73 || c1 == 0x74 || c1 == 0x6d || c1 == 0x64) return 2; // s t m d
  if (p + 2 >= end) return 0;
  const c2 = <u32>load<u8>(p + 2) | fold;
  if ((c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6c && c2 == 0x6c)) return 3; // re ve ll
  return 0;
}

/** Start of the last character before end (end > p). */
// @ts-ignore: decorator
@inline
function lastCharStart(end: usize): usize {
  let q = end - 1;
  while ((<u32>load<u8>(q) & 0xc0) == 0x80) q--;
  return q;
}

/** End of a whitespace run [p, k) for \s+(?!\S)|\s+ : all of it at the end of input or when it
 *  is one character, else all but its last character. */
// @ts-ignore: decorator
@inline
function spaceRun(p: usize, k: usize, end: usize): usize {
  if (k == end) return k;
  const last = lastCharStart(k);
  return last > p ? last : k;
}

export function scanGpt2(p: usize, end: usize): void {
  while (p < end) {
    const b = <u32>load<u8>(p);
    let q: usize = 0;
    if (b == 0x27) { // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
      const n = contraction(p, end, 0);
      if (n) q = p + n;
    }
    if (!q) {
      let s = p; // start of the class run, after an optional leading space
      let c = classAt(p);
      if (b == 0x20 && p + 1 < end) {
        const c2 = classAt(p + 1);
        if (c2 != C_WS) { s = p + 1; c = c2; } //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
      }
      if (c != C_WS) q = skipClass(s + utf8Len(<u32>load<u8>(s)), end, c);
      else q = spaceRun(p, skipClass(p, end, C_WS), end); // \s+(?!\S)|\s+
    }
    piece(p, <i32>(q - p));
    p = q;
  }
}

/** Skips [\r\n]* from p. */
// @ts-ignore: decorator
@inline
function skipNewlines(p: usize, end: usize): usize {
  while (p < end) {
    const b = load<u8>(p);
    if (b != 0x0d && b != 0x0a) break;
    p++;
  }
  return p;
}

export function scanCl100k(p: usize, end: usize, maxDigits: i32): void {
  while (p < end) {
    const b = <u32>load<u8>(p);
    let q: usize = 0;
    if (b == 0x27) { // (?i:'s|'t|'re|'ve|'m|'ll|'d)
      const n = contraction(p, end, 0x20);
      if (n) q = p + n;
    }
    if (!q) {
      const c = classAt(p);
      const l = utf8Len(b);
      if (c == C_L) { // \p{L}+
        q = skipClass(p + l, end, C_L);
      } else if (c != C_N && b != 0x0d && b != 0x0a && p + l < end && classAt(p + l) == C_L) {
        q = skipClass(p + l, end, C_L); // [^\r\n\p{L}\p{N}]\p{L}+
      } else if (c == C_N) { // \p{N}{1,maxDigits}
        q = p + l;
        for (let k = 1; k < maxDigits && q < end && classAt(q) == C_N; k++) q += utf8Len(<u32>load<u8>(q));
      } else if (c == C_OTHER) { // [^\s\p{L}\p{N}]+[\r\n]*
        q = skipNewlines(skipClass(p + l, end, C_OTHER), end);
      } else if (b == 0x20 && p + 1 < end && classAt(p + 1) == C_OTHER) { // ' [^\s\p{L}\p{N}]+[\r\n]*'
        q = skipNewlines(skipClass(p + 1, end, C_OTHER), end);
      } else { // whitespace
        const k = skipClass(p, end, C_WS);
        let r = k;
        while (r > p) { // \s*[\r\n]+ : through the last \r or \n of the run
          const x = load<u8>(r - 1);
          if (x == 0x0d || x == 0x0a) break;
          r--;
        }
        q = r > p ? r : spaceRun(p, k, end); // else \s+(?!\S)|\s+
      }
    }
    piece(p, <i32>(q - p));
    p = q;
  }
}

/** Runs the scanner of `mode` over [p, end). */
export function scan(p: usize, end: usize, mode: i32, maxDigits: i32): void {
  if (p >= end) return;
  if (mode == MODE_GPT2) scanGpt2(p, end);
  else if (mode == MODE_CL100K) scanCl100k(p, end, maxDigits);
  else piece(p, <i32>(end - p));
}
