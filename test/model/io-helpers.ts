// Helpers for the model-I/O tests: an independent safetensors byte builder (so reader tests do
// not trust the writer under test), half/bfloat16 values built from their bit fields, temp dirs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/models');

export interface RawEntry { name: string; dtype: string; shape: number[]; bytes: Uint8Array }

/**
 * Builds a safetensors file by hand: header JSON (offsets computed here unless `offsets` is
 * given), no padding unless asked, tensors back to back. `header` replaces the JSON text.
 */
export function buildSafetensors(entries: RawEntry[], o: { metadata?: Record<string, unknown>; header?: string; lengthOverride?: number; offsets?: [number, number][]; trailing?: number; pad?: boolean } = {}): Uint8Array {
  const h: Record<string, unknown> = {};
  if (o.metadata) h.__metadata__ = o.metadata;
  let off = 0;
  entries.forEach((e, i) => {
    h[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: o.offsets?.[i] ?? [off, off + e.bytes.length] };
    off += e.bytes.length;
  });
  let text = o.header ?? JSON.stringify(h);
  if (o.pad) while ((Buffer.byteLength(text) % 8) !== 0) text += ' ';
  const hb = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(8 + hb.length + off + (o.trailing ?? 0));
  out.writeBigUInt64LE(BigInt(o.lengthOverride ?? hb.length), 0);
  hb.copy(out, 8);
  let at = 8 + hb.length;
  for (const e of entries) { out.set(e.bytes, at); at += e.bytes.length; }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export const f32Bytes = (a: ArrayLike<number>) => new Uint8Array(Float32Array.from(a).buffer);
export const i32Bytes = (a: ArrayLike<number>) => new Uint8Array(Int32Array.from(a).buffer);
export const i64Bytes = (a: bigint[]) => new Uint8Array(BigInt64Array.from(a).buffer);
export const u16Bytes = (a: ArrayLike<number>) => new Uint8Array(Uint16Array.from(a).buffer);

/** a random finite half value from its fields: bits and exact value */
export function randomHalf(rnd: () => number): { bits: number; value: number } {
  const s = rnd() < 0.5 ? 1 : 0, e = Math.floor(rnd() * 31), m = Math.floor(rnd() * 1024); // e = 31 is Inf/NaN
  const mag = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
  return { bits: (s << 15) | (e << 10) | m, value: s ? -mag : mag };
}

/** a random finite bfloat16 value from its fields */
export function randomBf16(rnd: () => number): { bits: number; value: number } {
  const s = rnd() < 0.5 ? 1 : 0, e = Math.floor(rnd() * 255), m = Math.floor(rnd() * 128);
  const mag = e === 0 ? m * 2 ** -133 : (1 + m / 128) * 2 ** (e - 127);
  return { bits: (s << 15) | (e << 7) | m, value: s ? -mag : mag };
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sppo-${tag}-`));
}

/** run fn, expect it to throw; return the message (fails if it does not throw) */
export function errorOf(fn: () => unknown): Error {
  try { fn(); } catch (e) { return e as Error; }
  throw new Error('expected an error, none was thrown');
}

export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED = process.env.SPPO_SEED ? Number(process.env.SPPO_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
