// The PRNG behind the sampler: published test vectors for xoshiro128** and SplitMix64, the
// documented seeding, 53-bit uniforms, state save/restore, validation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sampler, SamplerRng, splitMix64 } from '../../src/sampling/index.js';
import { mix64, seededNormal, shuffle, uniform, xoshiro128 } from '../../src/sampling/rng.js';
import { RefXoshiro, refSplitMix64 } from './reference.js';

const sampler = await Sampler.create(8);

test('xoshiro128** reproduces the reference outputs from state [1, 2, 3, 4]', () => {
  const got = sampler.randomU32(SamplerRng.fromState([1, 2, 3, 4]), 10);
  assert.equal(Array.from(got), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
});

test('SplitMix64 reproduces the reference outputs for seed 1234567', () => {
  const want = [6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n, 16408922859458223821n];
  assert.equal(refSplitMix64(1234567n, 5), want, 'the test reference itself');
  let s = 1234567n;
  for (const w of want) { const [z, next] = splitMix64(s); assert.is(z, w); s = next; }
});

test('fromSeed = SplitMix64 words [lo z1, hi z1, lo z2, hi z2] (+ stream · 0xd1b54a32d192ed03), then xoshiro128**', () => {
  for (const [seed, stream] of [[0n, 0n], [42n, 0n], [42n, 7n], [(1n << 64n) - 1n, 3n], [123456789012345n, 0n]]) {
    const mine = SamplerRng.fromSeed(seed, stream);
    const ref = RefXoshiro.fromSeed(seed, stream);
    assert.equal(mine.toJSON(), ref.s, `state for seed ${seed} stream ${stream}`);
    const got = sampler.randomU32(mine, 1000);
    for (let i = 0; i < 1000; i++) assert.is(got[i], ref.next(), `output ${i}`);
  }
  assert.equal(SamplerRng.fromSeed(42).toJSON(), SamplerRng.fromSeed(42n).toJSON(), 'number and bigint seeds agree');
  assert.equal(SamplerRng.fromSeed(-1).toJSON(), SamplerRng.fromSeed((1n << 64n) - 1n).toJSON(), 'negative seeds wrap mod 2^64');
});

test('uniform doubles: 53-bit, in [0, 1), equal to the reference; moments of 100k draws', () => {
  const r = SamplerRng.fromSeed(2024), ref = RefXoshiro.fromSeed(2024n);
  const u = sampler.randomDouble(r, 100000);
  let sum = 0, sq = 0;
  for (let i = 0; i < u.length; i++) {
    assert.ok(u[i] >= 0 && u[i] < 1);
    assert.is(u[i], ref.double());
    assert.ok(Number.isInteger(u[i] * 2 ** 53));
    sum += u[i]; sq += u[i] * u[i];
  }
  const mean = sum / u.length, variance = sq / u.length - mean * mean;
  assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / u.length), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
});

test('host streams are the same generator: uniform(seed, stream) = the wasm sampler\'s doubles; xoshiro128 = the reference', () => {
  for (const [seed, stream] of [[0, 0], [2024, 0], [7, 3]] as const) {
    const wasm = sampler.randomDouble(SamplerRng.fromSeed(seed, stream), 5000);
    const host = uniform(seed, stream);
    for (let i = 0; i < wasm.length; i++) assert.is(host(), wasm[i], `seed ${seed} stream ${stream} draw ${i}`);
  }
  const next = xoshiro128(new Uint32Array([1, 2, 3, 4]));
  assert.equal(Array.from({ length: 10 }, next), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  assert.is(mix64(0n), 0n, 'mix64 is SplitMix64\'s output function (0 is its fixed point)');
  assert.is(mix64(1234567n + 0x9e3779b97f4a7c15n), 6457827717110365317n, 'splitMix64 = mix64 of the advanced state');
});

test('shuffle: a seeded permutation; seededNormal: reproducible, about N(0, 1)', () => {
  const a = shuffle(1000, 11n);
  assert.equal([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(a, shuffle(1000, 11n));
  assert.not.equal(a, shuffle(1000, 12n));
  const n = seededNormal(3), m = seededNormal(3);
  let sum = 0, sq = 0;
  for (let i = 0; i < 20000; i++) { const x = n(); assert.is(x, m()); sum += x; sq += x * x; }
  assert.ok(Math.abs(sum / 20000) < 0.05 && Math.abs(sq / 20000 - 1) < 0.05, `mean ${sum / 20000}, var ${sq / 20000}`);
});

test('state: clone is independent, toJSON/fromState round-trips, bad states are refused', () => {
  const a = SamplerRng.fromSeed(5);
  sampler.randomU32(a, 3);
  const b = a.clone();
  assert.equal(Array.from(sampler.randomU32(a, 5)), Array.from(sampler.randomU32(b, 5)));
  const c = SamplerRng.fromState(JSON.parse(JSON.stringify(a)));
  assert.equal(Array.from(sampler.randomU32(a, 5)), Array.from(sampler.randomU32(c, 5)));
  assert.throws(() => SamplerRng.fromState([0, 0, 0, 0]), /all-zero state/);
  assert.throws(() => SamplerRng.fromState([1, 2, 3]), /expected 4 words/);
  assert.throws(() => SamplerRng.fromState([1, 2, 3, 2 ** 32]), /word 3/);
  assert.throws(() => SamplerRng.fromSeed(1.5), /not a safe integer/);
  assert.throws(() => SamplerRng.fromSeed(2 ** 60), /bigint/);
});

test.run();
