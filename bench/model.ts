// `npm run bench -- model [--json] [--quick] [--backends wasm,wasm-plain,webgpu] [--rounds 3]`: training tokens/s
// (forward + backward + AdamW on a B×T batch) and decode tokens/s (greedy, KV cache) for a fixed
// Llama config on each backend, side by side with PyTorch on the CPU (Debian's python3-torch,
// tools/bench_torch_model.py: the same config, batch and steps) in the same run; peak device
// buffer bytes. Ratios: <backend>_vs_torch.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch } from '../src/model/arch.js';
import { paramCount } from '../src/model/arch.js';
import { initParams, uploadParams } from '../src/model/init.js';
import { Transformer } from '../src/model/transformer.js';
import { packBatch } from '../src/model/batch.js';
import { generate } from '../src/model/generate.js';
import { Optimizer } from '../src/train/optimizer.js';
import { createBackend } from '../src/kernels/index.js';
import { flag, median, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Setup { name: string; arch: Arch; batch: number; seq: number; steps: number; promptLen: number; newTokens: number }

function setups(quick: boolean): Setup[] {
  const llama = (hidden: number, layers: number, heads: number, inter: number, vocab: number): Arch => ({
    family: 'llama', vocab, hidden, layers, heads, kvHeads: heads, headDim: hidden / heads, intermediate: inter,
    normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 1024,
  });
  if (quick) return [{ name: 'llama-0.2M', arch: llama(64, 2, 4, 176, 1024), batch: 4, seq: 64, steps: 2, promptLen: 8, newTokens: 16 }];
  return [
    { name: 'llama-0.9M', arch: llama(128, 2, 4, 344, 2048), batch: 8, seq: 128, steps: 6, promptLen: 16, newTokens: 32 },
    { name: 'llama-5.3M', arch: llama(256, 4, 8, 688, 4096), batch: 8, seq: 128, steps: 6, promptLen: 16, newTokens: 32 },
  ];
}

type Kind = 'wasm' | 'wasm-plain' | 'webgpu';
interface Runner { measure(): Promise<{ train: number; decode: number }>; peakBytes(): number | undefined; dispose(): void }

/** Builds the model, optimizer and batch once; measure() then times `steps` training steps and
 *  one greedy decode. wasm-plain: the wasm backend's mul-then-add build, beside the fused one. */
async function ours(kind: Kind, s: Setup, log: BenchArgs['log']): Promise<Runner> {
  const be = kind === 'wasm-plain' ? await createBackend('wasm', { fma: false }) : await createBackend(kind);
  const model = new Transformer(be, s.arch, uploadParams(be, s.arch, initParams(s.arch, 1)));
  const opt = new Optimizer(be, model.trainableParams(), { name: 'adamw', lr: 1e-4 });
  const V = s.arch.vocab;
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % V; };
  const seqs = Array.from({ length: s.batch }, () => ({ prompt: [rnd()], response: Array.from({ length: s.seq - 1 }, rnd) }));
  const batch = packBatch(seqs);
  const dl = new Float32Array(batch.B * batch.T).map((_, i) => (batch.targets[i] >= 0 ? -1 / (batch.B * (batch.T - 1)) : 0));
  const dT = be.fromArray(dl, [dl.length]);
  const step = async () => {
    model.zeroGrad();
    model.forward(batch);
    model.backward(dT);
    opt.update(model.grads!);
    await be.sync();
  };
  const steps = kind === 'webgpu' ? 1 : s.steps;
  const prompts = Array.from({ length: s.batch }, () => Array.from({ length: s.promptLen }, rnd));
  const newTokens = kind === 'webgpu' ? Math.min(8, s.newTokens) : s.newTokens;
  await step(); // warm up (pipelines, variant selection, memory)
  await generate(model, prompts, { maxNewTokens: 2 });
  return {
    async measure() {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await step();
      const train = (s.batch * (s.seq - 1) * steps) / ((performance.now() - t0) / 1000);
      const t1 = performance.now();
      await generate(model, prompts, { maxNewTokens: newTokens });
      const decode = (s.batch * newTokens) / ((performance.now() - t1) / 1000);
      log(`${kind} ${s.name}: train ${train.toFixed(0)} tok/s, decode ${decode.toFixed(0)} tok/s`);
      return { train, decode };
    },
    peakBytes: () => (be as any).ctx?.peakBytes ?? (be as any).memoryBytes?.(),
    dispose() { be.dispose(dT); opt.dispose(); model.dispose(); },
  };
}

