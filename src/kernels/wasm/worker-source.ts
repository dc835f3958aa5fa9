// The worker's code, as a string: it must not depend on a file path that differs between
// tsx (src/*.ts) and the esbuild bundle (dist/). Node and Deno run it through
// node:worker_threads with `new Worker(code, { eval: true })` (Deno's Web Workers cannot be
// unref'd); browsers from a Blob URL (module worker).
//
// A worker instantiates the kernels module on the shared memory, says {ready}, then loops:
// sleep on ctl[GEN] (Atomics.wait), read the op and its arguments from the control block,
// take tasks from the shared counter ctl[NEXT] until none are left, count itself done in
// ctl[DONE] and wake the caller. No message per op. Layout of the control block: see pool.ts.

const loop = `
function run(inst, ctlBuf, names, tid, nargs, argsByte) {
  const ex = inst.exports;
  const fns = names.map((n) => ex[n]);
  const ctl = new Int32Array(ctlBuf);
  const args = new Float64Array(ctlBuf, argsByte, nargs);
  const GEN = 0, OP = 1, NTASKS = 2, NEXT = 3, DONE = 4, QUIT = 5, ERR = 6, ERRTID = 7;
  let seen = Atomics.load(ctl, GEN);
  post({ ready: true });
  for (;;) {
    Atomics.wait(ctl, GEN, seen);
    const g = Atomics.load(ctl, GEN);
    if (g === seen) continue;
    seen = g;
    if (Atomics.load(ctl, QUIT)) break;
    const f = fns[ctl[OP]];
    const n = ctl[NTASKS];
    const a = args;
    try {
      let i;
      while ((i = Atomics.add(ctl, NEXT, 1)) < n) {
        f(i, tid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19]);
      }
    } catch (e) {
      Atomics.store(ctl, ERRTID, tid);
      Atomics.store(ctl, ERR, 1);
      post({ error: String(e && e.stack || e) });
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
const imports = (memory) => ({ env: { memory, abort() { throw new Error('wasm kernel abort'); } } });
`;

/** Node worker_threads: workerData = { module, memory, ctl, names, tid, nargs, argsByte } */
export const nodeWorkerSource = `
const { parentPort, workerData: d } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
${loop}
const inst = new WebAssembly.Instance(d.module, imports(d.memory));
run(inst, d.ctl, d.names, d.tid, d.nargs, d.argsByte);
`;

/** Web Worker (browser): first message = { bytes, memory, ctl, names, tid, nargs, argsByte } */
export const webWorkerSource = `
const post = (m) => self.postMessage(m);
${loop}
self.onmessage = async (e) => {
  const d = e.data;
  self.onmessage = null;
  try {
    const { instance } = await WebAssembly.instantiate(d.bytes, imports(d.memory));
    run(instance, d.ctl, d.names, d.tid, d.nargs, d.argsByte);
  } catch (err) { post({ error: String(err && err.stack || err) }); }
};
`;
