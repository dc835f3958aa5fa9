// Thin binding to the tokenizer wasm module (assembly/tokenizer/): one instance per tokenizer,
// holding its vocabulary, merge table, word cache and decode table. Strings cross as UTF-8
// (TextEncoder.encodeInto straight into wasm memory), ids come back as an Int32Array view; no
// per-token JavaScript objects on the way. Works in Node, Deno and browsers (WebAssembly + atob).
import wasmBase64 from '../generated/wasm-tokenizer.js';
import { LETTER_RANGES, NUMBER_RANGES, SPACE_RANGES } from './unicode-classes.js';
import type { ScanMode } from './patterns.js';

/** Everything the engine needs about a model; built by the file loaders. */
export interface EngineTables {
  /** number of token ids (model vocabulary and added tokens) */
  size: number;
  /** model bytes of token i: modelBytes[modelOffsets[i] .. modelOffsets[i+1]); empty = none */
  modelOffsets: Int32Array;
  modelBytes: Uint8Array;
  /** merges as (left, right, merged, rank) quads; merged -1: the token spelled left+right */
  merges: Int32Array;
  /** byte-level models: id of the token for each byte (-1 if absent) */
  byteIds: Int32Array;
  /** byte fallback: id of <0xNN> for each byte (-1 if absent) */
  fallbackIds: Int32Array;
  byteLevel: boolean;
  ignoreMerges: boolean;
  byteFallback: boolean;
  fuseUnk: boolean;
  unkId: number;
  /** decoded bytes of token i: decodeBytes[decodeOffsets[i] .. decodeOffsets[i+1]) */
  decodeOffsets: Int32Array;
  decodeBytes: Uint8Array;
  /** bit 0: byte-fallback token, bit 1: special, bit 2: no token has this id */
  decodeFlags: Uint8Array;
  /** called with the index of a merge (merged id -1) whose result is not a token */
  onMergeError?: (index: number) => never;
}

interface Exports {
  memory: WebAssembly.Memory;
  classesInit(n: number): number;
  classesBuild(): void;
  vocabInit(n: number, bytes: number): void;
  vocabBuild(): void;
  vocabOffsetsPtr(): number;
  vocabBytesPtr(): number;
  pairsInit(m: number): number;
  pairsBuild(): number;
  byteIdsPtr(): number;
  fallbackIdsPtr(): number;
  setModel(flags: number, unk: number, small: number): void;
  cacheInit(): void;
  cacheClear(): void;
  decodeInit(n: number, bytes: number): void;
  decodeOffsetsPtr(): number;
  decodeBytesPtr(): number;
  decodeFlagsPtr(): number;
  inputReserve(len: number): number;
  piecesReserve(n: number): number;
  idsReserve(n: number): number;
  outputPtr(): number;
  decodeOutputPtr(): number;
  encode(len: number, mode: number, maxDigits: number): number;
  encodePieces(n: number, mode: number, maxDigits: number): number;
  decode(n: number, flags: number): number;
  scanPieces(len: number, mode: number, maxDigits: number): number;
}

let moduleBytes: Uint8Array | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;
let compiledSync: WebAssembly.Module | undefined;

function bytes(): Uint8Array {
  if (!moduleBytes) {
    const bin = atob(wasmBase64);
    moduleBytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) moduleBytes[i] = bin.charCodeAt(i);
  }
  return moduleBytes;
}

/** The compiled module (compiled once per process). */
export function tokenizerModule(): Promise<WebAssembly.Module> {
  if (compiledSync) return Promise.resolve(compiledSync);
  compiled ??= WebAssembly.compile(bytes() as BufferSource);
  return compiled;
}

/** Synchronous compile (Node, Deno, workers; browsers refuse it on the main thread). */
export function tokenizerModuleSync(): WebAssembly.Module {
  compiledSync ??= new WebAssembly.Module(bytes() as BufferSource);
  return compiledSync;
}

const encoder = new TextEncoder();
/** AssemblyScript's abort hook: reached only on an internal error (e.g. out of memory). */
const imports = {
  env: {
    abort(_msg: number, _file: number, line: number, col: number): never {
      throw new Error(`tokenizer wasm aborted at line ${line}:${col} (out of memory?)`);
    },
  },
};
/** words up to this many symbols use the quadratic merge loop, longer ones the heap */
export const DEFAULT_SMALL_LIMIT = 48;

export class BpeEngine {
  private readonly x: Exports;
  private buf: ArrayBuffer;
  private u8: Uint8Array;
  /** number of token ids */
  readonly size: number;

  private constructor(instance: WebAssembly.Instance, t: EngineTables, smallLimit: number) {
    this.x = instance.exports as unknown as Exports;
    this.size = t.size;
    this.buf = this.x.memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.load(t, smallLimit);
  }

  static async create(t: EngineTables, smallLimit = DEFAULT_SMALL_LIMIT): Promise<BpeEngine> {
    return new BpeEngine(await WebAssembly.instantiate(await tokenizerModule(), imports), t, smallLimit);
  }

  static createSync(t: EngineTables, smallLimit = DEFAULT_SMALL_LIMIT): BpeEngine {
    return new BpeEngine(new WebAssembly.Instance(tokenizerModuleSync(), imports), t, smallLimit);
  }

  /** Current views of wasm memory (memory growth detaches the old buffer). */
  private mem(): Uint8Array {
    if (this.x.memory.buffer !== this.buf) {
      this.buf = this.x.memory.buffer;
      this.u8 = new Uint8Array(this.buf);
    }
    return this.u8;
  }
  private i32(ptr: number, n: number): Int32Array {
    this.mem();
    return new Int32Array(this.buf, ptr, n);
  }

