// SamplerRng: one sequence's random stream, carried across generation steps.
// Generator: xoshiro128** (Blackman & Vigna), 4 × u32 words, stepped inside the sampler's wasm
// module. Seeding: SplitMix64 from a 64-bit seed (plus an optional stream number for the K
// responses of one prompt): s = [lo(z1), hi(z1), lo(z2), hi(z2)] for the first two SplitMix64
// outputs z1, z2. Integer math only, so one seed gives the same tokens in Node, Deno and browsers.
// toJSON()/fromState() save and restore a stream exactly (for resumable runs).

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;
/** odd constant that spreads stream numbers over the seed space */
const STREAM_MUL = 0xd1b54a32d192ed03n;

function toU64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (!Number.isSafeInteger(v)) throw new RangeError(`SamplerRng: ${what} ${v} is not a safe integer; use an integer (or a bigint for seeds beyond 2^53)`);
  return BigInt.asUintN(64, BigInt(v));
}

/** SplitMix64 (Steele, Lea, Flood 2014): the next output and the advanced state. */
export function splitMix64(state: bigint): [bigint, bigint] {
  const s = (state + GOLDEN) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [z ^ (z >> 31n), s];
}

export class SamplerRng {
  /** xoshiro128** words, advanced in place by the sampler */
  readonly state: Uint32Array;

  private constructor(words: Uint32Array) { this.state = words; }

  /** A stream from a seed; `stream` picks one of many independent streams of the same seed. */
  static fromSeed(seed: number | bigint, stream: number | bigint = 0): SamplerRng {
    let s = (toU64(seed, 'seed') + toU64(stream, 'stream') * STREAM_MUL) & MASK64;
    const [z1, s1] = splitMix64(s);
    s = s1;
    const [z2] = splitMix64(s);
    const w = new Uint32Array([Number(z1 & 0xffffffffn), Number(z1 >> 32n), Number(z2 & 0xffffffffn), Number(z2 >> 32n)]);
    if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1; // the all-zero state is a fixed point
    return new SamplerRng(w);
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
