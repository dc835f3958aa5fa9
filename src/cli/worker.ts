// `sppo worker --redis URL [--queue NAME] [--backend ...] [--concurrency N]`: a long-running
// process that takes a run's generation and judging units from its queue (src/queue/worker.ts).
// Stops on SIGINT/SIGTERM after the units in flight.
import type { Command } from 'commander';
import { startWorker } from '../queue/worker.js';
import { BACKEND_HELP, int } from './common.js';

export const REDIS_HELP = 'redis://[user:password@]host:port[/db], or rediss:// for TLS (default $SPPO_REDIS_URL; the password may also come from $SPPO_REDIS_PASSWORD)';

export function redisURL(given: string | undefined, cmd: string): string {
  const url = given ?? process.env.SPPO_REDIS_URL;
  if (!url) throw new Error(`sppo ${cmd}: give --redis redis://HOST:PORT (or set SPPO_REDIS_URL)`);
  return url;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('take generation and judging units of `sppo train` runs from a Redis queue and run them')
    .option('--redis <url>', REDIS_HELP)
    .option('--queue <name>', 'queue name (the run config\'s "queue.name")', 'sppo')
    .option('--backend <kind>', `${BACKEND_HELP}; the coordinator's, for identical results`, 'auto')
    .option('--threads <n>', 'wasm threads (default: all cores)')
    .option('--concurrency <n>', 'units at once in this process', '1')
    .option('--allow-judge <location...>', 'module judges / judge model directories under these paths, HTTP judges under these URLs (builtins are always allowed)')
    .option('--cache <dir>', 'policy cache directory (default ~/.cache/sppo/policies)')
    .option('--name <name>', 'worker name in progress and `sppo queue status` (default host:pid)')
    .option('--lock-ms <ms>', 'a unit whose worker is silent this long goes to another worker', '30000')
    .action(async (o: { redis?: string; queue: string; backend: string; threads?: string; concurrency: string; allowJudge?: string[]; cache?: string; name?: string; lockMs: string }) => {
      if (!['webgpu', 'wasm', 'auto'].includes(o.backend)) throw new Error(`sppo worker: --backend must be webgpu, wasm or auto, got "${o.backend}"`);
      const quiet = !!process.env.SPPO_QUIET;
      const w = await startWorker({
        redis: redisURL(o.redis, 'worker'), queue: o.queue, backend: o.backend as 'auto',
        threads: o.threads ? int(o.threads, '--threads') : undefined, concurrency: int(o.concurrency, '--concurrency'),
        allowJudge: o.allowJudge, cacheDir: o.cache, name: o.name, lockMs: int(o.lockMs, '--lock-ms'),
        log: (m) => { if (!quiet) process.stderr.write(`sppo worker: ${m}\n`); },
      });
      process.stderr.write(`sppo worker: ${w.name} ready\n`);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => { process.stderr.write(`sppo worker: ${sig}: finishing the units in flight\n`); resolve(); };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await w.close();
      process.stderr.write(`sppo worker: ${w.name} stopped after ${w.done} units\n`);
      process.exit(0);
    });
}
