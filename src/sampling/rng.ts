// The project's one seeded random-number module. Every random choice in sppo draws from here, so
// one seed gives the same numbers in Node, Deno and browsers (integer math only):
//   - SplitMix64 (Steele, Lea, Flood 2014): seeding, counter-based hashing (`mix64`), and the
//     stream behind `shuffle` (the coordinator's prompt splits and training order);
//   - xoshiro128** (Blackman & Vigna 2018), seeded by SplitMix64: `uniform` streams on the host
//     (SFT / judge-training order, LoRA init) and, stepped inside the sampler's wasm module
//     (assembly/sampler/rng.ts, the same generator), `SamplerRng`: one sequence's sampling stream.
// `seededNormal` (parameter initialisation) runs the same xoshiro128** from its own fixed seeding.
// SamplerRng seeding: s = [lo(z1), hi(z1), lo(z2), hi(z2)] for the first two SplitMix64 outputs
// z1, z2 of (seed + stream · STREAM_MUL). toJSON()/fromState() save and restore a stream exactly
// (for resumable runs).

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;
/** odd constant that spreads stream numbers over the seed space */
const STREAM_MUL = 0xd1b54a32d192ed03n;

function toU64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (!Number.isSafeInteger(v)) throw new RangeError(`SamplerRng: ${what} ${v} is not a safe integer; use an integer (or a bigint for seeds beyond 2^53)`);
  return BigInt.asUintN(64, BigInt(v));
}

/** SplitMix64's output function: a bijective 64-bit mix (also a good hash of a counter). */
export function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** SplitMix64: the next output and the advanced state. */
export function splitMix64(state: bigint): [bigint, bigint] {
  const s = (state + GOLDEN) & MASK64;
  return [mix64(s), s];
}

/** A SplitMix64 stream of uniform doubles in [0, 1) (53 bits per draw). */
export function splitMixUniform(seed: bigint): () => number {
  let s = BigInt.asUintN(64, seed);
  return () => {
    const [z, next] = splitMix64(s);
    s = next;
    return Number(z >> 11n) / 2 ** 53;
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates over a SplitMix64 stream). */
export function shuffle(n: number, seed: bigint): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(p, splitMixUniform(seed));
  return p;
}

/** Fisher–Yates over any uniform [0, 1) source. */
export function shuffleInPlace<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

/** xoshiro128** over 4 u32 words (advanced in place): the next 32-bit output. The host twin of
 *  assembly/sampler/rng.ts's xoshiroNext. */
export function xoshiro128(w: Uint32Array): () => number {
  return () => {
    const r = Math.imul(rotl(Math.imul(w[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (w[1] << 9) >>> 0;
    w[2] ^= w[0]; w[3] ^= w[1]; w[1] ^= w[2]; w[0] ^= w[3]; w[2] ^= t; w[3] = rotl(w[3], 11);
    return r;
  };
}

/** The 4 xoshiro128** words of (seed, stream), from SplitMix64. */
export function seedWords(seed: number | bigint, stream: number | bigint = 0): Uint32Array {
  let s = (toU64(seed, 'seed') + toU64(stream, 'stream') * STREAM_MUL) & MASK64;
  const [z1, s1] = splitMix64(s);
  s = s1;
  const [z2] = splitMix64(s);
  const w = new Uint32Array([Number(z1 & 0xffffffffn), Number(z1 >> 32n), Number(z2 & 0xffffffffn), Number(z2 >> 32n)]);
  if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1; // the all-zero state is a fixed point
  return w;
}

/** A host stream of uniform doubles in [0, 1) for (seed, stream): xoshiro128**, 53 bits from two
 *  outputs (as the sampler's xoshiroDouble). */
export function uniform(seed: number | bigint, stream: number | bigint = 0): () => number {
  const next = xoshiro128(seedWords(seed, stream));
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

/** Standard normal draws (Box–Muller, one per pair) for parameter initialisation: xoshiro128**
 *  from the words [seed || 1, π, e, φ constants] after 16 discarded outputs — the seeding every
 *  initialised model so far used (models and fixtures stay bit-identical). */
export function seededNormal(seed: number): () => number {
  const w = new Uint32Array([seed >>> 0 || 1, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
  const next32 = xoshiro128(w);
  const next = () => next32() / 4294967296;
  for (let i = 0; i < 16; i++) next();
  return () => {
    const u = Math.max(next(), 1e-12), v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export class SamplerRng {
  /** xoshiro128** words, advanced in place by the sampler */
  readonly state: Uint32Array;

  private constructor(words: Uint32Array) { this.state = words; }

  /** A stream from a seed; `stream` picks one of many independent streams of the same seed. */
  static fromSeed(seed: number | bigint, stream: number | bigint = 0): SamplerRng {
    return new SamplerRng(seedWords(seed, stream));
  }

  /** Restore a saved state (4 unsigned 32-bit words, not all zero). */
  static fromState(words: ArrayLike<number>): SamplerRng {
    if (words.length !== 4) throw new RangeError(`SamplerRng.fromState: expected 4 words, got ${words.length}`);
    const w = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const x = words[i];
      if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`SamplerRng.fromState: word ${i} = ${x} is not an unsigned 32-bit integer`);
      w[i] = x;
    }
    if ((w[0] | w[1] | w[2] | w[3]) === 0) throw new RangeError('SamplerRng.fromState: the all-zero state is invalid for xoshiro128** (it never changes)');
    return new SamplerRng(w);
  }

  clone(): SamplerRng { return new SamplerRng(this.state.slice()); }

  toJSON(): number[] { return Array.from(this.state); }
}
