// The queue's pieces on their own: Redis URLs (passwords redacted, TLS, databases), which
// judges a worker allows, the config key "queue" (never in config.json), and policies by
// content hash through a real redis-server: published, fetched into a cache, checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { redactURL, redisTarget } from '../../src/queue/connection.js';
import { fetchPolicy, policyHash, publishPolicy, unpublishPolicy } from '../../src/queue/policy-store.js';
import { judgeRefusal } from '../../src/queue/worker.js';
import { readStats, statsStart, statsUnit, RECENT_MS } from '../../src/queue/worker-stats.js';
import { formatStatus, type QueueStatus } from '../../src/queue/status.js';
import { configJSON, resolveConfig } from '../../src/sppo/config.js';
import { Rng, SEED } from '../kernels/harness.js';
import { killAll, root, startRedis, type RedisServer } from './procs.js';

const s = suite('queue pieces');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-queue-pieces-'));
let redis: RedisServer | null = null;

async function rejects(f: () => Promise<unknown>, re: RegExp): Promise<void> {
  try { await f(); } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}
s.after(() => { killAll(); fs.rmSync(tmp, { recursive: true, force: true }); });

s('Redis URLs: password redacted everywhere shown, TLS for rediss://, database, env password, bad URLs', () => {
  assert.is(redactURL('redis://:s3cret@host:6379/2'), 'redis://:***@host:6379/2');
  assert.is(redactURL('rediss://user:s3cret@host'), 'rediss://user:***@host');
  assert.is(redactURL('redis://s3cret@host'), 'redis://***@host');
  assert.is(redactURL('redis://host:1'), 'redis://host:1');
  const t = redisTarget('rediss://app:p%40ss@redis.example:6380/3');
  assert.equal([t.options.host, t.options.port, t.options.db, t.options.username, t.options.password], ['redis.example', 6380, 3, 'app', 'p@ss']);
  assert.equal(t.options.tls, { servername: 'redis.example' });
  assert.is(t.shown, 'rediss://app:***@redis.example:6380/3');
  assert.is(redisTarget('redis://127.0.0.1').options.tls, undefined);
  process.env.SPPO_REDIS_PASSWORD = 'from-env';
  try { assert.is(redisTarget('redis://127.0.0.1:1').options.password, 'from-env'); } finally { delete process.env.SPPO_REDIS_PASSWORD; }
  assert.throws(() => redisTarget('http://:pw@host'), (e: Error) => /must start with redis:\/\/ or rediss:\/\//.test(e.message) && !e.message.includes('pw@'));
  assert.throws(() => redisTarget('redis://host/abc'), /database number/);
});

s('config "queue": checked, shorthand, never written to config.json', () => {
  const base = { model: 'm', prompts: 'p', judge: 'builtin:length' };
  assert.is(resolveConfig(base).queue, null);
  assert.equal(resolveConfig({ ...base, queue: 'redis://:pw@h:1' }).queue, { redis: 'redis://:pw@h:1', name: 'sppo' });
  assert.equal(resolveConfig({ ...base, queue: { redis: 'rediss://h', name: 'q-1' } }).queue, { redis: 'rediss://h', name: 'q-1' });
  assert.throws(() => resolveConfig({ ...base, queue: { redis: 'h:1' } }), /"queue.redis" must be a redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => resolveConfig({ ...base, queue: { redis: 'redis://h', host: 'x' } }), /"queue" has no key "host"/);
  assert.throws(() => resolveConfig({ ...base, queue: { redis: 'redis://h', name: 'a:b' } }), /"queue.name"/);
  const text = configJSON(resolveConfig({ ...base, queue: 'redis://:pw@h:1' }));
  assert.not.ok(text.includes('pw') || 'queue' in JSON.parse(text));
  assert.is(text, configJSON(resolveConfig(base)), 'where units run is not part of a run');
});

s('judges a worker allows: builtins, paths under --allow-judge, URLs by prefix; nothing else', () => {
  const allowed = path.join(tmp, 'judges'), other = path.join(tmp, 'other');
  fs.mkdirSync(allowed); fs.mkdirSync(other);
  fs.writeFileSync(path.join(allowed, 'j.mjs'), 'export default async (p) => p.map(() => 0.5);');
  fs.writeFileSync(path.join(other, 'evil.mjs'), 'export default async (p) => p.map(() => 0.5);');
  fs.symlinkSync(path.join(other, 'evil.mjs'), path.join(allowed, 'link.mjs'));
  const allow = [allowed, 'http://127.0.0.1:8000/v1'];
  assert.is(judgeRefusal('builtin:length', []), null);
  assert.is(judgeRefusal(path.join(allowed, 'j.mjs'), allow), null);
  assert.match(judgeRefusal(path.join(other, 'evil.mjs'), allow)!, /not under a location this worker allows: start it with --allow-judge/);
  assert.match(judgeRefusal(path.join(allowed, 'link.mjs'), allow)!, /not under a location/, 'a link out of the allowed folder is followed');
  assert.match(judgeRefusal(path.join(allowed, '..', 'other', 'evil.mjs'), allow)!, /not under a location/);
  assert.match(judgeRefusal(path.join(allowed, 'missing.mjs'), allow)!, /does not exist on this worker/);
  fs.mkdirSync(path.join(allowed, 'rm'));
  assert.is(judgeRefusal(path.join(allowed, 'rm') + '?backend=wasm&batchSize=8', allow), null, 'a model directory with options');
  assert.match(judgeRefusal('j.mjs', allow)!, /neither builtin:NAME, a URL nor an absolute path/);
  assert.is(judgeRefusal('http://127.0.0.1:8000/v1?model=x', allow), null);
  assert.match(judgeRefusal('http://10.0.0.1:8000/v1', allow)!, /not allowed on this worker: start it with --allow-judge http:\/\/10\.0\.0\.1:8000\//);
});

s('policies by content hash: published in chunks, fetched into a cache once, checked', async () => {
  redis ??= await startRedis();
  const r = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: false });
  try {
    const rng = new Rng((SEED ^ 0x9011c) >>> 0);
    const dir = path.join(tmp, 'policy');
    fs.mkdirSync(dir);
    for (const f of ['config.json', 'tokenizer.json']) fs.copyFileSync(path.join(root, 'test/fixtures/tiny/model', f), path.join(dir, f));
    // a file of more than one 4 MiB chunk, of awkward length
    const big = Buffer.from(rng.f32(((4 << 20) + 4 * 17 + 4) / 4).buffer);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), big);
    const hash = await publishPolicy(r, 'sppo-data:t', dir);
    assert.is(hash, policyHash(dir));
    assert.is(await publishPolicy(r, 'sppo-data:t', dir), hash, 'publishing again is a no-op');
    const cache = path.join(tmp, 'cache');
    const got = await fetchPolicy(r, 'sppo-data:t', hash, cache);
    assert.is(got, path.join(cache, hash));
    for (const f of fs.readdirSync(dir)) assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(got, f))), `${f} (seed ${SEED})`);
    // cached: no Redis needed the second time
    await unpublishPolicy(r, 'sppo-data:t', hash);
    assert.is(await r.exists(`sppo-data:t:policy:${hash}:meta`), 0);
    assert.is(await fetchPolicy(r, 'sppo-data:t', hash, cache), got);
    // other bytes under the name: refused, nothing left in the cache
    await publishPolicy(r, 'sppo-data:t', dir);
    await r.set(`sppo-data:t:policy:${hash}:0:0`, Buffer.alloc(fs.statSync(path.join(dir, 'config.json')).size, 32)); // config.json, same length
    const cache2 = path.join(tmp, 'cache2');
    await rejects(() => fetchPolicy(r, 'sppo-data:t', hash, cache2), /downloaded with hash .*: Redis holds other bytes/);
    assert.equal(fs.readdirSync(cache2), []);
    await rejects(() => fetchPolicy(r, 'sppo-data:t', 'a'.repeat(64), cache2), /is not in Redis/);
    await rejects(() => fetchPolicy(r, 'sppo-data:t', '../x', cache2), /not a sha256/);
  } finally {
    r.disconnect();
  }
});

