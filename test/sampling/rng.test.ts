// The PRNG behind the sampler: published test vectors for xoshiro128** and SplitMix64, the
// documented seeding, 53-bit uniforms, state save/restore, validation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sampler, SamplerRng, splitMix64 } from '../../src/sampling/index.js';
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
