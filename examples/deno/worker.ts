// A queue worker under Deno: the same library API as `sppo worker` (src/queue/worker.ts), BullMQ
// and ioredis from the package's node_modules. Run from the package root:
//   npx deno run -A --node-modules-dir=manual examples/deno/worker.ts --redis redis://HOST:6379 [--queue NAME] [--allow-judge PATH] [--name NAME]
// Stops on SIGTERM or SIGINT after the unit in flight.
import { startWorker } from '../../dist/node/index.js';

const arg = (name: string, def?: string) => { const i = Deno.args.indexOf(`--${name}`); return i >= 0 ? Deno.args[i + 1] : def; };
const redis = arg('redis', Deno.env.get('SPPO_REDIS_URL'));
if (!redis) { console.error('examples/deno/worker.ts: give --redis redis://HOST:PORT'); Deno.exit(2); }

const worker = await startWorker({
  redis, queue: arg('queue', 'sppo'), name: arg('name'), backend: 'wasm', threads: Number(arg('threads', '1')),
  allowJudge: arg('allow-judge') ? [arg('allow-judge')!] : [], cacheDir: arg('cache'), lockMs: Number(arg('lock-ms', '30000')),
  log: (m: string) => console.error(`deno worker: ${m}`),
});
console.error(`deno worker: ${worker.name} ready`);
const stop = async () => { await worker.close(); Deno.exit(0); };
Deno.addSignalListener('SIGTERM', stop);
Deno.addSignalListener('SIGINT', stop);
