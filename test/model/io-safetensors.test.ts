// safetensors: reading files built by an independent encoder (F32, F16, BF16, F64, ints),
// writing (F32 exact, F16/BF16 nearest-even), sharded checkpoints, loadTensors against an
// expected parameter list, atomic writes, and one clear error for every malformed file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { ModelFileError } from '../../src/model/io-errors.js';
import { Checkpoint, loadTensors, SafetensorsFile, writeSafetensorsFile } from '../../src/model/io-files.js';
import {
  f16BitsToFloat, floatToBf16Bits, floatToF16Bits, parseSafetensorsHeader, SafetensorsBuffer, serializeSafetensors,
} from '../../src/model/safetensors.js';
import {
  buildSafetensors, errorOf, f32Bytes, i32Bytes, i64Bytes, randomBf16, randomHalf, SEED, seeded, tmpDir, u16Bytes,
} from './io-helpers.js';

const rnd = seeded(SEED);
console.log(`io-safetensors seed ${SEED}`);
const randn = (n: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 10 ** (rnd() * 6 - 3));

/** expect a ModelFileError naming the file, containing `cause`, with a fix */
function expectFileError(fn: () => unknown, file: string, cause: RegExp): void {
  const e = errorOf(fn);
  assert.instance(e, ModelFileError, `${e.message}`);
  assert.ok(e.message.startsWith(`${file}: `), `names the file: ${e.message}`);
  assert.match(e.message, cause);
  assert.match(e.message, /\. Fix: \S/);
}

test('read F32, F16, BF16, F64 and integer tensors written by an independent encoder', () => {
  const sizes = [1, 3, 17, 63, 65];
  const entries = [], want: Record<string, number[]> = {};
  for (const n of sizes) {
    const f = randn(n);
    entries.push({ name: `f32.${n}`, dtype: 'F32', shape: [n], bytes: f32Bytes(f) });
    want[`f32.${n}`] = [...f];
    const h = Array.from({ length: n }, () => randomHalf(rnd));
    entries.push({ name: `f16.${n}`, dtype: 'F16', shape: [1, n], bytes: u16Bytes(h.map((x) => x.bits)) });
    want[`f16.${n}`] = h.map((x) => x.value);
    const b = Array.from({ length: n }, () => randomBf16(rnd));
    entries.push({ name: `bf16.${n}`, dtype: 'BF16', shape: [n, 1], bytes: u16Bytes(b.map((x) => x.bits)) });
    want[`bf16.${n}`] = b.map((x) => Math.fround(x.value));
    const d = Float64Array.from({ length: n }, () => rnd() - 0.5);
    entries.push({ name: `f64.${n}`, dtype: 'F64', shape: [n], bytes: new Uint8Array(d.buffer) });
    want[`f64.${n}`] = [...d].map(Math.fround);
  }
  entries.push({ name: 'ids32', dtype: 'I32', shape: [2, 2], bytes: i32Bytes([5, -7, 2 ** 31 - 1, 0]) });
  entries.push({ name: 'ids64', dtype: 'I64', shape: [3], bytes: i64Bytes([3n, -2147483648n, 50256n]) });
  entries.push({ name: 'mask', dtype: 'BOOL', shape: [3], bytes: new Uint8Array([1, 0, 1]) });
  entries.push({ name: 'scalar', dtype: 'F32', shape: [], bytes: f32Bytes([2.5]) });
  entries.push({ name: 'empty', dtype: 'F32', shape: [0, 4], bytes: new Uint8Array(0) });
  const file = buildSafetensors(entries, { metadata: { format: 'pt', note: 'x' } });
  const st = new SafetensorsBuffer(file, 'mixed.safetensors');
  assert.equal(st.metadata, { format: 'pt', note: 'x' });
  assert.equal(st.names(), entries.map((e) => e.name));
  for (const [name, w] of Object.entries(want)) {
    const got = st.readFloat32(name);
    assert.equal(got.length, w.length, name);
    for (let i = 0; i < w.length; i++) if (!Object.is(got[i], w[i])) assert.unreachable(`${name}[${i}]: ${got[i]} != ${w[i]}`);
    assert.equal(st.info(name).shape, entries.find((e) => e.name === name)!.shape);
  }
  assert.equal([...st.readInt32('ids32')], [5, -7, 2 ** 31 - 1, 0]);
  assert.equal([...st.readInt32('ids64')], [3, -2147483648, 50256]);
  assert.equal([...st.readInt32('mask')], [1, 0, 1]);
  assert.equal([...st.readFloat32('scalar')], [2.5]);
  assert.equal(st.readFloat32('empty').length, 0);
  expectFileError(() => st.readFloat32('ids32'), 'mixed.safetensors', /"ids32" is I32, an integer tensor/);
  expectFileError(() => st.readInt32('f32.3'), 'mixed.safetensors', /"f32.3" is F32, not an integer dtype/);
  expectFileError(() => st.readFloat32('nope'), 'mixed.safetensors', /no tensor "nope"/);
  const big = new SafetensorsBuffer(buildSafetensors([{ name: 'x', dtype: 'I64', shape: [1], bytes: i64Bytes([2n ** 40n]) }]), 'big.safetensors');
  expectFileError(() => big.readInt32('x'), 'big.safetensors', /holds 1099511627776, outside the 32-bit integer range/);
});

