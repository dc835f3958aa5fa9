// The `sppo` command line. Each subcommand lives in its own file and registers itself.
// Machine-readable output goes to stdout alone; progress and logs go to stderr.
import { Command } from 'commander';
import { register as doctor } from './doctor.js';
import { register as tokenize } from './tokenize.js';
import { register as logprobs } from './logprobs.js';
import { register as generate } from './generate.js';
import { register as sft } from './sft.js';
import { register as train } from './train.js';
import { register as judge } from './judge.js';
import { register as evaluate } from './eval.js';
import { register as demo } from './demo.js';
import { register as trainJudge } from './train-judge.js';
import { register as init } from './init.js';
import { register as worker } from './worker.js';
import { register as queue } from './queue.js';
import { register as exportPreferences } from './export-preferences.js';

const program = new Command();
program
  .name('sppo')
  .description('Self-Play Preference Optimization for language models on WebGPU and WebAssembly')
  .version('0.1.0')
  .showHelpAfterError();

for (const reg of [doctor, init, tokenize, logprobs, generate, sft, train, judge, evaluate, trainJudge, exportPreferences, demo, worker, queue]) reg(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(msg.startsWith('sppo') ? msg : `sppo: ${msg}`);
  if (process.env.SPPO_DEBUG && e instanceof Error) console.error(e.stack);
  process.exit(1);
});