s('per-worker throughput: counts since start, the last minute, a restart from zero, text lines', async () => {
  redis ??= await startRedis();
  const r = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: false });
  try {
    const rng = new Rng((SEED ^ 0x57a75) >>> 0);
    const P = `sppo-data:stats-${rng.int(0, 1 << 30)}`;
    const t0 = 1_700_000_000_000;
    await statsStart(r, P, 'host:12', t0);
    await statsStart(r, P, 'b', t0);
    // host:12: 3 units early, 2 in the last minute of t0 + 100 s; b: none
    const early = [1, 2, 3].map((i) => ({ id: `g${i}`, kind: 'generate' as const, ms: 500, tokens: 10 * i, pairs: 0, at: t0 + i * 1000 }));
    const late = [{ id: 'g4', kind: 'generate' as const, ms: 1000, tokens: 7, pairs: 0, at: t0 + 50_000 }, { id: 'j1', kind: 'judge' as const, ms: 250, tokens: 0, pairs: 36, at: t0 + 90_000 }];
    for (const u of [...early, ...late]) await statsUnit(r, P, 'host:12', u, u.at);
    const now = t0 + 100_000;
    const st = await readStats(r, P, now);
    assert.equal(st.map((w) => w.name), ['b', 'host:12']);
    const [b, w] = st;
    assert.equal([b.units, b.lastUnitSecondsAgo, b.recent.units], [0, null, 0]);
    assert.equal([w.units, w.generate, w.judge, w.tokens, w.pairs], [5, 4, 1, 67, 36]);
    assert.is(w.seconds, 100);
    assert.ok(Math.abs(w.busy - 2.75 / 100) < 1e-9 && Math.abs(w.unitsPerSecond - 0.05) < 1e-9 && Math.abs(w.tokensPerSecond - 0.67) < 1e-9);
    // the last minute (t0 + 40 s .. t0 + 100 s) holds g4 and j1 (the early ones were trimmed by the later updates)
    assert.equal([w.recent.units, w.recent.tokens, w.recent.pairs], [2, 7, 36]);
    assert.ok(Math.abs(w.recent.unitsPerSecond - 2 / (RECENT_MS / 1000)) < 1e-9);
    assert.is(w.lastUnitSecondsAgo, 10);
    const status: QueueStatus = { redis: 'redis://x', queue: 'q', counts: {}, byKind: {}, workers: [{ name: 'host:12', addr: '127.0.0.1:1', idleSeconds: 0 }], throughput: st, failed: [], policies: [] };
    const text = formatStatus(status);
    assert.match(text, /\n  worker  host:12: 5 units \(4 generate, 1 judge\), 67 tokens, 36 pairs; since start \(100 s\) 0\.05 units\/s, 0\.67 tokens\/s, busy 3%; last minute 2 units, 0\.03 units\/s, 0\.12 tokens\/s; last unit 10 s ago\n/);
    assert.match(text, /\n  worker  b: 0 units .*; no unit yet — not connected\n/);
    // a worker that starts again under the same name counts from zero
    await statsStart(r, P, 'host:12', now);
    const again = (await readStats(r, P, now + 1000)).find((x) => x.name === 'host:12')!;
    assert.equal([again.units, again.recent.units, again.seconds], [0, 0, 1]);
    // expired statistics drop out of the list
    await r.del(`${P}:worker:b`);
    assert.equal((await readStats(r, P, now)).map((x) => x.name), ['host:12']);
  } finally {
    r.disconnect();
  }
});

s.run();
