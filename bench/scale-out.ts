// Scale-out bench: an SPPO iteration's generation + judging through BullMQ on a real
// redis-server (started here on a free loopback port), by 1 and by 2 `sppo worker` processes
// of one wasm thread each; beside it, in the same rounds, the same units run in this process on
// one thread, and the peer: the same units split over 2 plain processes (bench/scale-out/plain.ts,
// no queue) — what two processes can get from this machine for this work at that moment. Rounds
// interleave the modes; medians are reported. Then the queue's own cost per unit: the same
// instant units in this process and through one worker (builtin:length judge, the tiny example
// model generating one token).
//   npm run -s bench -- scale-out [--json] [--quick] [--rounds=N] [--prompts=N] [--per-unit=N] [--k=N] [--tokens=N]
// Sizes (bench/RESULTS.md says why): 48 units of 16 prompts (the config's default generateUnit)
// × K = 8 responses of up to 48 tokens of the demo model — a few hundred ms of work per unit,
// enough units that the last one's wait is small; --quick: 8 units of 8 prompts × K = 4.
// Ratio groups: workers2_vs_workers1 = 1-worker ms ÷ 2-worker ms (the speed-up; goal ≥ 1.8 on
// 2 cores); plain2_vs_inprocess = in-process ms ÷ 2-plain-process ms (the peer: the most 2
// processes got for this work); workers2_vs_plain2 = plain ms ÷ 2-worker ms (≈ 1 when the queue
// costs nothing); worker1_vs_inprocess = in-process ms ÷ 1-worker ms.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import { createBackend } from '../src/kernels/index.js';
import { loadJudge } from '../src/judge/load.js';
import { resolveConfig } from '../src/sppo/config.js';
import { MemoryStore } from '../src/sppo/env/store.js';
import type { GenerateUnit, UnitRunner } from '../src/sppo/units.js';
import { queueUnitRunner } from '../src/queue/runner.js';
import { flag, median, type BenchArgs, type BenchReport, type BenchResult } from './report.js';
import { inProcess, makeUnits, type WorkShape } from './scale-out/work.js';

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

/** CPU seconds (user + system, all threads) a process has used so far: Linux /proc, else NaN */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  if (pid === process.pid) { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch { return NaN; }
}

/** start a process; resolves once `ready` matches its output */
function launch(cmd: string, args: string[], ready: RegExp, stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe']): Promise<ChildProcess> {
  const c = spawn(cmd, args, { stdio: stdio as ['ignore', 'pipe', 'pipe'], env: { ...process.env, SPPO_QUIET: '1' } });
  children.push(c);
  let text = '';
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => {
      text += d;
      if (!ready.test(text)) return;
      c.stdout!.off('data', on); c.stderr!.off('data', on);
      c.stderr!.resume(); // keep draining what it writes later
      resolve(c);
    };
    c.stdout!.on('data', on);
    c.stderr!.on('data', on);
    c.on('exit', (code) => reject(new Error(`${cmd} ${args[1] ?? ''} exited (${code}) before it was ready:\n${text.slice(-2000)}`)));
  });
}