function torchPeer(s: Setup, log: BenchArgs['log']): { train: number; decode: number; note?: string; blas?: string } {
  const cfg = { vocab: s.arch.vocab, hidden: s.arch.hidden, layers: s.arch.layers, heads: s.arch.heads, kvHeads: s.arch.kvHeads, intermediate: s.arch.intermediate, batch: s.batch, seq: s.seq, steps: s.steps, promptLen: s.promptLen, newTokens: s.newTokens, threads: 2 };
  const r = spawnSync('/usr/bin/python3', [path.join(here, '../tools/bench_torch_model.py'), JSON.stringify(cfg)], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop();
    log(`torch peer unavailable: ${why}`);
    return { train: NaN, decode: NaN, note: `PyTorch peer failed (${why}); install python3-torch` };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  log(`torch ${s.name}: train ${j.train_tok_s.toFixed(0)} tok/s, decode ${j.decode_tok_s.toFixed(0)} tok/s`);
  return { train: j.train_tok_s, decode: j.decode_tok_s, blas: j.blas };
}

export default async function run(args: BenchArgs): Promise<BenchReport> {
  const backends = (flag(args.argv, 'backends') ?? 'wasm,wasm-plain,webgpu').split(',').filter(Boolean) as Kind[];
  // Rounds interleave the peer and ours (peer, ours, peer, ours, ...), so drift in a shared
  // machine's speed hits both; each round gives a ratio and the report keeps their median.
  const rounds = Number(flag(args.argv, 'rounds') ?? (args.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench model: --rounds ${flag(args.argv, 'rounds')} must be a positive integer`);
  const results: BenchResult[] = [];
  const ratios: Record<string, Record<string, number>> = {};
  const perRound: Record<string, Record<string, number[]>> = {};
  const notes: string[] = [`train: forward + backward + AdamW per B×T batch (tokens = B·(T−1)); decode: greedy with KV cache, batch B, after a prompt; ${rounds} interleaved round(s), tokens/s and ratios are medians over rounds`];
  for (const s of setups(args.quick)) {
    const shape = `${s.name} B${s.batch} T${s.seq} (${(paramCount(s.arch) / 1e6).toFixed(2)}M params)`;
    const runners = new Map<Kind, Runner>();
    const failed = new Map<Kind, string>();
    for (const b of backends) {
      try { runners.set(b, await ours(b, s, args.log)); } catch (e) { failed.set(b, (e as Error).message); }
    }
    const peer: { train: number[]; decode: number[]; note?: string } = { train: [], decode: [] };
    const got = new Map<Kind, { train: number[]; decode: number[] }>([...runners.keys()].map((k) => [k, { train: [], decode: [] }]));
    for (let r = 0; r < rounds; r++) {
      const p = torchPeer(s, args.log);
      peer.train.push(p.train); peer.decode.push(p.decode); peer.note ??= p.note;
      for (const [b, runner] of runners) {
        const m = await runner.measure();
        got.get(b)!.train.push(m.train); got.get(b)!.decode.push(m.decode);
        for (const what of ['train', 'decode'] as const) {
          ((perRound[`${b}_vs_torch_${what}`] ??= {})[s.name] ??= []).push(m[what] / p[what]);
        }
      }
    }
    results.push({ op: 'train', shape, impl: 'torch-cpu', tokensPerSecond: median(peer.train), rounds: peer.train, note: peer.note });
    results.push({ op: 'decode', shape, impl: 'torch-cpu', tokensPerSecond: median(peer.decode), rounds: peer.decode, note: peer.note });
    for (const b of backends) {
      const g = got.get(b);
      if (!g) { results.push({ op: 'train', shape, impl: b, note: failed.get(b) }); continue; }
      results.push({ op: 'train', shape, impl: b, tokensPerSecond: median(g.train), rounds: g.train, peakBytes: runners.get(b)!.peakBytes() });
      results.push({ op: 'decode', shape, impl: b, tokensPerSecond: median(g.decode), rounds: g.decode });
      for (const what of ['train', 'decode'] as const) (ratios[`${b}_vs_torch_${what}`] ??= {})[s.name] = median(perRound[`${b}_vs_torch_${what}`][s.name]);
    }
    for (const r of runners.values()) r.dispose();
  }
  return { bench: 'model', results, ratios, perRound, notes };
}

export function printTable(r: BenchReport, write: (s: string) => void): void {
  write('op      impl         tokens/s   shape\n');
  for (const x of r.results) write(`${x.op.padEnd(7)} ${x.impl.padEnd(11)} ${x.note ? 'n/a'.padStart(9) : (x.tokensPerSecond as number).toFixed(0).padStart(9)}   ${x.shape}${x.note ? `  (${x.note})` : ''}\n`);
  const per = (r.perRound ?? {}) as Record<string, Record<string, number[]>>;
  write('\nratios (ours / PyTorch CPU), median over rounds [each round]:\n');
  for (const [k, v] of Object.entries(r.ratios)) write(`  ${k}: ${Object.entries(v).map(([s, x]) => `${s} ${x.toFixed(2)}× [${(per[k]?.[s] ?? []).map((y) => y.toFixed(2)).join(' ')}]`).join(', ')}\n`);
}
