// xoshiro128** (Blackman & Vigna 2018): the sampler's seeded PRNG.
// State: 4 × u32 words in linear memory at `s` (never all zero). The TS side seeds it with
// SplitMix64 (src/sampling/rng.ts) and carries it per sequence across steps.
// Uniform doubles take 53 bits from two outputs, so they lie in [0, 1) on a 2^-53 grid:
// the same seed gives the same draws in Node, Deno and browsers (integer math only).

/** Next 32-bit output; advances the state at `s`. */
export function xoshiroNext(s: usize): u32 {
  const s0 = load<u32>(s), s1 = load<u32>(s, 4), s2 = load<u32>(s, 8), s3 = load<u32>(s, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  let n2 = s2 ^ s0;
  let n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  n2 ^= t;
  n3 = rotl<u32>(n3, 11);
  store<u32>(s, n0);
  store<u32>(s, n1, 4);
  store<u32>(s, n2, 8);
  store<u32>(s, n3, 12);
  return result;
}

/** Uniform double in [0, 1) from the top 27 + 26 bits of two outputs. */
export function xoshiroDouble(s: usize): f64 {
  const a = <f64>(xoshiroNext(s) >>> 5);
  const b = <f64>(xoshiroNext(s) >>> 6);
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}
