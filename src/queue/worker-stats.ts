// Per-worker throughput, kept in Redis beside the queue so that `sppo queue status` can show it
// from any machine (BullMQ keeps no per-worker counts, and the coordinator removes finished jobs):
//   {prefix}:workers                 set of worker names that reported
//   {prefix}:worker:{name}           hash: started, last (epoch ms), units, generate, judge,
//                                    tokens (generated), pairs (judged), busyMs (inside units)
//   {prefix}:worker:{name}:recent    sorted set of the units finished in the last minute:
//                                    member "{job id}|{tokens}|{pairs}", score = finish time (epoch ms)
// A worker resets its own keys when it starts and updates them after each unit in one MULTI,
// without waiting for the answer (nothing on a unit's path waits for the statistics). The keys
// expire a day after the worker's last unit, so workers long gone drop out of the status.
import type { Redis } from 'ioredis';

const TTL_S = 24 * 3600;
/** the window of "in the last minute" */
export const RECENT_MS = 60_000;

const keys = (prefix: string, name: string) => ({ set: `${prefix}:workers`, hash: `${prefix}:worker:${name}`, recent: `${prefix}:worker:${name}:recent` });

export interface UnitDone { id: string; kind: 'generate' | 'judge'; ms: number; tokens: number; pairs: number }

/** a worker starts: its counters begin at zero */
export async function statsStart(redis: Redis, prefix: string, name: string, now = Date.now()): Promise<void> {
  const k = keys(prefix, name);
  await redis.multi()
    .del(k.hash, k.recent)
    .hset(k.hash, { started: now, last: 0, units: 0, generate: 0, judge: 0, tokens: 0, pairs: 0, busyMs: 0 })
    .expire(k.hash, TTL_S)
    .sadd(k.set, name)
    .expire(k.set, TTL_S)
    .exec();
}

/** a unit is done: count it (one round trip, not awaited by the caller's unit) */
export async function statsUnit(redis: Redis, prefix: string, name: string, u: UnitDone, now = Date.now()): Promise<void> {
  const k = keys(prefix, name);
  await redis.multi()
    .hincrby(k.hash, 'units', 1)
    .hincrby(k.hash, u.kind, 1)
    .hincrby(k.hash, 'tokens', u.tokens)
    .hincrby(k.hash, 'pairs', u.pairs)
    .hincrby(k.hash, 'busyMs', Math.round(u.ms))
    .hset(k.hash, 'last', now)
    .expire(k.hash, TTL_S)
    .zadd(k.recent, now, `${u.id}|${u.tokens}|${u.pairs}`)
    .zremrangebyscore(k.recent, '-inf', now - RECENT_MS)
    .expire(k.recent, Math.ceil((2 * RECENT_MS) / 1000))
    .sadd(k.set, name)
    .expire(k.set, TTL_S)
    .exec();
}

export interface WorkerThroughput {
  name: string;
  /** since the worker started */
  units: number; generate: number; judge: number; tokens: number; pairs: number;
  /** seconds since the worker started, and the share of them spent inside units */
  seconds: number; busy: number;
  unitsPerSecond: number; tokensPerSecond: number;
  /** the last minute */
  recent: { units: number; tokens: number; pairs: number; unitsPerSecond: number; tokensPerSecond: number };
  /** seconds since its last unit (null: none yet) */
  lastUnitSecondsAgo: number | null;
}

/** every worker that reported on this queue, by name */
export async function readStats(redis: Redis, prefix: string, now = Date.now()): Promise<WorkerThroughput[]> {
  const names = (await redis.smembers(`${prefix}:workers`)).sort();
  const out: WorkerThroughput[] = [];
  for (const name of names) {
    const k = keys(prefix, name);
    const h = await redis.hgetall(k.hash);
    if (!h.started) { await redis.srem(k.set, name); continue; } // expired
    const recent = await redis.zrangebyscore(k.recent, now - RECENT_MS, '+inf');
    const n = (f: string) => Number(h[f] ?? 0);
    const seconds = Math.max(1e-3, (now - n('started')) / 1000);
    let rt = 0, rp = 0;
    for (const m of recent) { const [, t, p] = m.split('|'); rt += Number(t) || 0; rp += Number(p) || 0; }
    // the window is a minute, or the time since the start when that is shorter
    const window = Math.min(RECENT_MS / 1000, seconds);
    out.push({
      name, units: n('units'), generate: n('generate'), judge: n('judge'), tokens: n('tokens'), pairs: n('pairs'),
      seconds, busy: Math.min(1, n('busyMs') / 1000 / seconds),
      unitsPerSecond: n('units') / seconds, tokensPerSecond: n('tokens') / seconds,
      recent: { units: recent.length, tokens: rt, pairs: rp, unitsPerSecond: recent.length / window, tokensPerSecond: rt / window },
      lastUnitSecondsAgo: n('last') > 0 ? Math.max(0, (now - n('last')) / 1000) : null,
    });
  }
  return out;
}
