// The scale-out bench's peer: a plain process (no queue, no Redis) that runs its share of the
// iteration's units in-process, as a worker would, so that "the same work split over 2 plain
// processes" is measured beside 2 workers in the same rounds. Spawned by bench/scale-out.ts:
//   node --import tsx bench/scale-out/plain.ts '<json: {model, prompts, shape, judge, share, of}>'
// It takes the units u with u % of === share, loads the policy on one wasm thread, runs 2 units
// as a warm-up, prints "ready", then for every line "go" on stdin runs its units and prints
// "done <wall ms>". It exits when stdin closes.
import readline from 'node:readline';
import { createBackend } from '../../src/kernels/index.js';
import { loadJudge } from '../../src/judge/load.js';
import { inProcess, makeUnits } from './work.js';

const cfg = JSON.parse(process.argv[2]) as { model: string; prompts: string; shape: { prompts: number; perUnit: number; k: number; tokens: number }; judge: string; share: number; of: number };
const be = await createBackend('wasm', { threads: 1 });
const judge = await loadJudge(cfg.judge);
const { policy, units } = makeUnits(be, cfg.model, cfg.prompts, cfg.shape);
const mine = units.filter((u) => u.unit % cfg.of === cfg.share);
await inProcess(policy, judge, mine.slice(0, 2));
process.stdout.write('ready\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() !== 'go') continue;
  process.stdout.write(`done ${(await inProcess(policy, judge, mine)).toFixed(1)}\n`);
}
policy.model.dispose();
be.destroy();
process.exit(0);
