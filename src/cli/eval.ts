// `sppo eval --model A --baseline B --prompts F --judge J`: the win rate of A against B with a
// 95% interval, a length-controlled win rate (logistic fit of the per-prompt win probability on
// tanh(length difference / its s.d.), read at zero difference) and average lengths. Prints and
// writes (--out) one JSON document. A model or baseline `mixture:RUN_DIR` is the run's average
// policy (each response from an iterate drawn uniformly per prompt: src/sppo/mixture.ts).
import type { Command } from 'commander';
import { evaluate, modelDirOf } from '../sppo/evaluate.js';
import { BACKEND_HELP, backendFrom, int, num, progressBar, topPOption } from './common.js';
import { writeFileAtomic } from '../model/io-files.js';

export function register(program: Command): void {
  program
    .command('eval')
    .description('win rate of a model against a baseline under a judge')
    .requiredOption('--model <dir>', 'the model to evaluate (a directory, builtin:NAME, or mixture:RUN_DIR = the average of a run\'s iterates)')
    .requiredOption('--baseline <dir>', 'the baseline model (a directory, builtin:NAME or mixture:RUN_DIR)')
    .requiredOption('--prompts <file>', 'prompts file')
    .requiredOption('--judge <spec>', 'module path, http(s) URL, model directory or builtin:NAME')
    .option('--n <n>', 'use the first n prompts (0 = all)', '0')
    .option('--max-new-tokens <m>', 'longest response', '64')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', '0')
    .option('--top-p <p>', 'nucleus p', '1')
    .option('--seed <s>', 'seed', '0')
    .option('--chat', 'apply the chat template')
    .option('--out <file>', 'also write the JSON document here')
    .option('--backend <kind>', BACKEND_HELP, 'auto')
    .action(async (o: Record<string, any>) => {
      // the model first (the bigger mistake), then the baseline, then the prompts
      modelDirOf(o.model, '--model');
      modelDirOf(o.baseline, '--baseline');
      const be = await backendFrom(o.backend);
      const bars = new Map<string, ReturnType<typeof progressBar>>();
      const seen = new Map<string, number>();
      const r = await evaluate({
        model: o.model, baseline: o.baseline, prompts: o.prompts, judge: o.judge, n: int(o.n, '--n'),
        maxNewTokens: int(o.maxNewTokens, '--max-new-tokens'), temperature: num(o.temperature, '--temperature'),
        topP: topPOption(o.topP), seed: int(o.seed, '--seed'), chat: !!o.chat, backend: be,
        onProgress: (p) => {
          if (!bars.has(p.stage)) { bars.set(p.stage, progressBar(`eval ${p.stage}`, p.total)); seen.set(p.stage, 0); }
          bars.get(p.stage)!.tick(p.done - seen.get(p.stage)!);
          seen.set(p.stage, p.done);
          if (p.done >= p.total) bars.get(p.stage)!.stop();
        },
      });
      const { samples: _samples, ...stats } = r;
      const doc = { ...stats, lcMethod: 'logistic fit of P(model ≻ baseline) on tanh(Δlength/sd), at Δ = 0' };
      const text = JSON.stringify(doc, null, 2) + '\n';
      if (o.out) writeFileAtomic(o.out, text);
      process.stdout.write(text);
      process.exit(0);
    });
}
