// First-fit allocator over one WebAssembly.Memory, managed from JavaScript (the kernels
// module uses AssemblyScript's minimal no-GC runtime and never allocates). Blocks are 64-byte aligned (a cache line;
// f32x4 loads never straddle one at a block start). Free blocks are kept sorted by address
// and merged with their neighbours on free; when nothing fits, memory grows (by at least half
// its size, so growth is rare) and the new pages join the free list.

const ALIGN = 64;
const PAGE = 65536;

export class Allocator {
  /** free blocks, sorted by address, never adjacent (merged) */
  private free: { at: number; size: number }[] = [];
  private used = new Map<number, number>();
  private usedBytes = 0;
  private peakBytes = 0;

  constructor(readonly memory: WebAssembly.Memory, readonly base: number, readonly maxBytes: number,
    /** called after memory.grow so the owner can refresh its views */ private onGrow: () => void = () => {}) {
    const start = align(base);
    const end = memory.buffer.byteLength;
    if (end > start) this.free.push({ at: start, size: end - start });
  }

  /** bytes handed out and not yet freed */
  get inUse(): number { return this.usedBytes; }
  /** the most bytes in use at once since the allocator was made or resetPeak() was called */
  get peak(): number { return this.peakBytes; }
  resetPeak(): void { this.peakBytes = this.usedBytes; }
  /** total bytes of the memory */
  get capacity(): number { return this.memory.buffer.byteLength; }
  /** number of free blocks (for tests) */
  get freeBlocks(): number { return this.free.length; }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    let i = this.free.findIndex((b) => b.size >= size);
    if (i < 0) { this.grow(size); i = this.free.findIndex((b) => b.size >= size); }
    const b = this.free[i];
    const at = b.at;
    if (b.size === size) this.free.splice(i, 1);
    else { b.at += size; b.size -= size; }
    this.used.set(at, size);
    this.usedBytes += size;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
    return at;
  }

  release(at: number): void {
    const size = this.used.get(at);
    if (size === undefined) throw new Error(`sppo wasm: free of ${at}, which is not an allocated block (double dispose?)`);
    this.used.delete(at);
    this.usedBytes -= size;
    this.insertFree(at, size);
  }

  private insertFree(at: number, size: number): void {
    const f = this.free;
    // binary search for the first block after `at`
    let lo = 0, hi = f.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (f[mid].at < at) lo = mid + 1; else hi = mid; }
    const prev = lo > 0 ? f[lo - 1] : null, next = lo < f.length ? f[lo] : null;
    if (prev && prev.at + prev.size === at) {
      prev.size += size;
      if (next && prev.at + prev.size === next.at) { prev.size += next.size; f.splice(lo, 1); }
    } else if (next && at + size === next.at) {
      next.at = at; next.size += size;
    } else {
      f.splice(lo, 0, { at, size });
    }
  }

  private grow(need: number): void {
    const cur = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tailFree = last && last.at + last.size === cur ? last.size : 0;
    const want = Math.max(need - tailFree, Math.ceil(cur / 2));
    let pages = Math.ceil(want / PAGE);
    const maxPages = Math.floor(this.maxBytes / PAGE);
    const curPages = cur / PAGE;
    if (curPages + pages > maxPages) pages = Math.ceil((need - tailFree) / PAGE);
    if (curPages + pages > maxPages) {
      throw new RangeError(`sppo wasm: out of memory: ${need} bytes wanted, ${this.usedBytes} in use of at most ${this.maxBytes} (wasm32 limit); dispose tensors you no longer need or use a smaller model/batch`);
    }
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new RangeError(`sppo wasm: could not grow memory by ${pages * PAGE} bytes (${(e as Error).message}); dispose tensors you no longer need or use a smaller model/batch`);
    }
    this.insertFree(cur, pages * PAGE);
    this.onGrow();
  }
}

function align(n: number): number { return Math.ceil(n / ALIGN) * ALIGN; }