test('F16 and BF16 encoding rounds to the nearest value, ties to even', () => {
  for (let k = 0; k < 5000; k++) {
    // values across the half range, including subnormals, exact halves and ties
    const x = k < 8 ? [0, -0, 65504, -65504, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1 + 2 ** -11][k]
      : (rnd() < 0.5 ? -1 : 1) * 2 ** (rnd() * 44 - 28) * (1 + rnd());
    const xf = Math.fround(x);
    const h = floatToF16Bits(xf);
    const v = f16BitsToFloat(h);
    if (Math.abs(xf) >= 65520) { assert.is(Math.abs(v), Infinity, `${xf} overflows`); continue; }
    // independent check: no other half is closer; at a tie the chosen one has an even mantissa
    const err = Math.abs(v - xf);
    for (const nb of [h - 1, h + 1]) {
      if ((nb & 0x7fff) > 0x7bff || nb < 0 || ((nb ^ h) & 0x8000)) continue;
      const e2 = Math.abs(f16BitsToFloat(nb) - xf);
      if (e2 < err || (e2 === err && (h & 1))) assert.unreachable(`f16(${xf}) = ${v} (bits ${h}), but ${f16BitsToFloat(nb)} is nearer/even`);
    }
    if (xf !== 0 && Math.sign(v) !== Math.sign(xf) && v !== 0) assert.unreachable(`sign of ${xf}`);
    // bf16: same property on its own grid
    const b = floatToBf16Bits(xf);
    const vb = new Float32Array(new Uint32Array([b << 16]).buffer)[0];
    const eb = Math.abs(vb - xf);
    for (const nb of [b - 1, b + 1]) {
      const w = new Float32Array(new Uint32Array([(nb & 0xffff) << 16]).buffer)[0];
      if (!Number.isFinite(w) || ((nb ^ b) & 0x8000)) continue;
      const e2 = Math.abs(w - xf);
      if (e2 < eb || (e2 === eb && (b & 1))) assert.unreachable(`bf16(${xf}) = ${vb}, but ${w} is nearer/even`);
    }
  }
  assert.is(floatToF16Bits(NaN) & 0x7c00, 0x7c00);
  assert.ok(Number.isNaN(f16BitsToFloat(floatToF16Bits(NaN))));
});

