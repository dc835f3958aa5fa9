// The thread pool: the calling thread plus (threads − 1) workers, all running the same
// compiled kernels module on one shared WebAssembly.Memory. An op is published in a small
// control block (a SharedArrayBuffer of its own, so memory growth never moves it):
//   Int32 [0] GEN     bumped once per parallel op; workers Atomics.wait on it
//         [1] OP      index of the kernel export in `names`
//         [2] NTASKS  number of tasks
//         [3] NEXT    next task to take (Atomics.add by every thread: dynamic scheduling)
//         [4] DONE    workers finished with this op
//         [5] QUIT    set by destroy()
//         [6] ERR     a worker's kernel threw
//         [7] ERRTID  which worker
//   Float64 [8 ..] ARGS the kernel's arguments after (task, tid): pointers and sizes are exact
//                       in f64, as are f32 values.
// The caller takes tasks too, then sleeps on DONE until every worker has checked in.
// Any thread may run any task; kernels guarantee results that depend on the task alone.
import { nodeWorkerSource, webWorkerSource } from './worker-source.js';

const GEN = 0, OP = 1, NTASKS = 2, NEXT = 3, DONE = 4, QUIT = 5, ERR = 6, ERRTID = 7;
const ARGS_BYTE = 64;
export const NARGS = 20;

type Fn = (...a: number[]) => void;

interface AnyWorker { terminate(): unknown; unref?(): void }

export class ThreadPool {
  readonly threads: number;
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly ids = new Map<string, number>();
  private readonly fns: Fn[];
  private workers: AnyWorker[] = [];
  private readonly canWait: boolean;
  private errors: string[] = [];
  destroyed = false;
  /** ops run across the workers so far (tests check that parallel paths really ran) */
  parallelRuns = 0;

  private constructor(readonly exports: Record<string, unknown>, readonly names: string[], threads: number, ctlBuf: SharedArrayBuffer | null) {
    this.threads = threads;
    this.fns = names.map((n) => exports[n] as Fn);
    names.forEach((n, i) => this.ids.set(n, i));
    const buf = ctlBuf ?? new ArrayBuffer(ARGS_BYTE + 8 * NARGS);
    this.ctl = new Int32Array(buf, 0, 16);
    this.args = new Float64Array(buf, ARGS_BYTE, NARGS);
    // Atomics.wait is not allowed on a browser's main thread: spin there instead
    const g = globalThis as any;
    this.canWait = !(typeof g.window !== 'undefined' && typeof g.document !== 'undefined');
  }

  /** A pool of `threads` threads (1 = the caller alone, no workers). */
  static async create(exports: Record<string, unknown>, names: string[], threads: number,
    shared: { module: WebAssembly.Module; bytes: Uint8Array; memory: WebAssembly.Memory } | null): Promise<ThreadPool> {
    if (threads <= 1 || !shared) return new ThreadPool(exports, names, 1, null);
    const ctlBuf = new SharedArrayBuffer(ARGS_BYTE + 8 * NARGS);
    const pool = new ThreadPool(exports, names, threads, ctlBuf);
    const ready: Promise<void>[] = [];
    for (let tid = 1; tid < threads; tid++) {
      const init = { memory: shared.memory, ctl: ctlBuf, names, tid, nargs: NARGS, argsByte: ARGS_BYTE };
      ready.push(pool.spawn(tid, init, shared));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      pool.destroy();
      throw e;
    }
    return pool;
  }

