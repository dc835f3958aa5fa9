// `npm run bench -- pairrm [--json] [--quick] [--backends wasm,webgpu] [--rounds 3] [--threads 1]`: PairRM
// forward throughput (sequences of "<|source|> x <|candidate1|> a <|candidate2|> b" per second:
// the DeBERTa-v3 encoder with disentangled attention + the PairRM head) for a random-weight
// checkpoint in PairRM-hf's layout at a reduced DeBERTa-v3 shape, on each backend, side by side
// with PyTorch on the CPU (Debian's python3-torch, tools/bench_torch_pairrm.py: the same shape,
// batch and math, float32) in the same run, both on --threads threads (default 1: on a shared,
// oversubscribed machine OpenMP's spinning makes 2-thread torch 100× slower than 1-thread).
// Ratios: <backend>_vs_torch.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../src/kernels/index.js';
import { PairRM } from '../src/judge/pairrm.js';
import { debertaParamList, parseDebertaConfig } from '../src/model/deberta.js';
import { serializeSafetensors } from '../src/model/safetensors.js';
import { flag, median, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Shape { name: string; hidden: number; layers: number; heads: number; intermediate: number; vocab: number; buckets: number; maxPos: number; batch: number; seq: number; reps: number }

function shapes(quick: boolean): Shape[] {
  if (quick) return [{ name: 'deberta-tiny', hidden: 64, layers: 2, heads: 2, intermediate: 256, vocab: 1024, buckets: 256, maxPos: 512, batch: 2, seq: 64, reps: 2 }];
  return [{ name: 'deberta-small-ish', hidden: 256, layers: 4, heads: 4, intermediate: 1024, vocab: 4096, buckets: 256, maxPos: 512, batch: 4, seq: 128, reps: 2 }];
}

/** a PairRM-hf directory of random weights (seeded) in a temp folder; the fixture's spm.model */
function makeDir(s: Shape): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-bench-pairrm-'));
  const P = s.vocab - 5;
  const json = {
    architectures: ['DebertaV2PairRM'], model_type: 'deberta-v2', hidden_size: s.hidden, num_hidden_layers: s.layers, num_attention_heads: s.heads,
    intermediate_size: s.intermediate, vocab_size: s.vocab, hidden_act: 'gelu', layer_norm_eps: 1e-7, max_position_embeddings: s.maxPos,
    max_relative_positions: -1, position_buckets: s.buckets, relative_attention: true, position_biased_input: false, pos_att_type: ['p2c', 'c2p'],
    share_att_key: true, norm_rel_ebd: 'layer_norm', type_vocab_size: 0, n_tasks: 1, sep_token_id: 2,
    source_prefix_id: P + 1, cand1_prefix_id: P + 2, cand2_prefix_id: P + 3, cand_prefix_id: P + 4,
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(json));
  fs.copyFileSync(path.join(here, '../test/fixtures/pairrm/spm.model'), path.join(dir, 'spm.model'));
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed / 4294967296 - 0.5) * 0.1; };
  const cfg = parseDebertaConfig(json, 'bench config');
  const specs = [...debertaParamList(cfg, 'pretrained_model.'), { name: 'head_layer.1.weight', shape: [s.hidden, 2 * s.hidden] }, { name: 'head_layer.1.bias', shape: [s.hidden] },
    { name: 'head_layer.4.weight', shape: [1, s.hidden] }, { name: 'head_layer.4.bias', shape: [1] }];
  const tensors = specs.map((sp) => {
    const n = sp.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const norm = /LayerNorm\.weight$/.test(sp.name);
    for (let i = 0; i < n; i++) data[i] = norm ? 1 : rnd();
    return { name: sp.name, shape: sp.shape, data };
  });
  fs.writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors(tensors));
  return dir;
}

function seqs(s: Shape): number[][] {
  let seed = 99;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return 4 + (seed % (s.vocab - 9)); };
  const P = s.vocab - 5, third = Math.floor(s.seq / 3);
  // [CLS] <|source|> … [SEP] [CLS] <|candidate1|> … [SEP] [CLS] <|candidate2|> … [SEP], seq tokens in all
  return Array.from({ length: s.batch }, () => {
    const part = (prefix: number, n: number) => [1, prefix, ...Array.from({ length: n - 3 }, rnd), 2];
    return [...part(P + 1, third), ...part(P + 2, third), ...part(P + 3, s.seq - 2 * third)];
  });
}

