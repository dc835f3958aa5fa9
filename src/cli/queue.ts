// `sppo queue status --redis URL [--queue NAME] [--json]`: units waiting, running, done and
// failed, the workers with their throughput, the policies published (src/queue/status.ts).
import type { Command } from 'commander';
import { formatStatus, queueStatus } from '../queue/status.js';
import { REDIS_HELP, redisURL } from './worker.js';

export function register(program: Command): void {
  const q = program.command('queue').description('inspect a Redis queue of `sppo worker`s');
  q.command('status')
    .description('units waiting, running, done and failed; workers and their throughput; published policies')
    .option('--redis <url>', REDIS_HELP)
    .option('--queue <name>', 'queue name', 'sppo')
    .option('--json', 'one JSON document on stdout')
    .action(async (o: { redis?: string; queue: string; json?: boolean }) => {
      const s = await queueStatus({ redis: redisURL(o.redis, 'queue status'), queue: o.queue });
      process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
      process.exit(0);
    });
}
