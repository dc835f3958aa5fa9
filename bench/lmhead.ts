// `npm run bench -- lmhead [--json] [--quick] [--backends wasm,webgpu] [--rounds 3] [--shapes N1024,...]`: the LM
// head alone — token log-probs (forward) and a training step of the head (forward + backward
// into dH and dW) — fused and vocab-chunked (src/model/lm-head.ts, the default) against the
// full-logits path it replaced (matmul to (N,V) logits, tokenLogprobs, tokenLogprobsBackward,
// two matmuls), same backend, same inputs, interleaved rounds. Also the peak bytes the backend
// holds above the inputs during each, measured once on a fresh backend (wasm: allocator peak,
// packing scratch included; WebGPU: live buffers).
// fused-keep: the fused head keeping every chunk's logits from forward to backward (what a
// training pass does when its memory plan has room: no recomputation in backward).
// Ratios: fused_vs_full_time.<shape>.<forward|train> = full ms ÷ fused ms (> 1: fused faster);
// fused_vs_full_memory.<shape>.<forward|train> = full peak ÷ fused peak;
// keep_vs_recompute_time.<shape>.train = fused ms ÷ fused-keep ms (> 1: keeping is faster).
import type { Backend, Tensor } from '../src/kernels/backend.js';
import { createBackend } from '../src/kernels/index.js';
import type { WasmBackend } from '../src/kernels/wasm/backend.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { chunkColumns, FusedLMHead } from '../src/model/lm-head.js';
import { flag, median, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

interface Shape { name: string; N: number; C: number; V: number }
const IMPLS = ['full', 'fused', 'fused-keep'] as const;

function shapes(quick: boolean): Shape[] {
  if (quick) return [{ name: 'N64 C64 V8192', N: 64, C: 64, V: 8192 }];
  return [
    // SmolLM2-135M's head (hidden 576, vocab 49152) and Qwen2.5-0.5B's (896, 151936), 2×128 tokens
    { name: 'SmolLM2 N256 C576 V49152', N: 256, C: 576, V: 49152 },
    // the scale bench's training pass (B = 8, T = 128): 8 chunks, the recomputation keep removes
    { name: 'SmolLM2 N1024 C576 V49152', N: 1024, C: 576, V: 49152 },
    { name: 'Qwen2.5 N256 C896 V151936', N: 256, C: 896, V: 151936 },
  ];
}

function meter(be: Backend): { reset(): number; peak(): number } {
  if (be.name === 'wasm') {
    const a = (be as WasmBackend).alloc;
    return { reset: () => { a.resetPeak(); return a.inUse; }, peak: () => a.peak };
  }
  const ctx = (be as WebGPUBackend).ctx;
  return { reset: () => { ctx.peakBytes = ctx.liveBytes; return ctx.liveBytes; }, peak: () => ctx.peakBytes };
}

/** the full-logits head (the path the fused one replaced), its tensors made per call */
function fullHead(be: Backend, s: Shape, h: Tensor, w: Tensor, targets: Tensor, logp: Tensor, lse: Tensor, train: { dh: Tensor; dw: Tensor; dlogp: Tensor } | null): void {
  const { N, C, V } = s;
  const logits = be.tensor([N, V]);
  be.matmul(logits, h, w, { m: N, n: V, k: C, transB: true });
  be.tokenLogprobs(logp, lse, logits, targets);
  if (train) {
    const dlogits = be.tensor([N, V]);
    be.tokenLogprobsBackward(dlogits, logits, targets, lse, train.dlogp);
    be.matmul(train.dh, dlogits, w, { m: N, n: C, k: V });
    be.matmul(train.dw, dlogits, h, { m: V, n: C, k: N, transA: true, accumulate: true });
    be.dispose(dlogits);
  }
  be.dispose(logits);
}

export default async function run(args: BenchArgs): Promise<BenchReport> {
  const backends = (flag(args.argv, 'backends') ?? 'wasm').split(',').filter(Boolean) as ('wasm' | 'webgpu')[];
  const rounds = Number(flag(args.argv, 'rounds') ?? (args.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench lmhead: --rounds ${flag(args.argv, 'rounds')} must be a positive integer`);
  const results: BenchResult[] = [];
  const ratios: Record<string, Record<string, number>> = {};
  const notes = [`forward: log-probs of N targets; train: forward + backward into dH (N,C) and dW (V,C); fused: chunks of chunkColumns(N, V, C) vocabulary columns (a 64 MiB working set: two (N,Vc) chunks, one (Vc,C) slice of W); ms = median of ${rounds} interleaved round(s) after a warm-up; peakMiB = most bytes the backend held above the inputs during one call on a fresh backend (the wasm matmul's packing scratch included)`];
  for (const kind of backends) {
    // --shapes N1024: only the shapes whose name holds one of these substrings
    const only = flag(args.argv, 'shapes')?.split(',').filter(Boolean);
    for (const s of shapes(args.quick).filter((x) => !only || only.some((o) => x.name.includes(o)))) {
      const { N, C, V } = s;
      /** inputs on a backend, and the two impls over them (each call makes and frees its own scratch) */
      const setup = (be: Backend) => {
        let seed = 7;
        const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 4294967296 - 0.5; };
        const h = be.fromArray(Float32Array.from({ length: N * C }, rnd), [N, C]);
        const w = be.fromArray(Float32Array.from({ length: V * C }, () => 0.1 * rnd()), [V, C]);
        const targets = be.fromArray(Int32Array.from({ length: N }, (_, i) => (i % 17 === 16 ? -1 : Math.floor((rnd() + 0.5) * V) % V)), [N], 'i32');
        const logp = be.tensor([N]), lse = be.tensor([N]);
        const train = { dh: be.tensor([N, C]), dw: be.tensor([V, C]), dlogp: be.fromArray(new Float32Array(N).fill(-1 / N), [N]) };
        be.fill(train.dw, 0);
        const impls = {
          full: (t: boolean) => fullHead(be, s, h, w, targets, logp, lse, t ? train : null),
          fused: (t: boolean) => {
            const fused = new FusedLMHead(be, N, V, C);
            fused.forward(logp, lse, h, w, targets);
            if (t) fused.backward(train.dh, train.dw, h, w, targets, lse, train.dlogp);
            fused.dispose();
          },
          'fused-keep': (t: boolean) => {
            const fused = new FusedLMHead(be, N, V, C);
            fused.forward(logp, lse, h, w, targets, t);
            if (t) fused.backward(train.dh, train.dw, h, w, targets, lse, train.dlogp);
            fused.dispose();
          },
        };
        return { impls, logp, dispose: () => { for (const t of [h, w, targets, logp, lse, train.dh, train.dw, train.dlogp]) be.dispose(t); } };
      };
      const key = (impl: string, t: boolean) => `${impl}/${t ? 'train' : 'forward'}`;
      // peaks: each (impl, forward|train) once on a fresh backend, so that what it grows (the
      // wasm matmul's packing scratch included) counts for it alone
      const peaks: Record<string, number> = {};
      for (const impl of IMPLS) for (const t of [false, true]) {
        const be = await createBackend(kind);
        const st = setup(be);
        const m = meter(be);
        await be.sync();
        const before = m.reset();
        st.impls[impl](t);
        await be.read(st.logp, 0, 1);
        await be.sync();
        peaks[key(impl, t)] = m.peak() - before;
        st.dispose();
        be.destroy();
      }
      // times: interleaved rounds on one backend, after one warm-up call of each
      const be = await createBackend(kind);
      const st = setup(be);
      const times: Record<string, number[]> = {};
      const once = async (impl: (typeof IMPLS)[number], t: boolean, record: boolean) => {
        await be.sync();
        const t0 = performance.now();
        st.impls[impl](t);
        await be.read(st.logp, 0, 1);
        await be.sync();
        if (record) (times[key(impl, t)] ??= []).push(performance.now() - t0);
      };
      for (const impl of IMPLS) for (const t of [false, true]) await once(impl, t, false);
      for (let r = 0; r < rounds; r++) for (const impl of IMPLS) for (const t of [false, true]) await once(impl, t, true);
      (ratios.keep_vs_recompute_time ??= {})[`${s.name} [${kind}] train`] = Number((median(times['fused/train']) / median(times['fused-keep/train'])).toPrecision(3));
      for (const what of ['forward', 'train'] as const) {
        for (const impl of IMPLS) {
          const k = `${impl}/${what}`;
          results.push({ op: `lm head ${what}`, shape: `${s.name} [${kind}]`, impl, ms: Number(median(times[k]).toPrecision(4)), peakMiB: Number((peaks[k] / 2 ** 20).toFixed(1)) });
        }
        (ratios.fused_vs_full_time ??= {})[`${s.name} [${kind}] ${what}`] = Number((median(times[`full/${what}`]) / median(times[`fused/${what}`])).toPrecision(3));
        (ratios.fused_vs_full_memory ??= {})[`${s.name} [${kind}] ${what}`] = Number((peaks[`full/${what}`] / peaks[`fused/${what}`]).toPrecision(3));
      }
      args.log(`${kind} ${s.name} (fused: ${Math.ceil(V / chunkColumns(N, V, C))} chunks of ${chunkColumns(N, V, C)}): ${Object.entries(times).map(([k, v]) => `${k} ${median(v).toFixed(0)} ms / ${(peaks[k] / 2 ** 20).toFixed(0)} MiB`).join(', ')}`);
      st.dispose();
      be.destroy();
    }
  }
  return { bench: 'lmhead', results, ratios, notes };
}