function torchPeer(s: Shape, threads: number, log: BenchArgs['log']): { seqPerSecond: number; note?: string } {
  const cfg = { hidden: s.hidden, layers: s.layers, heads: s.heads, intermediate: s.intermediate, vocab: s.vocab, buckets: s.buckets, max_pos: s.maxPos, batch: s.batch, seq: s.seq, reps: s.reps, threads };
  const r = spawnSync('/usr/bin/python3', [path.join(here, '../tools/bench_torch_pairrm.py'), JSON.stringify(cfg)], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop();
    log(`torch peer unavailable: ${why}`);
    return { seqPerSecond: NaN, note: `PyTorch peer failed (${why}); install python3-torch` };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  log(`torch ${s.name}: ${j.seq_s.toFixed(2)} sequences/s`);
  return { seqPerSecond: j.seq_s };
}

export default async function run(args: BenchArgs): Promise<BenchReport> {
  const backends = (flag(args.argv, 'backends') ?? 'wasm,webgpu').split(',').filter(Boolean) as ('wasm' | 'webgpu')[];
  const rounds = Number(flag(args.argv, 'rounds') ?? (args.quick ? 1 : 3));
  const threads = Number(flag(args.argv, 'threads') ?? 1);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`bench pairrm: --threads ${flag(args.argv, 'threads')} must be a positive integer`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench pairrm: --rounds ${flag(args.argv, 'rounds')} must be a positive integer`);
  const results: BenchResult[] = [];
  const ratios: Record<string, Record<string, number>> = {};
  const perRound: Record<string, Record<string, number[]>> = {};
  for (const s of shapes(args.quick)) {
    const dir = makeDir(s);
    const shape = `${s.name} H${s.hidden} L${s.layers} heads${s.heads} I${s.intermediate} V${s.vocab} buckets${s.buckets}, B${s.batch} T${s.seq}`;
    const models = new Map<string, { m: PairRM; destroy: () => void }>();
    const failed = new Map<string, string>();
    const input = seqs(s);
    for (const b of backends) {
      try {
        const be = b === 'wasm' ? await createBackend('wasm', { threads }) : await createBackend(b);
        const m = PairRM.load(be, dir);
        await m.logits(input, s.batch); // warm up: pipelines, variants, memory
        models.set(b, { m, destroy: () => { m.dispose(); be.destroy(); } });
      } catch (e) { failed.set(b, (e as Error).message); }
    }
    const peer: number[] = [];
    const got = new Map<string, number[]>([...models.keys()].map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const p = torchPeer(s, threads, args.log);
      peer.push(p.seqPerSecond);
      for (const [b, { m }] of models) {
        const reps = b === 'webgpu' ? 1 : s.reps;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) await m.logits(input, s.batch);
        const v = (s.batch * reps) / ((performance.now() - t0) / 1000);
        args.log(`${b} ${s.name}: ${v.toFixed(2)} sequences/s`);
        got.get(b)!.push(v);
        ((perRound[`${b}_vs_torch`] ??= {})[s.name] ??= []).push(v / p.seqPerSecond);
      }
    }
    results.push({ op: 'pairrm-forward', shape, impl: 'torch-cpu', sequencesPerSecond: median(peer), rounds: peer });
    for (const b of backends) {
      const g = got.get(b);
      if (!g) { results.push({ op: 'pairrm-forward', shape, impl: b, note: failed.get(b) }); continue; }
      results.push({ op: 'pairrm-forward', shape, impl: b, sequencesPerSecond: median(g), rounds: g });
      (ratios[`${b}_vs_torch`] ??= {})[s.name] = median(perRound[`${b}_vs_torch`][s.name]);
    }
    for (const x of models.values()) x.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { bench: 'pairrm', results, ratios, perRound, notes: [`sequences/s of one batch's forward (encoder + head, both candidates' scores), median over ${rounds} interleaved round(s); wasm and torch on ${threads} thread(s); webgpu on SwiftShader is timed over 1 batch per round`] };
}

export function printTable(r: BenchReport, write: (s: string) => void): void {
  write('impl         seq/s   shape\n');
  for (const x of r.results) write(`${x.impl.padEnd(11)} ${x.note ? 'n/a'.padStart(7) : (x.sequencesPerSecond as number).toFixed(2).padStart(7)}   ${x.shape}${x.note ? `  (${x.note})` : ''}\n`);
  write('\nratios (ours / PyTorch CPU), median over rounds:\n');
  for (const [k, v] of Object.entries(r.ratios)) for (const [shape, x] of Object.entries(v)) write(`  ${k} ${shape}: ${x.toFixed(2)}×\n`);
}
