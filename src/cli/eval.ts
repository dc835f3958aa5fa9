// `sppo eval --model A --baseline B --prompts F --judge J`: the win rate of A against B with a
// 95% interval, a length-controlled win rate (logistic fit of the per-prompt win probability on
// tanh(length difference / its s.d.), read at zero difference) and average lengths. Prints and
// writes (--out) one JSON document. A model or baseline `mixture:RUN_DIR` is the run's average
// policy (each response from an iterate drawn uniformly per prompt: src/sppo/mixture.ts).
import fs from 'node:fs';
import type { Command } from 'commander';
import { loadJudge } from '../judge/load.js';
import { judgeMatrices } from '../judge/matrix.js';
import { loadModel } from '../model/load.js';
import { sampleMixture } from '../sppo/mixture.js';
import { mixtureMembers, runIterates } from '../sppo/mixture-dir.js';
import { Policy } from '../sppo/policy.js';
import { parsePrompts } from '../sppo/prompts.js';
import { loadPolicyText } from '../sppo/text.js';
import { evalStats } from '../sppo/winrate.js';
import { BACKEND_HELP, backendFrom, int, num } from './common.js';
import { writeFileAtomic } from '../model/io-files.js';

export function register(program: Command): void {
  program
    .command('eval')
    .description('win rate of a model against a baseline under a judge')
    .requiredOption('--model <dir>', 'the model to evaluate (mixture:RUN_DIR = the average of a run\'s iterates)')
    .requiredOption('--baseline <dir>', 'the baseline model (or mixture:RUN_DIR)')
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
      let prompts = parsePrompts(fs.readFileSync(o.prompts, 'utf8'), o.prompts);
      const n = int(o.n, '--n');
      if (n > 0) prompts = prompts.slice(0, n);
      const be = await backendFrom(o.backend);
      const judge = await loadJudge(o.judge);
      const sampleOpts = { k: 1, maxNewTokens: int(o.maxNewTokens, '--max-new-tokens'), seed: BigInt(int(o.seed, '--seed')), sample: { temperature: num(o.temperature, '--temperature'), topP: num(o.topP, '--top-p') } };
      const run = async (spec: string) => {
        const mixture = spec.startsWith('mixture:') ? spec.slice('mixture:'.length) : null;
        const dir = mixture ? runIterates(mixture)[0] : spec;
        const lm = loadModel(be, dir);
        const text = loadPolicyText(dir, { chat: !!o.chat, config: lm.config });
        // a mixture loads each drawn iterate itself; the first one only lent its tokenizer files
        if (mixture) lm.model.dispose();
        try {
          const enc = prompts.map((item) => ({ item, ids: text.encodePrompt(item) }));
          const ids = (mixture
            ? (await sampleMixture(mixtureMembers(be, mixture, text), enc, sampleOpts)).ids
            : await new Policy(lm.model, text).sample(enc, sampleOpts)).map((r) => r[0]);
          return { texts: ids.map((r) => text.decode(r)), lengths: ids.map((r) => r.length) };
        } finally { if (!mixture) lm.model.dispose(); }
      };
      const a = await run(o.model), b = await run(o.baseline);
      const mats = await judgeMatrices(judge, prompts.map((p, i) => ({ prompt: p.text, responses: [a.texts[i], b.texts[i]] })));
      const probs = mats.map((m) => m[0][1]);
      const stats = evalStats(probs, a.lengths, b.lengths);
      const doc = { model: o.model, baseline: o.baseline, judge: judge.name, ...stats, lcMethod: 'logistic fit of P(model ≻ baseline) on tanh(Δlength/sd), at Δ = 0' };
      const text = JSON.stringify(doc, null, 2) + '\n';
      if (o.out) writeFileAtomic(o.out, text);
      process.stdout.write(text);
      await judge.close?.();
      process.exit(0);
    });
}