test('write → read round trip: F32 exact, F16 and BF16 to the nearest value; header 8-aligned, format pt', () => {
  const tensors = [1, 3, 17, 63, 65].map((n, i) => ({ name: `t${i}`, shape: i % 2 ? [n] : [1, n], data: Float32Array.from(randn(n), (x) => x / 1e3) }));
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    const bytes = serializeSafetensors(tensors.map((t) => ({ ...t, dtype })), { step: '7' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.is(n % 8, 0, 'data section 8-aligned');
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.equal(header.__metadata__, { format: 'pt', step: '7' });
    assert.is(header.t1.dtype, dtype);
    const st = new SafetensorsBuffer(bytes, `rt-${dtype}`);
    for (const t of tensors) {
      const got = st.readFloat32(t.name);
      assert.equal(st.info(t.name).shape, t.shape);
      for (let i = 0; i < t.data.length; i++) {
        const w = dtype === 'F32' ? t.data[i] : dtype === 'F16' ? f16BitsToFloat(floatToF16Bits(t.data[i]))
          : new Float32Array(new Uint32Array([floatToBf16Bits(t.data[i]) << 16]).buffer)[0];
        if (!Object.is(got[i], w)) assert.unreachable(`${dtype} ${t.name}[${i}]: ${got[i]} != ${w}`);
        const rel = Math.abs(got[i] - t.data[i]) / Math.max(Math.abs(t.data[i]), 2 ** -14);
        if (rel > (dtype === 'F32' ? 0 : dtype === 'F16' ? 2 ** -11 : 2 ** -8)) assert.unreachable(`${dtype} error ${rel}`);
      }
    }
  }
  const ints = new SafetensorsBuffer(serializeSafetensors([{ name: 'ids', shape: [2], data: Int32Array.from([-1, 7]) }]));
  assert.equal([...ints.readInt32('ids')], [-1, 7]);
  const e = errorOf(() => serializeSafetensors([{ name: 'w', shape: [2], data: Float32Array.from([1, 70000]), dtype: 'F16' }]));
  assert.match(e.message, /"w" holds 70000 at index 1, beyond the F16 range/);
  assert.match(errorOf(() => serializeSafetensors([{ name: 'w', shape: [3], data: new Float32Array(2) }])).message, /has 2 values but shape \[3\] needs 3/);
  assert.match(errorOf(() => serializeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }, { name: 'w', shape: [1], data: new Float32Array(1) }])).message, /duplicate/);
});

test('every malformed file gives one clear error naming the file, the cause and the fix', () => {
  const a = { name: 'a', dtype: 'F32', shape: [2], bytes: f32Bytes([1, 2]) };
  const b = { name: 'b', dtype: 'F32', shape: [1], bytes: f32Bytes([3]) };
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', new Uint8Array([1, 2, 3]), /3 bytes, shorter than the 8-byte header length/],
    ['past-end', buildSafetensors([a], { lengthOverride: 4096 }), /header length 4096 runs past the end of the file/],
    ['huge-length', buildSafetensors([a], { lengthOverride: 2 ** 40 }), /larger than the 100 MB/],
    ['bad-json', buildSafetensors([a], { header: '{"a": {"dtype": "F32",' }), /the JSON header is invalid/],
    ['not-object', buildSafetensors([], { header: '[1, 2]' }), /the JSON header is not an object/],
    ['unknown-dtype', buildSafetensors([{ ...a, dtype: 'F7' }]), /tensor "a" has unknown dtype "F7"/],
    ['no-dtype', buildSafetensors([], { header: '{"a": {"shape": [1], "data_offsets": [0, 4]}}', trailing: 4 }), /tensor "a" has no dtype/],
    ['bad-shape', buildSafetensors([{ ...a, shape: [-2] }]), /shape \[-2\], not a list of non-negative integers/],
    ['out-of-range', buildSafetensors([a], { offsets: [[0, 16]] }), /data_offsets \[0, 16\] beyond the 8-byte data section/],
    ['reversed', buildSafetensors([a], { offsets: [[8, 0]] }), /data_offsets \[8,0\], not \[begin, end\]/],
    ['size-mismatch', buildSafetensors([{ ...a, shape: [3] }]), /\(F32 \[3\]\) needs 12 bytes but data_offsets \[0, 8\] give 8/],
    ['overlap', buildSafetensors([a, { ...b, bytes: f32Bytes([3]) }], { offsets: [[0, 8], [4, 8]], trailing: 0 }), /"a" \[0, 8\] and "b" \[4, 8\] overlap/],
    ['gap', buildSafetensors([a, b], { offsets: [[0, 8], [12, 16]], trailing: 4 }), /bytes \[8, 12\] of the data section belong to no tensor/],
    ['hole', buildSafetensors([a, b], { offsets: [[4, 12], [12, 16]], trailing: 4 }), /bytes \[0, 4\] of the data section belong to no tensor/],
    ['trailing', buildSafetensors([a], { trailing: 3 }), /3 bytes after the last tensor belong to no tensor/],
    ['metadata', buildSafetensors([a], { metadata: { format: 'pt', n: 3 } }), /__metadata__\["n"\] is 3, not a string/],
    ['not-utf8', (() => { const x = buildSafetensors([a], { header: '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' }); x[12] = 0xff; return x; })(), /the JSON header is invalid/],
  ];
  const dir = tmpDir('st-bad');
  for (const [name, bytes, cause] of cases) {
    const file = path.join(dir, `${name}.safetensors`);
    fs.writeFileSync(file, bytes);
    expectFileError(() => new SafetensorsBuffer(bytes, file), file, cause);
    expectFileError(() => SafetensorsFile.open(file), file, cause); // the file path reads only the header
    expectFileError(() => loadTensors(file, [{ name: 'a', shape: [2] }]), file, cause);
  }
  fs.rmSync(dir, { recursive: true });
});

