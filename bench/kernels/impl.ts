// The pluggable implementations of the kernels bench. Each entry (impl-*.ts) times the ops it
// has on inputs it makes itself; bench/kernels.ts runs every entry on every shape and forms
// the ratio groups. New entries (wasm-1t, wasm, tfjs-wasm, ...) implement KernelImpl and are
// added to the list in bench/kernels.ts.
import type { Backend, Tensor } from '../../src/kernels/backend.js';

export interface AttentionShape { batch: number; seq: number; heads: number; kvHeads: number; headDim: number }

export interface Timing {
  /** ms per call, mean over `reps` calls after a warm-up, with one sync at the end */
  ms: number;
  reps: number;
  /** the kernel variant that ran, where the impl picks one */
  variant?: string;
}

export interface BenchEnv {
  quick: boolean;
  /** fixed rep count (--reps), else chosen from the warm-up time */
  reps?: number;
  log: (...a: unknown[]) => void;
}

export interface KernelImpl {
  /** the name in results and ratio groups, e.g. "webgpu", "webgpu:reg8x8", "tfjs-webgpu" */
  readonly name: string;
  /** acquire the device / load the library; throw with a reason when unavailable */
  init(env: BenchEnv): Promise<void>;
  /** what the impl runs on, for the report header */
  adapter?(): Record<string, unknown>;
  /** out (M,N) = a (M,K) @ b (K,N), f32 */
  matmul?(m: number, k: number, n: number, env: BenchEnv): Promise<Timing>;
  /** causal attention forward and backward (B,T,H,D) */
  attention?(s: AttentionShape, env: BenchEnv): Promise<{ forward: Timing; backward: Timing }>;
  close?(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tensors of one causal attention forward + backward of shape s on a backend: inputs q, k,
 *  v, dout filled by `fill` (n → data), outputs uninitialised; `live` lists them for disposal. */
export function attentionTensors(be: Backend, s: AttentionShape, fill: (n: number) => Float32Array) {
  const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = s;
  const live: Tensor[] = [];
  const t = (shape: number[], input = false) => {
    const x = input ? be.fromArray(fill(shape.reduce((p, q) => p * q, 1)), shape) : be.tensor(shape);
    live.push(x);
    return x;
  };
  return {
    live,
    q: t([B, T, H, D], true), k: t([B, T, KH, D], true), v: t([B, T, KH, D], true), dout: t([B, T, H, D], true),
    out: t([B, T, H, D]), lse: t([B, H, T]), dq: t([B, T, H, D]), dk: t([B, T, KH, D]), dv: t([B, T, KH, D]),
    o: { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D },
  };
}

/** Reps for a target time: enough to average noise, few when one call takes seconds. */
export function repsFor(warmMs: number, env: BenchEnv): number {
  if (env.reps) return env.reps;
  const target = env.quick ? 600 : 2500;
  const min = warmMs > 3000 ? 1 : 2;
  return Math.max(min, Math.min(50, Math.round(target / Math.max(warmMs, 0.01))));
}

/**
 * Time `call`: a first call (compiles: CPU emulations compile a kernel at its first
 * dispatch), a second to estimate the steady time, then `reps` back-to-back calls closed by
 * one sync. `sync(expectMs)` submits and waits for the device, sleeping expectMs first
 * (dawn.node busy-polls a core while a promise waits on the GPU, which slows a CPU emulation
 * of the GPU); the sleep is half the estimate, so it never outlasts the work.
 */
export async function timeCalls(call: () => void, sync: (expectMs: number) => Promise<void>, env: BenchEnv, after?: () => void): Promise<{ ms: number; reps: number }> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    call();
    await sync(0);
    after?.();
    return performance.now() - t0;
  };
  await once();
  const estimate = await once();
  const reps = repsFor(estimate, env);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) call();
  await sync(0.5 * estimate * reps);
  const ms = (performance.now() - t0) / reps;
  after?.();
  return { ms, reps };
}
