// Scale-out bench: an SPPO iteration's generation + judging through BullMQ on a real
// redis-server (started here on a free loopback port), by 1 and by 2 `sppo worker` processes
// of one wasm thread each, beside the same units run in this process on one thread — all in
// one run, rounds interleaved, medians reported. Then the queue's own cost per unit: the same
// units in this process and through one worker, with an instant judge (builtin:length) and the
// tiny example model generating one token.
//   npm run bench -- scale-out [--json] [--quick] [--rounds=N] [--prompts=N] [--tokens=N]
// Ratio groups: workers2_vs_workers1 = 1-worker ms ÷ 2-worker ms (the speed-up; goal ≥ 1.8 on
// 2 cores), worker1_vs_inprocess = in-process ms ÷ 1-worker ms (≈ 1 when the queue costs nothing).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../src/kernels/index.js';
import { loadJudge } from '../src/judge/load.js';
import { judgeMatrices } from '../src/judge/matrix.js';
import { loadModel } from '../src/model/load.js';
import { resolveConfig } from '../src/sppo/config.js';
import { Policy } from '../src/sppo/policy.js';
import { parsePrompts } from '../src/sppo/prompts.js';
import { MemoryStore } from '../src/sppo/env/store.js';
import { loadPolicyText } from '../src/sppo/text.js';
import type { GenerateUnit, UnitRunner } from '../src/sppo/units.js';
import { queueUnitRunner } from '../src/queue/runner.js';
import { flag, median, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/sppo.mjs');
const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ } });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** start a process; resolves once `ready` matches its output */
function launch(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SPPO_QUIET: '1' } });
  children.push(c);
  let text = '';
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => { text += d; if (ready.test(text)) resolve(c); };
    c.stdout!.on('data', on);
    c.stderr!.on('data', on);
    c.on('exit', (code) => reject(new Error(`${cmd} ${args[1] ?? ''} exited (${code}) before it was ready:\n${text.slice(-2000)}`)));
  });
}

async function makeUnits(be: Parameters<typeof loadModel>[0], model: string, promptFile: string, n: number, perUnit: number, k: number, tokens: number): Promise<{ policy: Policy; units: GenerateUnit[] }> {
  const lm = loadModel(be, model);
  const text = loadPolicyText(model, { chat: false, config: lm.config });
  const items = parsePrompts(fs.readFileSync(promptFile, 'utf8'), promptFile).slice(0, n);
  const enc = items.map((item) => ({ item, ids: text.encodePrompt(item) }));
  const units: GenerateUnit[] = [];
  for (let u = 0; u * perUnit < enc.length; u++) {
    units.push({ iteration: 1, unit: u, policy: model, prompts: enc.slice(u * perUnit, (u + 1) * perUnit), k, maxNewTokens: tokens, seed: '1000004', sample: { temperature: 1, topP: 1, topK: 0 }, stop: [] });
  }
  return { policy: new Policy(lm.model, text), units };
}

/** generation then judging of every unit, in this process, one unit after another */
async function inProcess(policy: Policy, judge: Awaited<ReturnType<typeof loadJudge>>, units: GenerateUnit[]): Promise<number> {
  const t0 = performance.now();
  for (const u of units) {
    const ids = await policy.sample(u.prompts, { k: u.k, maxNewTokens: u.maxNewTokens, seed: BigInt(u.seed), sample: u.sample, stop: u.stop });
    const texts = ids.map((rs) => rs.map((r) => policy.text.decode(r)));
    await judgeMatrices(judge, u.prompts.map((p, i) => ({ prompt: p.item.text, responses: texts[i] })));
  }
  return performance.now() - t0;
}

/** every unit in flight at once through the queue; each judged as soon as it is generated (as the coordinator does) */
const unitsBy = new Map<string, number>();
async function throughQueue(runner: UnitRunner, units: GenerateUnit[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(units.map(async (u) => {
    const res = await runner.generate(u);
    if (res.origin) unitsBy.set(res.origin.worker, (unitsBy.get(res.origin.worker) ?? 0) + 1);
    await runner.judge({ iteration: u.iteration, unit: u.unit, items: u.prompts.map((p, i) => ({ prompt: p.item.text, responses: res.texts[i] })) });
  }));
  return performance.now() - t0;
}

/** the machine's peer: wall ms of a fixed CPU-bound loop in 1 and in 2 concurrent plain node processes */
const SPIN = 'let x = 0; for (let i = 0; i < 1.5e8; i++) x += i % 7; if (x < 0) console.log(x);';
function spin(): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' });
    children.push(c);
    c.on('exit', (code) => (code === 0 ? resolve(0) : reject(new Error(`spin exited ${code}`))));
  });
}
async function spinWall(n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, spin));
  return performance.now() - t0;
}