test('parseSafetensorsHeader needs only the header bytes and checks offsets against the file size', () => {
  const bytes = buildSafetensors([{ name: 'w', dtype: 'F16', shape: [2, 3], bytes: u16Bytes([1, 2, 3, 4, 5, 6]) }]);
  const h = parseSafetensorsHeader(bytes.subarray(0, bytes.length - 12), bytes.length, 'part');
  assert.equal(h.tensors.get('w'), { name: 'w', dtype: 'F16', shape: [2, 3], begin: 0, end: 12 });
  assert.is(h.dataStart, bytes.length - 12);
  expectFileError(() => parseSafetensorsHeader(bytes.subarray(0, bytes.length - 12), bytes.length - 2, 'part'), 'part', /beyond the 10-byte data section/);
});

test('files on disk: atomic write leaves no temp file; tensors read one by one', () => {
  const dir = tmpDir('st-file');
  const file = path.join(dir, 'w.safetensors');
  const w = randn(63), v = randn(17);
  writeSafetensorsFile(file, [{ name: 'w', shape: [7, 9], data: w }, { name: 'v', shape: [17], data: v, dtype: 'F16' }]);
  assert.equal(fs.readdirSync(dir), ['w.safetensors']);
  const st = SafetensorsFile.open(file);
  assert.equal([...st.readFloat32('w')], [...w]);
  assert.equal(st.info('v')!.dtype, 'F16');
  // a failed write leaves the old file and no temp file
  assert.throws(() => writeSafetensorsFile(file, [{ name: 'x', shape: [2], data: new Float32Array(3) }]));
  assert.equal(fs.readdirSync(dir), ['w.safetensors']);
  assert.equal([...SafetensorsFile.open(file).readFloat32('w')], [...w]);
  fs.rmSync(dir, { recursive: true });
});

/** two shards + index, written by hand */
function writeSharded(dir: string, t: Record<string, Float32Array>, index?: unknown): void {
  const names = Object.keys(t);
  const half = Math.ceil(names.length / 2);
  const shards = [names.slice(0, half), names.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((s, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    fs.writeFileSync(path.join(dir, file), buildSafetensors(s.map((n) => ({ name: n, dtype: 'F32', shape: [t[n].length], bytes: f32Bytes(t[n]) })), { metadata: { format: 'pt' }, pad: true }));
    for (const n of s) weightMap[n] = file;
  });
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index ?? { metadata: { total_size: 0 }, weight_map: weightMap }));
}

