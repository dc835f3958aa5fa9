// Starting our workers and speaking comlink to them, the same way in every runtime:
//   Node     worker_threads, wrapped by comlink's node adapter (comlink/dist/esm/node-adapter)
//   browser  a module Web Worker
//   Deno     a module Web Worker (permissions inherited)
// Each worker is its own bundle next to the library bundle (dist/<runtime>/<name>.js); from
// the sources under tsx (tests) it is src/workers/<name>.ts, with tsx registered in the worker.
//
// Node workers keep the process alive only while a call is in flight (hold/release), so a
// script that forgets close() still exits; a worker that dies rejects every pending call.
import * as Comlink from 'comlink';
// @ts-expect-error comlink's ESM node adapter ships its types under the .js name (below)
import nodeEndpointImpl from 'comlink/dist/esm/node-adapter.mjs';
import type NodeEndpointFn from 'comlink/dist/esm/node-adapter.js';
import { detectRuntime } from '../gpu/runtime.js';

const nodeEndpoint = nodeEndpointImpl as typeof NodeEndpointFn;

export type WorkerName = 'judge-worker' | 'run-worker';

export interface WorkerHandle<T> {
  /** the worker's API through comlink */
  api: Comlink.Remote<T>;
  /** settles never; rejects when the worker dies (an error, an exit) */
  died: Promise<never>;
  /** the process stays alive while held (Node; a no-op elsewhere) */
  hold(): void;
  release(): void;
  terminate(): Promise<void>;
}

/** Where the worker's code is: a URL beside this module (bundle or source). */
async function workerLocation(name: WorkerName): Promise<{ url: URL; ts: boolean }> {
  const js = new URL(`./${name}.js`, import.meta.url);
  if (detectRuntime() !== 'node') return { url: js, ts: false };
  const fs = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  if (fs.existsSync(fileURLToPath(js))) return { url: js, ts: false };
  const ts = new URL(`./${name}.ts`, import.meta.url);
  if (fs.existsSync(fileURLToPath(ts))) return { url: ts, ts: true };
  throw new Error(`sppo: the worker bundle ${fileURLToPath(js)} is missing: run \`npm run build\` (node tools/build.mjs)`);
}

/** Starts worker `name` and wraps it with comlink. */
export async function startWorker<T>(name: WorkerName): Promise<WorkerHandle<T>> {
  const { url, ts } = await workerLocation(name);
  let fail!: (e: Error) => void;
  const died = new Promise<never>((_, reject) => { fail = reject; });
  died.catch(() => { /* observed by callers that race it */ });
  if (detectRuntime() === 'node') {
    const { Worker, SHARE_ENV } = await import('node:worker_threads');
    // SHARE_ENV: the worker reads and writes the process's real environment, so what the GPU
    // provider sets there (VK_ICD_FILENAMES → SwiftShader) reaches Dawn's native Vulkan loader
    // as it does on the main thread; with a copied env Dawn finds no driver, warns on stderr
    // ("vkCreateInstance: Found no drivers") and the worker has no WebGPU adapter.
    const { fileURLToPath } = await import('node:url');
    let w: import('node:worker_threads').Worker;
    if (ts) {
      // sources under tsx (tests): register tsx's hooks inside the worker, then import the .ts
      const api = import.meta.resolve('tsx/esm/api');
      w = new Worker(`import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}));`, { eval: true, execArgv: [], env: SHARE_ENV as any });
    } else {
      w = new Worker(fileURLToPath(url), { execArgv: [], env: SHARE_ENV as any });
    }
    let held = 0, ended = false;
    w.on('error', (e: Error) => fail(new Error(`sppo: worker ${name} failed: ${e.message}`)));
    w.on('exit', (code) => { ended = true; fail(new Error(`sppo: worker ${name} exited (code ${code})`)); });
    w.unref();
    return {
      api: Comlink.wrap<T>(nodeEndpoint(w as any)),
      died,
      hold() { if (held++ === 0 && !ended) w.ref(); },
      release() { if (--held === 0 && !ended) w.unref(); },
      async terminate() { ended = true; await w.terminate(); },
    };
  }
  const W = (globalThis as any).Worker;
  if (typeof W !== 'function') throw new Error(`sppo: this runtime has no Worker: run without the ${name}`);
  const w = new W(url, { type: 'module', name });
  w.addEventListener('error', (e: any) => { e.preventDefault?.(); fail(new Error(`sppo: worker ${name} failed: ${e.message ?? e}`)); });
  w.addEventListener('messageerror', () => fail(new Error(`sppo: worker ${name} received a message it cannot read`)));
  return {
    api: Comlink.wrap<T>(w),
    died,
    hold() {},
    release() {},
    async terminate() { w.terminate(); },
  };
}

/** Inside a worker: serve `api` to the thread that started it. */
export async function serveFromWorker(api: object): Promise<void> {
  if (detectRuntime() === 'node') {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('sppo: serveFromWorker() called outside a worker thread');
    Comlink.expose(api, nodeEndpoint(parentPort as any));
    return;
  }
  Comlink.expose(api, globalThis as any);
}

/** Runs `call` while the worker is held; a dead worker rejects it. */
export async function guarded<R>(h: WorkerHandle<unknown>, call: () => Promise<R>): Promise<R> {
  h.hold();
  try {
    return await Promise.race([call(), h.died]);
  } finally {
    h.release();
  }
}

export { Comlink };
