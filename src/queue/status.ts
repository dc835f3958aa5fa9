// `sppo queue status`: what a queue holds — units waiting, running, done, failed — the workers
// connected to it and the policies published for them.
import { Queue } from 'bullmq';
import { connectionOptions, redisClient, redisTarget, waitReady } from './connection.js';
import type { RedisConnection } from './url.js';
import { BULL_PREFIX, dataPrefix } from './protocol.js';

export interface QueueStatus {
  redis: string;
  queue: string;
  counts: Record<string, number>;
  /** units by kind among the waiting and running ones */
  byKind: Record<string, number>;
  workers: { name: string; addr: string; idleSeconds: number }[];
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
    return { redis: t.shown, queue: name, counts, byKind, workers, failed, policies: policies.sort() };
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
    `  policies published ${s.policies.length}${s.policies.length ? ': ' + s.policies.map((h) => h.slice(0, 12)).join(', ') : ''}`,
  ];
  for (const f of s.failed) lines.push(`  failed  ${f.id}: ${f.reason}`);
  return lines.join('\n') + '\n';
}