/** every unit in flight at once through the queue; each judged as soon as it is generated (as the coordinator does) */
// busy: ms each worker spent inside units (generate and judge) during the last call
const unitsBy = new Map<string, number>();
let busy = new Map<string, number>();
async function throughQueue(runner: UnitRunner, units: GenerateUnit[]): Promise<number> {
  busy = new Map();
  const note = (o?: { worker: string; ms: number }) => { if (o) busy.set(o.worker, (busy.get(o.worker) ?? 0) + o.ms); };
  const t0 = performance.now();
  await Promise.all(units.map(async (u) => {
    const res = await runner.generate(u);
    if (res.origin) unitsBy.set(res.origin.worker, (unitsBy.get(res.origin.worker) ?? 0) + 1);
    note(res.origin);
    const j = await runner.judge({ iteration: u.iteration, unit: u.unit, items: u.prompts.map((p, i) => ({ prompt: p.item.text, responses: res.texts[i] })) });
    note(j.origin);
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
  const num = (name: string, full: number, quick: number) => {
    const v = Number(flag(args.argv, name) ?? (args.quick ? quick : full));
    if (!Number.isInteger(v) || v < 1) throw new Error(`bench scale-out: --${name} must be a positive integer`);
    return v;
  };
  const rounds = num('rounds', 3, 1);
  const shape: WorkShape = { prompts: num('prompts', 768, 64), perUnit: num('per-unit', 16, 8), k: num('k', 8, 4), tokens: num('tokens', 48, 24) };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-bench-scale-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  args.log(`redis-server on ${url}`);
  const redisProc = await launch('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const worker = (queue: string, name: string) => launch(process.execPath, [bin, 'worker', '--redis', url, '--queue', queue, '--name', name, '--backend', 'wasm', '--threads', '1', '--cache', path.join(tmp, 'cache')], / ready\n/);
  // queue "one" has one worker, queue "two" two: the idle ones block on Redis and take no CPU
  const [w1, w2a, w2b] = await Promise.all([worker('one', 'w1'), worker('two', 'w2a'), worker('two', 'w2b')]);
  args.log('3 workers ready (1 wasm thread each)');

  const demo = path.join(root, 'models/demo');
  const promptFile = path.join(root, 'data/demo/train-prompts.jsonl');
  const judgeSpec = 'builtin:arith';
  // the peer: 2 plain processes, each with every other unit
  const plain = await Promise.all([0, 1].map((share) => launch(process.execPath, ['--import', 'tsx', path.join(root, 'bench/scale-out/plain.ts'), JSON.stringify({ model: demo, prompts: promptFile, shape, judge: judgeSpec, share, of: 2 })], /^ready\n/m, ['pipe', 'pipe', 'pipe'])));
  const plainLines = plain.map((c) => readline.createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
  const plainRun = async (): Promise<number> => {
    const t0 = performance.now();
    await Promise.all(plain.map(async (c, i) => {
      c.stdin!.write('go\n');
      for (;;) {
        const { value, done } = await plainLines[i].next();
        if (done) throw new Error('bench scale-out: a plain peer process ended');
        if (String(value).startsWith('done ')) return;
      }
    }));
    return performance.now() - t0;
  };
  args.log('2 plain peer processes ready');

  const be = await createBackend('wasm', { threads: 1 });
  const judge = await loadJudge(judgeSpec);
  const { policy, units } = makeUnits(be, demo, promptFile, shape);
  const label = `${shape.prompts} prompts × K=${shape.k}, ≤${shape.tokens} tokens, ${units.length} units of ${shape.perUnit}`;
  const results: BenchResult[] = [];
  const modes = ['in-process', '1 worker', '2 workers', '2 plain processes'] as const;
  const times: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
  // the processes whose CPU time each mode is charged: this process (the coordinator, or the in-process run), redis, the mode's workers
  const procs: Record<string, Record<string, number | undefined>> = {
    'in-process': { bench: process.pid },
    '1 worker': { coordinator: process.pid, redis: redisProc.pid, w1: w1.pid },
    '2 workers': { coordinator: process.pid, redis: redisProc.pid, w2a: w2a.pid, w2b: w2b.pid },
    '2 plain processes': { p0: plain[0].pid, p1: plain[1].pid },
  };
  const cores: Record<string, Record<string, number[]>> = {};
  // CPU seconds of every process of a mode together: the work's cost, whatever share of the machine it got
  const cpu: Record<string, number[]> = {};
  const busyShare: Record<string, Record<string, number[]>> = {};
  const charged = async (mode: string, f: () => Promise<number>): Promise<number> => {
    const ps = Object.entries(procs[mode]);
    const c0 = ps.map(([, pid]) => cpuSeconds(pid));
    const wall = await f();
    const used = ps.map(([, pid], i) => cpuSeconds(pid) - c0[i]);
    ps.forEach(([who], i) => { ((cores[mode] ??= {})[who] ??= []).push(used[i] / (wall / 1000)); });
    (cpu[mode] ??= []).push(used.reduce((x, y) => x + y, 0));
    return wall;
  };
  // what 2 processes can get from this machine right now: 2 × (1 process's time) ÷ (2 processes' time) — 2 on 2 idle cores
  const capacity: number[] = [];
  const loads: number[] = [];

  // warm-up: workers fetch and load the policy and tier up (2 units each); so does this process
  for (const [q, n] of [['one', 2], ['two', 4]] as const) { const r = await runner(url, q, demo, judgeSpec); await throughQueue(r, units.slice(0, n)); await r.close(); }
  await inProcess(policy, judge, units.slice(0, 2));
  const fmt = (c: Record<string, number[]>) => Object.entries(c).map(([w, x]) => `${w} ${x[x.length - 1].toFixed(2)}`).join(' ');
  for (let r = 0; r < rounds; r++) {
    times['in-process'].push(await charged('in-process', () => inProcess(policy, judge, units)));
    for (const [mode, q] of [['1 worker', 'one'], ['2 workers', 'two']] as const) {
      const run = await runner(url, q, demo, judgeSpec);
      times[mode].push(await charged(mode, () => throughQueue(run, units)));
      for (const [w, ms] of busy) ((busyShare[mode] ??= {})[w] ??= []).push(ms / times[mode][r]);
      await run.close();
    }
    times['2 plain processes'].push(await charged('2 plain processes', plainRun));
    const one = await spinWall(1), two = await spinWall(2);
    capacity.push((2 * one) / two);
    loads.push(os.loadavg()[0]);
    args.log(`round ${r + 1}/${rounds} (load ${loads[r].toFixed(2)}): ${modes.map((m) => `${m} ${times[m][r].toFixed(0)} ms`).join(', ')}; ` +
      `2 vs 1 worker ${(times['1 worker'][r] / times['2 workers'][r]).toFixed(2)}×, 2 plain vs in-process ${(times['in-process'][r] / times['2 plain processes'][r]).toFixed(2)}×, 2 spin loops ${capacity[r].toFixed(2)}×; ` +
      `cores used: ${modes.map((m) => `${m}: ${fmt(cores[m])}`).join('; ')}; busy share: ${Object.entries(busyShare).map(([m, b]) => `${m}: ${fmt(b)}`).join('; ')}`);
  }
  const med = (x: number[]) => Number(median(x).toFixed(3));
  for (const m of modes) {
    results.push({
      op: 'generate+judge', shape: label, impl: m, ms: median(times[m]), reps: rounds, allMs: times[m].map((x) => Math.round(x)), cpuSeconds: med(cpu[m]),
      // CPU cores each process used during the mode (CPU seconds ÷ wall seconds, median over rounds)
      cores: Object.fromEntries(Object.entries(cores[m] ?? {}).map(([w, x]) => [w, med(x)])),
      ...(busyShare[m] ? { busyShare: Object.fromEntries(Object.entries(busyShare[m]).map(([w, x]) => [w, med(x)])) } : {}),
    });
  }
  const ms = (impl: string) => results.find((x) => x.impl === impl)!.ms!;
  const perRound = (a: string, b: string) => Number(median(times[a].map((x, i) => x / times[b][i])).toFixed(3));

  // the queue's own cost per unit: instant units (one token of the tiny model; builtin:length)
  const tinyModel = path.join(root, 'test/fixtures/tiny/model');
  const tiny = makeUnits(be, tinyModel, path.join(root, 'test/fixtures/tiny/prompts.jsonl'), { prompts: 6, perUnit: 1, k: 2, tokens: 1 });
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
  for (const c of plain) c.stdin!.end();
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
  const load = os.loadavg()[0];
  return {
    bench: 'scale-out',
    adapter: { cpus: os.cpus().length, loadavg1: Number(load.toFixed(2)), loadavg1PerRound: loads.map((x) => Number(x.toFixed(2))) },
    results,
    ratios: {
      workers2_vs_workers1: { [label]: Number((ms('1 worker') / ms('2 workers')).toFixed(3)) },
      // the same ratio within each round (the modes of a round run back to back), then the median
      workers2_vs_workers1_per_round: { [label]: perRound('1 worker', '2 workers') },
      // the peer: the same units split over 2 plain processes (no queue) vs this process alone
      plain2_vs_inprocess: { [label]: Number((ms('in-process') / ms('2 plain processes')).toFixed(3)) },
      workers2_vs_plain2: { [label]: Number((ms('2 plain processes') / ms('2 workers')).toFixed(3)) },
      worker1_vs_inprocess: { [label]: Number((ms('in-process') / ms('1 worker')).toFixed(3)) },
      // CPU seconds of the 1-worker mode ÷ those of the 2-worker mode (all their processes): 1.0 when
      // splitting the work costs no extra CPU — then only the machine's free cores bound the speed-up
      cpu_workers1_vs_workers2: { [label]: Number((median(cpu['1 worker']) / median(cpu['2 workers'])).toFixed(3)) },
      // two plain CPU-bound loops vs one, in the same rounds (2.0 = two idle cores)
      machine_2procs_vs_1: { 'fixed loop, 1 vs 2 concurrent node processes': Number(median(capacity).toFixed(3)) },
    },
    perJobOverheadMs: Number(perUnit.toFixed(3)),
    notes: [
      'workers: `sppo worker --backend wasm --threads 1`, separate processes; the coordinator side runs in the bench process, every unit in flight at once and each judged as soon as it is generated (as `sppo train` does)',
      'plain2_vs_inprocess: the same units split over 2 plain processes (no queue, no Redis): the most two processes got for this work in the same rounds; workers2_vs_workers1 is to be read against it',
      'cores: CPU seconds ÷ wall seconds of each process during a mode (Linux /proc); busyShare: the share of the wall time each worker spent inside units',
      'queue overhead: (1-worker wall − in-process wall) ÷ jobs, with every unit in flight at once; round trip: one unit alone, generate + judge jobs',
      `1-minute load average per round: ${loads.map((x) => x.toFixed(2)).join(', ')}; at the end ${load.toFixed(2)} on ${os.cpus().length} cores (other jobs on the machine slow the 2-process modes most)`,
    ],
  };
}

export function printTable(r: BenchReport, write: (s: string) => void): void {
  write(`scale-out (${r.adapter?.cpus} cores, load ${r.adapter?.loadavg1})\n`);
  for (const x of r.results) write(`  ${x.op.padEnd(18)} ${x.impl.padEnd(18)} ${(x.ms as number).toFixed(1).padStart(9)} ms  ${x.shape}${x.perJobMs !== undefined ? `  (${(x.perJobMs as number).toFixed(2)} ms per job)` : ''}\n`);
  for (const [g, v] of Object.entries(r.ratios)) for (const [s, x] of Object.entries(v)) write(`  ${g}: ${x}×  (${s})\n`);
}
