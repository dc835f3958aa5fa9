// Scale-out against a real redis-server on a free loopback port and real `sppo worker` and
// `sppo train` processes: runs with 1, 2 and 3 workers write byte-identical samples,
// judgments, records and weights to the single-process run; so do runs where workers are
// SIGKILLed at random moments (seeded: SPPO_SEED) and a run across a Redis restart; a unit whose
// judge fails fails the run with that unit's error, tried once; a password-protected Redis
// works and its password appears in nothing written. Every process is killed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, SEED } from '../kernels/harness.js';
import { ARTIFACTS, bin, kill, killAll, listFiles, root, selfSignedCert, sleep, start, startRedis, until, worker, type Proc, type RedisServer } from './procs.js';

const s = suite('scale-out through BullMQ on Redis');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-queue-'));
const example = path.join(root, 'test/fixtures/tiny');
const ITERS = 2;

// the tiny example's judge, a little slow (so that kills and restarts land while units run),
// and one that fails on one prompt
fs.writeFileSync(path.join(tmp, 'slow-judge.mjs'), `
const score = (s) => (s.match(/[A-Za-z ]/g) ?? []).length;
export default async function judge(pairs) {
  await new Promise((r) => setTimeout(r, 60));
  return pairs.map(({ a, b }) => 1 / (1 + Math.exp(-(score(a) - score(b)) / 2)));
}
`);
const prompts = fs.readFileSync(path.join(example, 'prompts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).prompt as string);
const badPrompt = prompts[3];
fs.writeFileSync(path.join(tmp, 'failing-judge.mjs'), `
export default async function judge(pairs) {
  if (pairs.some((p) => p.prompt === ${JSON.stringify(badPrompt)})) throw new Error('this judge cannot score prompt number four');
  return pairs.map(() => 0.5);
}
`);

function config(name: string, judge = 'slow-judge.mjs'): { file: string; out: string } {
  const out = path.join(tmp, name);
  const cfg = {
    model: path.join(example, 'model'), prompts: path.join(example, 'prompts.jsonl'), judge: path.join(tmp, judge), out,
    iterations: ITERS, k: 3, loss: 'sppo', eta: 10, optimizer: 'rmsprop', lr: 0.001, lrSchedule: 'constant', batchSize: 2,
    maxNewTokens: 8, temperature: 1, topP: 1, seed: 7, backend: 'wasm', generateUnit: 1, trainUnit: 1, evalSize: 0,
  };
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return { file, out };
}

const train = (cfgFile: string, url?: string, env: NodeJS.ProcessEnv = {}): Proc =>
  start(process.execPath, [bin, 'train', '--config', cfgFile, ...(url ? ['--redis', url] : [])], env);

async function finished(p: Proc, what: string, ms = 40_000): Promise<void> {
  const t = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const r = await p.exited;
  clearTimeout(t);
  assert.is(r.code, 0, `${what} failed (${r.signal ?? r.code}; seed ${SEED}):\n${p.err().slice(-3000)}`);
}

/** the distributed run dir holds the same bytes as the single-process one */
function sameAsLocal(out: string, what: string): void {
  for (const f of ARTIFACTS(ITERS)) {
    const a = fs.readFileSync(path.join(ref, f)), b = fs.readFileSync(path.join(out, f));
    assert.ok(a.equals(b), `${what}: ${f} differs from the single-process run (seed ${SEED})`);
  }
  assert.not.ok('queue' in JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')), 'config.json never holds the queue');
  assert.not.ok(fs.existsSync(path.join(out, 'iter-1/gen')) || fs.existsSync(path.join(out, 'iter-1/judge')), 'unit folders are gone once a stage is whole');
}

let ref = '';
let redis: RedisServer | null = null;

s.before(async () => {
  const c = config('local');
  await finished(train(c.file), 'the single-process run');
  ref = c.out;
  redis = await startRedis();
});

s.after(async () => {
  killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

s('1, 2 and 3 workers (the third a Deno process) write the bytes of the single-process run; queue status sees them', async () => {
  const ws: Proc[] = [];
  try {
    for (const n of [1, 2, 3]) {
      const cache = path.join(tmp, `cache-w${n}`);
      ws.push(n < 3 ? worker(redis!.url, `w${n}`, ['--allow-judge', tmp, '--cache', cache])
        : start(path.join(root, 'node_modules/.bin/deno'), ['run', '-A', '--node-modules-dir=manual', path.join(root, 'examples/deno/worker.ts'), '--redis', redis!.url, '--name', 'w3', '--allow-judge', tmp, '--cache', cache, '--lock-ms', '5000']));
      await until(() => ws.every((w) => / ready\n/.test(w.err())), 60_000, 'workers ready');
      const c = config(`workers-${n}`);
      const run = train(c.file, redis!.url);
      await finished(run, `the run with ${n} worker(s)`);
      sameAsLocal(c.out, `${n} worker(s)`);
      assert.ok(run.err().includes(`units go to queue "sppo" on ${redis!.url}`), 'the coordinator says where units go');
      // the progress lines carry per-worker throughput of the stage (the last line of each stage is always written)
      assert.match(run.err(), /iter 1 generate\s*: (\d+)\/\1 .*\| w\d \d+ units \([\d.]+\/s, [\d.]+ tokens\/s\)/, `per-worker rates in the generation progress:\n${run.err().slice(-1500)}`);
      assert.match(run.err(), /iter 1 judge\s*: (\d+)\/\1 .*w\d \d+ units \([\d.]+\/s, [\d.]+ pairs\/s\)/, 'per-worker rates in the judging progress');
    }
    assert.match(ws[2].err(), / unit \d+ of iteration \d+ in /, 'the Deno worker ran units');
    // the judge is loaded from the first generation unit on, before any judging unit (w1 ran the first run alone)
    const w1 = ws[0].err(), loading = w1.indexOf(`judge ${path.join(tmp, 'slow-judge.mjs')}: loading while units are generated`);
    assert.ok(loading >= 0 && loading < w1.search(/judge unit \d+ of iteration \d+ started/), `w1 loads the judge ahead of its units:\n${w1.slice(0, 2000)}`);
    assert.is(w1.split('loading while units are generated').length, 2, 'loaded once');
    // per-worker throughput: each worker's count in the status is the number of units it says it finished
    // (its statistics are sent after each unit without being waited for: ask until they have landed)
    const finishedBy = (w: Proc) => (w.err().match(/ unit \d+ of iteration \d+ in \d+ ms/g) ?? []).length;
    const counts = ws.map(finishedBy);
    assert.ok(counts.every((n) => n > 0), `every worker ran units (${counts.join(', ')})`);
    let doc: any = null;
    for (let tries = 0; ; tries++) {
      const st = start(process.execPath, [bin, 'queue', 'status', '--redis', redis!.url, '--json']);
      await finished(st, 'sppo queue status');
      doc = JSON.parse(st.out());
      const got = ['w1', 'w2', 'w3'].map((n) => doc.throughput.find((w: { name: string }) => w.name === n)?.units);
      if (got.every((n, i) => n === counts[i])) break;
      if (tries === 20) assert.equal(got, counts, 'units per worker in `sppo queue status --json`');
      await sleep(100);
    }
    assert.equal(doc.workers.map((w: { name: string }) => w.name).sort(), ['w1', 'w2', 'w3']);
    for (const w of doc.throughput) {
      assert.is(w.generate + w.judge, w.units, `${w.name}: generation + judging units`);
      assert.ok(w.tokens > 0 === w.generate > 0 && w.pairs > 0 === w.judge > 0, `${w.name}: tokens with generation units, pairs with judging units`);
      assert.ok(w.unitsPerSecond > 0 && w.recent.units <= w.units && w.busy > 0 && w.busy <= 1, `${w.name}: rates since start`);
    }
    // the text form: one line per worker with its count
    const text = start(process.execPath, [bin, 'queue', 'status', '--redis', redis!.url]);
    await finished(text, 'sppo queue status');
    ['w1', 'w2', 'w3'].forEach((n, i) => assert.match(text.out(), new RegExp(`\\n  worker  ${n}: ${counts[i]} units \\(`), `the status line of ${n}:\n${text.out()}`));
    assert.is(doc.counts.failed, 0);
    assert.is(doc.counts.waiting + doc.counts.active, 0, 'nothing left to do');
    assert.equal(doc.policies, [], 'an iteration\'s policy is deleted once its generation is done');
    // every worker fetched a policy into its own cache, by hash
    const cached = ws.map((_, i) => { try { return fs.readdirSync(path.join(tmp, `cache-w${i + 1}`)).filter((n) => /^[0-9a-f]{64}$/.test(n)); } catch { return []; } });
    assert.ok(cached.some((c) => c.length > 0), 'policies cached by hash');
  } finally {
    for (const w of ws) await kill(w);
  }
});

s('workers SIGKILLed at random moments: no unit lost or counted twice, same bytes', async () => {
  const rng = new Rng((SEED ^ 0x5eed) >>> 0);
  for (let r = 0; r < 2; r++) {
    const ws = [0, 1].map((i) => worker(redis!.url, `k${r}-${i}`, ['--allow-judge', tmp, '--cache', path.join(tmp, 'cache-kill'), '--lock-ms', '1000']));
    try {
      await until(() => ws.every((w) => / ready\n/.test(w.err())), 20_000, 'workers ready');
      const c = config(`killed-${r}`);
      const run = train(c.file, redis!.url);
      // kill a random worker the moment it has started its n-th unit (random n; judge units take ≥ 60 ms, so
      // the kill lands mid-unit), then start another
      const n = rng.int(1, 5), victim = ws[rng.int(0, 2)];
      const started = () => (victim.err().match(/ unit \d+ of iteration \d+ started/g) ?? []).length;
      await until(() => (started() >= n && /started\n$/.test(victim.err())) || run.child.exitCode !== null, 30_000, `the victim's unit ${n}`);
      const inFlight = /(\w+ unit \d+ of iteration \d+) started\n$/.exec(victim.err())?.[1];
      await kill(victim);
      ws.push(worker(redis!.url, `k${r}-2`, ['--allow-judge', tmp, '--cache', path.join(tmp, 'cache-kill'), '--lock-ms', '1000']));
      await finished(run, `run ${r} with a worker killed in its unit ${n}`);
      sameAsLocal(c.out, `killed run ${r}`);
      assert.ok(inFlight, `the kill landed while the victim held a unit (seed ${SEED})`);
      {
        // the unit it held was given to another worker by BullMQ's stalled-job check
        assert.ok(ws.some((w) => w !== victim && / stalled \(its worker stopped answering\)/.test(w.err())), `a stalled unit was detected (${inFlight}; seed ${SEED})`);
        assert.ok(ws.some((w) => w !== victim && w.err().includes(`${inFlight} in `)), `${inFlight} was finished by another worker (seed ${SEED})`);
      }
    } finally {
      for (const w of ws) await kill(w);
    }
  }
});

s('Redis restarted mid-iteration: the coordinator adds the lost units again; gone too long: one message, --resume; same bytes', async () => {
  const ws = [0, 1].map((i) => worker(redis!.url, `r${i}`, ['--allow-judge', tmp, '--cache', path.join(tmp, 'cache-restart')]));
  try {
    await until(() => ws.every((w) => / ready\n/.test(w.err())), 20_000, 'workers ready');
    const c = config('restart');
    const run = train(c.file, redis!.url);
    // while iteration 1 is judged (its samples are whole, its judgments are not)
    await until(() => fs.existsSync(path.join(c.out, 'iter-1/samples.jsonl')) || run.child.exitCode !== null, 30_000, 'iteration 1 samples');
    assert.not.ok(fs.existsSync(path.join(c.out, 'iter-1/judgments.jsonl')), 'restart lands mid-iteration');
    await redis!.restart();
    await finished(run, 'the run across a Redis restart');
    sameAsLocal(c.out, 'Redis restart');

    // Redis gone for longer than the coordinator waits (SPPO_REDIS_WAIT_S): one clear message; --resume once it is back
    const g = config('redis-gone');
    const gone = train(g.file, redis!.url, { SPPO_REDIS_WAIT_S: '2' });
    await until(() => fs.existsSync(path.join(g.out, 'iter-1/samples.jsonl')) || gone.child.exitCode !== null, 30_000, 'iteration 1 samples');
    await redis!.stop();
    const t = setTimeout(() => gone.child.kill('SIGKILL'), 30_000);
    const r = await gone.exited;
    clearTimeout(t);
    assert.is(r.code, 1, `the coordinator stops by itself:\n${gone.err().slice(-1500)}`);
    assert.match(gone.err(), new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redis!.port} unreachable for \\d+ s.*start it again, then continue with \`sppo train --config FILE --resume\``));
    await redis!.restart();
    const resumed = start(process.execPath, [bin, 'train', '--config', g.file, '--redis', redis!.url, '--resume']);
    await finished(resumed, 'the run resumed after Redis came back');
    sameAsLocal(g.out, 'Redis gone, then --resume');
  } finally {
    for (const w of ws) await kill(w);
  }
});

s('the coordinator SIGKILLed mid-iteration and resumed: units done meanwhile are taken; same bytes', async () => {
  const w = worker(redis!.url, 'c0', ['--allow-judge', tmp, '--cache', path.join(tmp, 'cache-coord')]);
  try {
    await until(() => / ready\n/.test(w.err()), 20_000, 'worker ready');
    const c = config('coordinator-killed');
    const first = train(c.file, redis!.url);
    await until(() => fs.existsSync(path.join(c.out, 'iter-1/samples.jsonl')) || first.child.exitCode !== null, 30_000, 'iteration 1 samples');
    await kill(first);
    const judgedBefore = (w.err().match(/judge unit \d+ of iteration 1 in /g) ?? []).length;
    await sleep(300); // the worker goes on with the units already queued
    const resumed = start(process.execPath, [bin, 'train', '--config', c.file, '--redis', redis!.url, '--resume']);
    await finished(resumed, 'the resumed run');
    sameAsLocal(c.out, 'coordinator killed and resumed');
    assert.ok(judgedBefore < 6, 'the kill landed before judging was done');
    // each judge unit of iteration 1 ran once: the resumed coordinator took the results of the units done while it was gone
    for (let u = 0; u < 6; u++) assert.is((w.err().match(new RegExp(`judge unit ${u} of iteration 1 in `, 'g')) ?? []).length, 1, `judge unit ${u} run once`);
  } finally {
    await kill(w);
  }
});

s('a unit whose judge fails fails the run with that unit\'s error, tried once', async () => {
  const w = worker(redis!.url, 'f0', ['--allow-judge', tmp, '--cache', path.join(tmp, 'cache-fail')]);
  try {
    await until(() => / ready\n/.test(w.err()), 20_000, 'worker ready');
    const c = config('failing', 'failing-judge.mjs');
    const run = train(c.file, redis!.url);
    const t = setTimeout(() => run.child.kill('SIGKILL'), 40_000);
    const r = await run.exited;
    clearTimeout(t);
    assert.is(r.code, 1, `the run must fail, not hang or retry forever:\n${run.err().slice(-2000)}`);
    assert.match(run.err(), /judging unit 3 of iteration 1 failed on a worker: worker f0: .*this judge cannot score prompt number four/);
    assert.is((w.err().match(/judge unit 3 of iteration 1 failed/g) ?? []).length, 1, 'a deterministic failure is not retried');
    assert.not.ok(fs.existsSync(path.join(c.out, 'iter-1/judgments.jsonl')));
  } finally {
    await kill(w);
  }
});

s('a password-protected Redis over TLS (rediss://): the password is in nothing written', async () => {
  const password = `pw-${(SEED >>> 0).toString(16)}-${Math.random().toString(36).slice(2)}`;
  const tls = selfSignedCert(tmp);
  assert.ok(tls, 'openssl makes a certificate');
  const secure = await startRedis({ password, tls: tls! });
  const ca = { NODE_EXTRA_CA_CERTS: tls!.cert };
  // the worker takes the password from the environment, the coordinator from the URL
  const w = worker(`rediss://127.0.0.1:${secure.port}`, 'p0', ['--allow-judge', tmp, '--cache', path.join(tmp, 'cache-pw')], { SPPO_REDIS_PASSWORD: password, ...ca });
  try {
    await until(() => / ready\n/.test(w.err()) || w.child.exitCode !== null, 20_000, 'worker ready');
    const c = config('password');
    const run = train(c.file, secure.url, ca);
    await finished(run, 'the run on a password-protected Redis');
    sameAsLocal(c.out, 'password-protected Redis');
    assert.ok(run.err().includes(`rediss://:***@127.0.0.1:${secure.port}`), 'logs show the URL without its password');
    const written = [run.out(), run.err(), w.err(), ...listFiles(c.out).map((f) => fs.readFileSync(path.join(c.out, f), 'latin1'))];
    for (const text of written) assert.not.ok(text.includes(password), 'the password leaked');
    // a wrong password: one clear error at once, naming the server, not the password
    const bad = start(process.execPath, [bin, 'queue', 'status', '--redis', `rediss://:wrong-${password}@127.0.0.1:${secure.port}`], ca);
    const r = await bad.exited;
    assert.is(r.code, 1);
    assert.match(bad.err(), new RegExp(`Redis at rediss://:\\*\\*\\*@127\\.0\\.0\\.1:${secure.port} refused the password`));
    // a certificate Node does not trust: one clear error at once
    const untrusted = start(process.execPath, [bin, 'queue', 'status', '--redis', secure.url]);
    assert.is((await untrusted.exited).code, 1);
    assert.match(untrusted.err(), /TLS certificate is not trusted .*NODE_EXTRA_CA_CERTS/);
    assert.not.ok(untrusted.err().includes(password));
    assert.not.ok(bad.err().includes(password));
  } finally {
    await kill(w);
    await secure.stop();
  }
});

s.run();
