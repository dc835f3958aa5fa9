// `sppo queue status`: what a queue holds — units waiting, running, done, failed — the workers
// connected to it with their throughput (worker-stats.ts), and the policies published for them.
import { Queue } from 'bullmq';
import { connectionOptions, redisClient, redisTarget, waitReady } from './connection.js';
import type { RedisConnection } from './url.js';
import { BULL_PREFIX, dataPrefix } from './protocol.js';
import { readStats, type WorkerThroughput } from './worker-stats.js';

export interface QueueStatus {
  redis: string;
  queue: string;
  counts: Record<string, number>;
  /** units by kind among the waiting and running ones */
  byKind: Record<string, number>;
  workers: { name: string; addr: string; idleSeconds: number }[];
  /** units done and rates per worker (connected or not, until a day after its last unit) */
  throughput: WorkerThroughput[];
  /** the last failed units: their id and reason */
  failed: { id: string; reason: string }[];
  /** policy hashes published for workers */
  policies: string[];
}

export async function queueStatus(o: { redis: string | RedisConnection; queue?: string; timeoutMs?: number }): Promise<QueueStatus> {
  const t = redisTarget(o.redis);
  const name = o.queue ?? 'sppo';
  const redis = redisClient(t, 'sppo-status');
  const queue = new Queue(name, { connection: connectionOptions(t, 'sppo-status-queue'), prefix: BULL_PREFIX });
  queue.on('error', () => { /* waitReady reports */ });
  try {
    await waitReady(redis, t, o.timeoutMs ?? 10_000, 'sppo queue status');
    await queue.waitUntilReady();
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    const byKind: Record<string, number> = {};
    for (const j of await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'], 0, 9999)) if (j) byKind[j.name] = (byKind[j.name] ?? 0) + 1;
    const workers = (await queue.getWorkers()).map((w) => ({ name: String(w.rawname ?? w.name ?? '').replace(/^.*?:w:/, ''), addr: w.addr ?? '', idleSeconds: Number(w.idle ?? 0) }));
    const failed = (await queue.getFailed(0, 9)).filter(Boolean).map((j) => ({ id: String(j.id), reason: j.failedReason ?? '' }));
    const prefix = `${dataPrefix(name)}:policy:`;
    const policies: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*:meta`, 'COUNT', 200);
      cursor = next;
      for (const k of keys) policies.push(k.slice(prefix.length, -':meta'.length));
    } while (cursor !== '0');
    const throughput = await readStats(redis, dataPrefix(name));
    return { redis: t.shown, queue: name, counts, byKind, workers, throughput, failed, policies: policies.sort() };
  } finally {
    await queue.close().catch(() => {});
    redis.disconnect();
  }
}

export function formatStatus(s: QueueStatus): string {
  const c = s.counts;
  const lines = [
    `queue "${s.queue}" on ${s.redis}`,
    `  units   waiting ${(c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0)} · running ${c.active ?? 0} · done ${c.completed ?? 0} · failed ${c.failed ?? 0}` +
      (Object.keys(s.byKind).length ? `  (to do: ${Object.entries(s.byKind).map(([k, n]) => `${n} ${k}`).join(', ')})` : ''),
    `  workers ${s.workers.length}${s.workers.length ? ': ' + s.workers.map((w) => `${w.name} (${w.addr}, idle ${w.idleSeconds} s)`).join(', ') : ''}`,
  ];
  const connected = new Set(s.workers.map((w) => w.name));
  for (const w of s.throughput) lines.push(`  worker  ${formatThroughput(w)}${connected.has(w.name) ? '' : ' — not connected'}`);
  lines.push(`  policies published ${s.policies.length}${s.policies.length ? ': ' + s.policies.map((h) => h.slice(0, 12)).join(', ') : ''}`);
  for (const f of s.failed) lines.push(`  failed  ${f.id}: ${f.reason}`);
  return lines.join('\n') + '\n';
}

const rate = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

/** "w1: 34 units (30 generate, 4 judge), 1,234 tokens; since start 0.52 units/s, 19 tokens/s, busy 85%; last minute 12 units, 0.20 units/s, 6.7 tokens/s; last unit 3 s ago" */
export function formatThroughput(w: WorkerThroughput): string {
  const r = w.recent;
  return `${w.name}: ${w.units} units (${w.generate} generate, ${w.judge} judge), ${w.tokens.toLocaleString('en')} tokens, ${w.pairs.toLocaleString('en')} pairs` +
    `; since start (${Math.round(w.seconds)} s) ${rate(w.unitsPerSecond)} units/s, ${rate(w.tokensPerSecond)} tokens/s, busy ${Math.round(100 * w.busy)}%` +
    `; last minute ${r.units} units, ${rate(r.unitsPerSecond)} units/s, ${rate(r.tokensPerSecond)} tokens/s` +
    (w.lastUnitSecondsAgo === null ? '; no unit yet' : `; last unit ${Math.round(w.lastUnitSecondsAgo)} s ago`);
}