  private async spawn(tid: number, init: Record<string, unknown>, shared: { module: WebAssembly.Module; bytes: Uint8Array }): Promise<void> {
    const g = globalThis as any;
    // Node, and Deno through its node:worker_threads (which, unlike Deno's Web Workers, can
    // be unref'd so that idle workers never keep the process alive)
    const hasWorkerThreads = typeof g.Deno !== 'undefined' || (typeof g.process !== 'undefined' && !!g.process?.versions?.node);
    if (hasWorkerThreads) {
      const { Worker } = await import('node:worker_threads');
      // execArgv: [] — the worker is plain CommonJS and needs no loader (tsx) or flag such as
      // --input-type=module, which would make `eval` treat it as an ES module
      const w = new Worker(nodeWorkerSource, { eval: true, execArgv: [], workerData: { ...init, module: shared.module } });
      this.workers.push(w);
      await new Promise<void>((resolve, reject) => {
        w.on('message', (m: any) => { if (m?.ready) resolve(); else if (m?.error) { this.errors.push(m.error); reject(new Error(`sppo wasm: worker ${tid} failed: ${m.error}`)); } });
        w.once('error', (e: Error) => reject(new Error(`sppo wasm: worker ${tid} failed to start: ${e.message}`)));
        w.once('exit', (code) => reject(new Error(`sppo wasm: worker ${tid} exited (${code}) before it was ready`)));
      });
      w.removeAllListeners('exit');
      w.removeAllListeners('error');
      w.on('error', (e) => this.errors.push(String(e)));
      w.unref();
    } else {
      const url = URL.createObjectURL(new Blob([webWorkerSource], { type: 'application/javascript' }));
      const w: any = new g.Worker(url, { type: 'module' });
      this.workers.push(w);
      await new Promise<void>((resolve, reject) => {
        w.onmessage = (e: any) => { const m = e.data; if (m?.ready) resolve(); else if (m?.error) { this.errors.push(m.error); reject(new Error(`sppo wasm: worker ${tid} failed: ${m.error}`)); } };
        w.onerror = (e: any) => reject(new Error(`sppo wasm: worker ${tid} failed to start: ${e?.message ?? e}`));
        w.postMessage({ ...init, bytes: shared.bytes });
      });
      URL.revokeObjectURL(url);
    }
  }

  /**
   * Run kernel `name` for tasks 0 .. ntasks-1: f(task, tid, ...args). With parallel=false
   * (small ops) or one thread, the calling thread runs every task itself, in order.
   */
  run(name: string, ntasks: number, parallel: boolean, args: number[]): void {
    if (this.destroyed) throw new Error('sppo wasm: the backend was destroyed');
    const id = this.ids.get(name);
    if (id === undefined) throw new Error(`sppo wasm: no kernel "${name}" in the module (rebuild: node tools/build.mjs)`);
    const f = this.fns[id];
    if (args.length > NARGS) throw new Error(`sppo wasm: kernel ${name} given ${args.length} arguments; the control block holds ${NARGS}`);
    if (ntasks <= 0) return;
    // the arguments go through the control block's ARGS on every path: a call with all NARGS of
    // them (a wasm export ignores the ones past its own) costs a tenth of a spread call
    // f(i, 0, ...args), which also allocates on every task — decoding makes ~10^5 such calls a second
    const a = this.args;
    a.fill(0);
    a.set(args);
    const W = this.workers.length;
    if (!parallel || W === 0 || ntasks === 1) {
      for (let i = 0; i < ntasks; i++) f(i, 0, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19]);
      return;
    }
    this.parallelRuns++;
    const ctl = this.ctl;
    ctl[OP] = id; ctl[NTASKS] = ntasks; ctl[NEXT] = 0; ctl[DONE] = 0; ctl[ERR] = 0;
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let err: unknown = null;
    try {
      let i: number;
      while ((i = Atomics.add(ctl, NEXT, 1)) < ntasks) f(i, 0, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19]);
    } catch (e) {
      err = e;
      Atomics.store(ctl, NEXT, ntasks); // nobody takes more
    }
    const t0 = Date.now();
    let d: number;
    while ((d = Atomics.load(ctl, DONE)) < W) {
      if (this.canWait) Atomics.wait(ctl, DONE, d, 1000);
      if (Date.now() - t0 > 120_000) throw new Error(`sppo wasm: workers stalled in kernel ${name} (${d} of ${W} done after 120 s)`);
    }
    if (err) throw err;
    if (ctl[ERR]) throw new Error(`sppo wasm: kernel ${name} failed in worker ${ctl[ERRTID]}${this.errors.length ? `: ${this.errors[this.errors.length - 1]}` : ''}`);
  }

  /** Ends every worker (they wake, see QUIT and return; terminate() makes sure). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.workers.length) {
      Atomics.store(this.ctl, QUIT, 1);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
    }
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }

  get workerCount(): number { return this.workers.length; }
}
