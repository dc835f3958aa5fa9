// The wasm backend's memory and lifecycle: the first-fit allocator (reuse, coalescing,
// growth), tensors surviving memory growth (views refreshed, workers see the new pages),
// clear errors for disposed or foreign tensors, the single-thread build for hosts without
// shared memory, and destroy() ending the workers (and no worker keeping Node alive).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Allocator } from '../../src/kernels/wasm/allocator.js';
import { createWasmBackend } from '../../src/kernels/wasm/create.js';
import { WasmTensor } from '../../src/kernels/wasm/tensor.js';
import { Rng, SEED } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function throwsLike(f: () => unknown, re: RegExp, what: string): void {
  let msg = '';
  try { f(); } catch (e) { msg = (e as Error).message; }
  if (!re.test(msg)) throw new Error(`${what}: expected an error matching ${re}, got "${msg}"`);
}

test('allocator: first fit, reuse after free, coalescing, 64-byte alignment', () => {
  const mem = new WebAssembly.Memory({ initial: 2, maximum: 8 });
  const al = new Allocator(mem, 100, 8 * 65536);
  const a = al.alloc(10), b = al.alloc(1000), c = al.alloc(64);
  for (const p of [a, b, c]) assert.is(p % 64, 0, `address ${p} is 64-byte aligned`);
  assert.ok(a >= 100 && b >= a + 64 && c >= b + 1000, 'blocks do not overlap');
  al.release(b);
  const d = al.alloc(500);
  assert.is(d, b, 'a freed block is reused first (first fit)');
  al.release(a); al.release(c); al.release(d);
  assert.is(al.freeBlocks, 1, 'neighbouring free blocks merge back into one');
  assert.is(al.inUse, 0);
  throwsLike(() => al.release(d), /not an allocated block/, 'double free');
});

test('allocator: grows the memory when nothing fits, and says so when it cannot', () => {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  let grown = 0;
  const al = new Allocator(mem, 0, 4 * 65536, () => { grown++; });
  const a = al.alloc(60000);
  const b = al.alloc(100000);
  assert.ok(grown >= 1 && mem.buffer.byteLength >= 160000, 'memory grew');
  assert.ok(b >= a + 60000);
  throwsLike(() => al.alloc(1 << 20), /out of memory.*dispose tensors/, 'beyond the maximum');
});

test('backend: tensors keep their contents across memory growth; workers see the new pages', async () => {
  const be = await createWasmBackend({ threads: 2 });
  try {
    const rng = new Rng(SEED);
    const small = rng.f32(1000);
    const t1 = be.fromArray(small, [1000]);
    const cap0 = be.alloc.capacity;
    const n = 6 * 1024 * 1024; // 24 MiB: more than the initial 16 MiB
    const big = be.tensor([n]);
    assert.ok(be.alloc.capacity > cap0, 'memory grew');
    be.fill(big, 0.5);
    const s = be.tensor([1]);
    be.sumSquares(s, big);
    assert.is((await be.read(s))[0], n * 0.25, 'Σ over the grown region, computed across threads');
    assert.equal(Array.from(await be.read(t1)), Array.from(small), 'the earlier tensor is intact');
    const tail = await be.read(big, n - 3, 3);
    assert.equal(Array.from(tail), [0.5, 0.5, 0.5]);
    // dispose and reuse
    const p = (big as WasmTensor).ptr;
    be.dispose(big);
    const again = be.tensor([n]);
    assert.is((again as WasmTensor).ptr, p, 'a disposed block is reused');
    be.dispose(again); be.dispose(s); be.dispose(t1);
    assert.is(be.liveTensors, 0);
  } finally { be.destroy(); }
});

test('backend: clear errors for disposed, foreign and out-of-range use', async () => {
  const a = await createWasmBackend({ threads: 1 }), b = await createWasmBackend({ threads: 1 });
  try {
    const t = a.fromArray(new Float32Array(4), [4]);
    const u = b.tensor([4]);
    throwsLike(() => a.fill(u, 1), /belongs to backend "wasm" \(another wasm backend\)/, 'foreign tensor');
    throwsLike(() => a.write(t, new Float32Array(5)), /do not fit/, 'write past the end');
    a.dispose(t);
    throwsLike(() => a.fill(t, 1), /was disposed/, 'disposed tensor');
    throwsLike(() => a.dispose(t), /was disposed/, 'double dispose');
    await a.read(t).then(() => { throw new Error('read of a disposed tensor resolved'); }, (e) => assert.match(String(e), /was disposed/));
  } finally { a.destroy(); b.destroy(); }
  await createWasmBackend({ threads: 0 }).then(() => { throw new Error('threads=0 accepted'); }, (e) => assert.match(String(e), /threads=0 must be an integer/));
});

test('single-thread build (no shared memory) gives the same bits as the threaded one', async () => {
  const st = await createWasmBackend({ threads: 4 }, { noSharedMemory: true });
  const mt = await createWasmBackend({ threads: 2 });
  try {
    assert.is(st.threads, 1, 'no shared memory → one thread');
    assert.ok(!(st.memory.buffer instanceof SharedArrayBuffer));
    const rng = new Rng(SEED ^ 77);
    const a = rng.f32(70 * 90), bb = rng.f32(90 * 130);
    const outs = [];
    for (const be of [st, mt]) {
      const c = be.tensor([70, 130]);
      be.matmul(c, be.fromArray(a, [70, 90]), be.fromArray(bb, [90, 130]), { m: 70, n: 130, k: 90 });
      const g = be.tensor([70, 130]);
      be.gelu(g, c);
      outs.push(new Uint32Array((await be.read(g)).buffer));
    }
    assert.equal(Array.from(outs[0]), Array.from(outs[1]));
  } finally { st.destroy(); mt.destroy(); }
});

test('destroy() ends the workers; later ops throw', async () => {
  const be = await createWasmBackend({ threads: 3 });
  assert.is(be.pool.workerCount, 2);
  const t = be.tensor([10]);
  be.destroy();
  assert.is(be.pool.workerCount, 0);
  throwsLike(() => be.fill(t, 1), /destroyed|disposed/, 'op after destroy');
  throwsLike(() => be.tensor([3]), /destroyed/, 'tensor after destroy');
  be.destroy(); // twice is fine
});

test('workers never keep Node alive, with or without destroy()', () => {
  for (const destroy of [false, true]) {
    const code = `
      import { createWasmBackend } from ${JSON.stringify(path.join(root, 'src/kernels/wasm/create.ts'))};
      const be = await createWasmBackend({ threads: 2 });
      const x = be.tensor([300000]); be.fill(x, 1);
      const s = be.tensor([1]); be.sumSquares(s, x);
      console.log('sum', (await be.read(s))[0], be.pool.workerCount);
      ${destroy ? 'be.destroy();' : ''}`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, timeout: 60_000, encoding: 'utf8' });
    assert.is(r.error, undefined, `child ${destroy ? 'with' : 'without'} destroy() did not exit by itself: ${r.error}`);
    assert.is(r.status, 0, `child failed: ${r.stderr}`);
    assert.match(r.stdout, /sum 300000 1/);
  }
});

test.run();