test('sharded checkpoints: index + shards read; every inconsistency is one clear error', () => {
  const dir = tmpDir('st-shard');
  const t: Record<string, Float32Array> = { a: randn(3), b: randn(17), c: randn(1), d: randn(65), e: randn(5) };
  writeSharded(dir, t);
  const ck = Checkpoint.open(dir);
  assert.equal(ck.names().sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.match(ck.fileOf('d')!, /model-00002-of-00002\.safetensors$/);
  const got = loadTensors(dir, Object.entries(t).map(([name, v]) => ({ name, shape: [v.length] })));
  for (const [n, v] of Object.entries(t)) assert.equal([...got.tensors.get(n)!], [...v], n);
  assert.equal(got.dtypes, { F32: 5 });
  const idx = path.join(dir, 'model.safetensors.index.json');
  const map = JSON.parse(fs.readFileSync(idx, 'utf8'));

  fs.writeFileSync(idx, '{"weight_map": ');
  expectFileError(() => Checkpoint.open(dir), idx, /invalid JSON/);
  fs.writeFileSync(idx, '{"metadata": {}}');
  expectFileError(() => Checkpoint.open(dir), idx, /no "weight_map" object/);
  fs.writeFileSync(idx, JSON.stringify({ weight_map: { ...map.weight_map, z: 'model-00003-of-00003.safetensors' } }));
  expectFileError(() => Checkpoint.open(dir), idx, /names shard "model-00003-of-00003.safetensors", which is not in/);
  fs.writeFileSync(idx, JSON.stringify({ weight_map: { ...map.weight_map, a: 'model-00002-of-00002.safetensors' } }));
  expectFileError(() => Checkpoint.open(dir), idx, /says tensor "a" is in model-00002-of-00002.safetensors, but that shard does not hold it/);
  fs.writeFileSync(idx, JSON.stringify({ weight_map: { ...map.weight_map, a: '../x.safetensors' } }));
  expectFileError(() => Checkpoint.open(dir), idx, /not a shard file name in the same folder/);
  // the same tensor in both shards
  fs.writeFileSync(path.join(dir, 'model-00002-of-00002.safetensors'), buildSafetensors(['d', 'e', 'a'].map((n) => ({ name: n, dtype: 'F32', shape: [t[n].length], bytes: f32Bytes(t[n]) }))));
  fs.writeFileSync(idx, JSON.stringify(map));
  expectFileError(() => Checkpoint.open(dir), idx, /tensor "a" is in two shards/);
  fs.rmSync(dir, { recursive: true });
  // a directory with no weights, or pickle weights only
  const empty = tmpDir('st-empty');
  expectFileError(() => Checkpoint.open(empty), empty, /holds no model.safetensors and no model.safetensors.index.json/);
  fs.writeFileSync(path.join(empty, 'pytorch_model.bin'), 'x');
  expectFileError(() => Checkpoint.open(empty), empty, /it has pytorch_model.bin, a pickle checkpoint/);
  fs.rmSync(empty, { recursive: true });
});

test('loadTensors: missing and misshaped tensors in ONE error; extras reported, known buffers ignored', () => {
  const dir = tmpDir('st-load');
  const file = path.join(dir, 'model.safetensors');
  const w = randn(12);
  fs.writeFileSync(file, buildSafetensors([
    { name: 'w', dtype: 'F32', shape: [3, 4], bytes: f32Bytes(w) },
    { name: 'v', dtype: 'F32', shape: [12], bytes: f32Bytes(w) },
    { name: 'extra', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) },
    { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) },
  ]));
  const ok = loadTensors(dir, [{ name: 'w', shape: [3, 4] }]);
  assert.equal([...ok.tensors.get('w')!], [...w]);
  assert.equal(ok.unused, ['v', 'extra']);
  const e = errorOf(() => loadTensors(dir, [{ name: 'w', shape: [4, 3] }, { name: 'v', shape: [3, 4] }, { name: 'u', shape: [2] }]));
  assert.instance(e, ModelFileError);
  assert.ok(e.message.startsWith(`${file}: does not match the model: `), e.message);
  assert.match(e.message, /tensor "w" has shape \[3, 4\], expected \[4, 3\]/);
  assert.match(e.message, /tensor "v" has shape \[12\], expected \[3, 4\]/);
  assert.match(e.message, /1 tensor missing: "u" \[2\]/);
  assert.match(e.message, /Fix: check that config.json belongs to these weights/);
  fs.rmSync(dir, { recursive: true });
});

test.run();