  private load(t: EngineTables, smallLimit: number): void {
    const x = this.x;
    // code-point classes: (start, end, class) triples sorted by start
    const ranges: number[][] = [];
    for (const [list, c] of [[LETTER_RANGES, 1], [NUMBER_RANGES, 2], [SPACE_RANGES, 3]] as const) {
      for (let k = 0; k < list.length; k += 2) ranges.push([list[k], list[k + 1], c]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const rp = x.classesInit(ranges.length);
    this.i32(rp, ranges.length * 3).set(ranges.flat());
    x.classesBuild();

    x.vocabInit(t.size, t.modelBytes.length);
    this.i32(x.vocabOffsetsPtr(), t.size + 1).set(t.modelOffsets);
    this.mem().set(t.modelBytes, x.vocabBytesPtr());
    x.vocabBuild();

    const m = t.merges.length >> 2;
    const pp = x.pairsInit(m);
    this.i32(pp, m * 4).set(t.merges);
    const bad = x.pairsBuild();
    if (bad >= 0) {
      t.onMergeError?.(bad);
      throw new Error(`merge ${bad}: its two tokens do not join into a vocabulary token`);
    }

    this.i32(x.byteIdsPtr(), 256).set(t.byteIds);
    this.i32(x.fallbackIdsPtr(), 256).set(t.fallbackIds);
    x.setModel((t.byteLevel ? 1 : 0) | (t.ignoreMerges ? 2 : 0) | (t.byteFallback ? 4 : 0) | (t.fuseUnk ? 8 : 0), t.unkId, smallLimit);
    x.cacheInit();

    x.decodeInit(t.size, t.decodeBytes.length);
    this.i32(x.decodeOffsetsPtr(), t.size + 1).set(t.decodeOffsets);
    this.mem().set(t.decodeBytes, x.decodeBytesPtr());
    this.mem().set(t.decodeFlags, x.decodeFlagsPtr());
  }

  /** Words of up to `n` symbols use the quadratic merge loop (tests flip this). */
  setSmallLimit(n: number, t: Pick<EngineTables, 'byteLevel' | 'ignoreMerges' | 'byteFallback' | 'fuseUnk' | 'unkId'>): void {
    this.x.setModel((t.byteLevel ? 1 : 0) | (t.ignoreMerges ? 2 : 0) | (t.byteFallback ? 4 : 0) | (t.fuseUnk ? 8 : 0), t.unkId, n);
  }

  clearCache(): void {
    this.x.cacheClear();
  }

  /** Encodes one text, split by the scanner `scan`; the result is a view valid until the next call. */
  encode(text: string, scan: ScanMode): Int32Array {
    const x = this.x;
    const p = x.inputReserve(text.length * 3);
    const n = x.encode(this.writeUtf8(text, p), scan.mode, scan.maxDigits);
    return this.i32(x.outputPtr(), n);
  }

  /** Writes text as UTF-8 at p (room for 3 bytes per UTF-16 unit); returns the byte count. */
  private writeUtf8(text: string, p: number): number {
    const mem = this.mem();
    if (text.length <= 64) {
      // short strings: a plain loop beats encodeInto's call overhead while they are ASCII
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        mem[p + i] = c;
      }
      if (i === text.length) return i;
    }
    return encoder.encodeInto(text, mem.subarray(p, p + text.length * 3)).written;
  }

  /** Encodes pieces in order, each split by the scanner `scan` on its own. */
  encodePieces(pieces: string[], scan: ScanMode): Int32Array {
    const x = this.x;
    let total = 0;
    for (const s of pieces) total += s.length * 3;
    const p = x.inputReserve(total);
    const ends = new Int32Array(pieces.length);
    const mem = this.mem();
    let w = 0;
    for (let k = 0; k < pieces.length; k++) {
      w += encoder.encodeInto(pieces[k], mem.subarray(p + w, p + total)).written;
      ends[k] = w;
    }
    this.i32(x.piecesReserve(pieces.length), pieces.length).set(ends);
    const n = x.encodePieces(pieces.length, scan.mode, scan.maxDigits);
    return this.i32(x.outputPtr(), n);
  }

  /** Test hook: the pieces the wasm scanner cuts text into. */
  scanPieces(text: string, scan: ScanMode): string[] {
    const x = this.x;
    const p = x.inputReserve(text.length * 3);
    const { written } = encoder.encodeInto(text, this.mem().subarray(p, p + text.length * 3));
    const n = x.scanPieces(written, scan.mode, scan.maxDigits);
    const ends = this.i32(x.outputPtr(), n).slice();
    const bytes = this.mem().slice(p, p + written);
    const dec = new TextDecoder('utf-8', { ignoreBOM: true });
    const out: string[] = [];
    let start = 0;
    for (const e of ends) { out.push(dec.decode(bytes.subarray(start, e))); start = e; }
    return out;
  }

  /** Decoded UTF-8 bytes of ids (a view valid until the next call); throws on an unknown id. */
  decodeBytes(ids: ArrayLike<number>, flags: number): Uint8Array {
    const x = this.x;
    const p = x.idsReserve(ids.length);
    const view = this.i32(p, ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      view[i] = Number.isInteger(id) && id >= 0 && id <= 0x7fffffff ? id : -1;
    }
    const n = x.decode(ids.length, flags);
    if (n < 0) {
      const at = -n - 1;
      throw new RangeError(`token id ${String(ids[at])} at position ${at} is not in the vocabulary (ids run from 0 to ${this.size - 1})`);
    }
    return this.mem().subarray(x.decodeOutputPtr(), x.decodeOutputPtr() + n);
  }

}