let runs = 0;
async function runner(url: string, queue: string, model: string, judge: string): Promise<UnitRunner> {
  // a fresh run id each time (the config's "out"), so no unit is found done from an earlier round
  const cfg = resolveConfig({ model, prompts: 'unused', judge, out: `bench-scale-out-${process.pid}-${runs++}`, queue: { redis: url, name: queue } });
  return queueUnitRunner(cfg, { store: new MemoryStore(), log: () => {} });
}

export default async function scaleOut(args: BenchArgs): Promise<BenchReport> {
  const rounds = Number(flag(args.argv, 'rounds') ?? (args.quick ? 1 : 3));
  const nPrompts = Number(flag(args.argv, 'prompts') ?? (args.quick ? 16 : 64));
  const tokens = Number(flag(args.argv, 'tokens') ?? 24);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-bench-scale-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  args.log(`redis-server on ${url}`);
  await launch('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const worker = (queue: string, name: string) => launch(process.execPath, [bin, 'worker', '--redis', url, '--queue', queue, '--name', name, '--backend', 'wasm', '--threads', '1', '--cache', path.join(tmp, 'cache')], / ready\n/);
  // queue "one" has one worker, queue "two" two: the idle ones block on Redis and take no CPU
  await Promise.all([worker('one', 'w1'), worker('two', 'w2a'), worker('two', 'w2b')]);
  args.log('3 workers ready (1 wasm thread each)');

  const be = await createBackend('wasm', { threads: 1 });
  const demo = path.join(root, 'models/demo');
  const judgeSpec = 'builtin:arith';
  const judge = await loadJudge(judgeSpec);
  const K = 4, PER_UNIT = 4;
  const { policy, units } = await makeUnits(be, demo, path.join(root, 'data/demo/train-prompts.jsonl'), nPrompts, PER_UNIT, K, tokens);
  const shape = `${nPrompts} prompts × K=${K}, ${tokens} tokens, ${units.length} units`;
  const results: BenchResult[] = [];
  const times: Record<string, number[]> = { 'in-process': [], '1 worker': [], '2 workers': [] };
  // what 2 processes can get from this machine right now: 2 × (1 process's time) ÷ (2 processes' time) — 2 on 2 idle cores
  const capacity: number[] = [];

  // warm-up: workers fetch and load the policy, this process tiers up
  for (const q of ['one', 'two']) { const r = await runner(url, q, demo, judgeSpec); await throughQueue(r, units.slice(0, 2)); await r.close(); }
  await inProcess(policy, judge, units.slice(0, 1));
  for (let r = 0; r < rounds; r++) {
    times['in-process'].push(await inProcess(policy, judge, units));
    for (const [mode, q] of [['1 worker', 'one'], ['2 workers', 'two']] as const) {
      const run = await runner(url, q, demo, judgeSpec);
      times[mode].push(await throughQueue(run, units));
      await run.close();
    }
    const one = await spinWall(1), two = await spinWall(2);
    capacity.push((2 * one) / two);
    args.log(`round ${r + 1}/${rounds}: ${Object.entries(times).map(([m, t]) => `${m} ${t[t.length - 1].toFixed(0)} ms`).join(', ')}; 2 plain processes get ${capacity[r].toFixed(2)}× one's throughput; generation units so far by worker: ${[...unitsBy].map(([w, n]) => `${w} ${n}`).join(', ')}`);
  }
  for (const [mode, t] of Object.entries(times)) results.push({ op: 'generate+judge', shape, impl: mode, ms: median(t), reps: t.length, allMs: t.map((x) => Math.round(x)) });
  const ms = (impl: string) => results.find((x) => x.impl === impl)!.ms!;

  // the queue's own cost per unit: instant units (one token of the tiny model; builtin:length)
  const tinyModel = path.join(root, 'test/fixtures/tiny/model');
  const tiny = await makeUnits(be, tinyModel, path.join(root, 'test/fixtures/tiny/prompts.jsonl'), 6, 1, 2, 1);
  const N = args.quick ? 60 : 300;
  const many = Array.from({ length: N }, (_, i) => ({ ...tiny.units[i % tiny.units.length], unit: i }));
  const instant = await loadJudge('builtin:length');
  {
    const r0 = await runner(url, 'one', tinyModel, 'builtin:length');
    await throughQueue(r0, many.slice(0, 6)); // the worker loads the tiny policy
    await r0.close();
  }
  const overhead: number[] = [], local: number[] = [], queued: number[] = [], latency: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const l = await inProcess(tiny.policy, instant, many);
    const run = await runner(url, 'one', tinyModel, 'builtin:length');
    const q = await throughQueue(run, many);
    // one unit at a time: the round trip of a single unit (add → worker → result event)
    for (let i = 0; i < 20; i++) { const t0 = performance.now(); await throughQueue(run, [{ ...many[i], unit: N + r * 20 + i }]); latency.push(performance.now() - t0); }
    await run.close();
    local.push(l); queued.push(q);
    // 2 jobs per unit (generate, judge): the cost per job
    overhead.push((q - l) / (2 * N));
  }
  const perUnit = median(overhead);
  results.push({ op: 'queue overhead', shape: `${N} instant units (tiny model, 1 token; builtin:length)`, impl: 'in-process', ms: median(local), reps: rounds });
  results.push({ op: 'queue overhead', shape: `${N} instant units (tiny model, 1 token; builtin:length)`, impl: '1 worker', ms: median(queued), reps: rounds, perJobMs: perUnit });
  results.push({ op: 'queue round trip', shape: 'one instant unit alone (generate then judge)', impl: '1 worker', ms: median(latency), reps: latency.length });

  policy.model.dispose(); tiny.policy.model.dispose();
  be.destroy();
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
  const load = os.loadavg()[0];
  return {
    bench: 'scale-out',
    adapter: { cpus: os.cpus().length, loadavg1: Number(load.toFixed(2)) },
    results,
    ratios: {
      workers2_vs_workers1: { [shape]: Number((ms('1 worker') / ms('2 workers')).toFixed(3)) },
      // the same ratio within each round (the modes of a round run back to back), then the median
      workers2_vs_workers1_per_round: { [shape]: Number(median(times['1 worker'].map((x, i) => x / times['2 workers'][i])).toFixed(3)) },
      worker1_vs_inprocess: { [shape]: Number((ms('in-process') / ms('1 worker')).toFixed(3)) },
      // the peer: two plain CPU-bound node processes vs one, in the same rounds (2.0 = two idle cores)
      machine_2procs_vs_1: { 'fixed loop, 1 vs 2 concurrent node processes': Number(median(capacity).toFixed(3)) },
    },
    perJobOverheadMs: Number(perUnit.toFixed(3)),
    notes: [
      'workers: `sppo worker --backend wasm --threads 1`, separate processes; the coordinator side runs in the bench process',
      'machine_2procs_vs_1: the most any 2 processes could gain here during the run (a plain loop in 1 and in 2 concurrent node processes); workers2_vs_workers1 is to be read against it',
      'queue overhead: (1-worker wall − in-process wall) ÷ jobs, with every unit in flight at once; round trip: one unit alone, generate + judge jobs',
      `1-minute load average at the end: ${load.toFixed(2)} on ${os.cpus().length} cores (other jobs on the machine slow the 2-worker run most)`,
    ],
  };
}

export function printTable(r: BenchReport, write: (s: string) => void): void {
  write(`scale-out (${r.adapter?.cpus} cores, load ${r.adapter?.loadavg1})\n`);
  for (const x of r.results) write(`  ${x.op.padEnd(18)} ${x.impl.padEnd(11)} ${(x.ms as number).toFixed(1).padStart(9)} ms  ${x.shape}${x.perJobMs !== undefined ? `  (${(x.perJobMs as number).toFixed(2)} ms per job)` : ''}\n`);
  for (const [g, v] of Object.entries(r.ratios)) for (const [s, x] of Object.entries(v)) write(`  ${g}: ${x}×  (${s})\n`);
}
