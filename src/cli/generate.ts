// `sppo generate --model DIR --prompts FILE [--n N --temperature T --top-p P --top-k K --seed S
// --max-new-tokens M]`: JSONL {"prompt": ..., "responses": [...]} per prompt on stdout.
// `--mixture RUN_DIR` instead of --model samples the run's average policy (src/sppo/mixture.ts):
// each response from an iterate drawn uniformly; the rows then also carry "iterates" (1-based).
import fs from 'node:fs';
import type { Command } from 'commander';
import { loadModel } from '../model/load.js';
import { sampleMixture } from '../sppo/mixture.js';
import { mixtureMembers, runIterates } from '../sppo/env/mixture-dir.js';
import { Policy } from '../sppo/policy.js';
import { parsePrompts } from '../sppo/prompts.js';
import { loadPolicyText } from '../sppo/text.js';
import { BACKEND_HELP, backendFrom, checkSampleFlags, int, num, progressBar } from './common.js';
import { modelDirOf } from '../sppo/evaluate.js';

export function register(program: Command): void {
  program
    .command('generate')
    .description('sample responses to prompts (batched, KV cache, seeded)')
    .option('--model <dir>', 'model directory (Hugging Face layout, with tokenizer files) or builtin:NAME')
    .option('--mixture <run-dir>', "sample the average of a run's iterates instead of one model")
    .requiredOption('--prompts <file>', 'JSONL with "prompt" or "messages", a JSON array, or plain text lines')
    .option('--n <n>', 'responses per prompt', '1')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)')
    .option('--top-p <p>', 'nucleus sampling p')
    .option('--top-k <k>', 'top-k (0 = off)')
    .option('--min-p <p>', 'min-p (0 = off)')
    .option('--repetition-penalty <r>', 'repetition penalty (1 = off)')
    .option('--seed <s>', 'seed of the sampling streams', '0')
    .option('--max-new-tokens <m>', 'longest response in tokens')
    .option('--stop <s...>', 'stop strings')
    .option('--chat', 'apply the chat template (default: when the tokenizer has one)')
    .option('--no-chat', 'do not apply the chat template')
    .option('--batch-size <n>', 'rows per decode batch', '32')
    .option('--backend <kind>', BACKEND_HELP, 'auto')
    .action(async (o: Record<string, any>) => {
      if (!o.model === !o.mixture) throw new Error('sppo generate: give --model DIR or --mixture RUN_DIR (one of them)');
      // the model first (the bigger mistake), then the prompts; a mixture's tokenizer, chat
      // template and generation settings are its first iterate's (every iterate is saved with the same files)
      const dir: string = o.model ? modelDirOf(o.model, '--model') : runIterates(o.mixture)[0];
      let content: string;
      try { content = fs.readFileSync(o.prompts, 'utf8'); } catch (e) { throw new Error(`sppo: cannot read --prompts ${o.prompts} (${(e as NodeJS.ErrnoException).code}): check the path`); }
      const prompts = parsePrompts(content, o.prompts);
      const be = await backendFrom(o.backend);
      const { model, config, generation } = loadModel(be, dir, { batch: int(o.batchSize, '--batch-size') });
      const text = loadPolicyText(dir, { chat: false, config });
      const hasTemplate = typeof (text.tokenizer.config as any).chat_template === 'string' || Array.isArray((text.tokenizer.config as any).chat_template);
      const chat = o.chat === undefined ? hasTemplate : !!o.chat;
      const codec = loadPolicyText(dir, { chat, config });
      if (o.mixture) model.dispose();
      const members = o.mixture ? mixtureMembers(be, o.mixture, codec, { batch: int(o.batchSize, '--batch-size') }) : [];
      const g = generation ?? ({} as any);
      for (const e of g.eosTokenIds ?? []) if (!codec.eos.includes(e)) codec.eos.push(e);
      const sample = checkSampleFlags({
        temperature: o.temperature !== undefined ? num(o.temperature, '--temperature') : g.doSample === false ? 0 : g.temperature ?? 1,
        topP: o.topP !== undefined ? num(o.topP, '--top-p') : g.topP ?? 1,
        topK: o.topK !== undefined ? int(o.topK, '--top-k') : g.topK ?? 0,
        minP: o.minP !== undefined ? num(o.minP, '--min-p') : 0,
        repetitionPenalty: o.repetitionPenalty !== undefined ? num(o.repetitionPenalty, '--repetition-penalty') : g.repetitionPenalty ?? 1,
      });
      const maxNew = o.maxNewTokens !== undefined ? int(o.maxNewTokens, '--max-new-tokens') : g.maxNewTokens ?? 128;
      const n = int(o.n, '--n');
      const policy = new Policy(model, codec);
      const bar = progressBar('generate', prompts.length);
      const per = Math.max(1, Math.floor(int(o.batchSize, '--batch-size') / n));
      for (let i = 0; i < prompts.length; i += per) {
        const chunk = prompts.slice(i, i + per).map((item) => ({ item, ids: codec.encodePrompt(item) }));
        const so = { k: n, maxNewTokens: maxNew, sample, seed: BigInt(int(o.seed, '--seed')), stop: o.stop, maxBatch: int(o.batchSize, '--batch-size') };
        const mix = o.mixture ? await sampleMixture(members, chunk, so) : null;
        const ids = mix ? mix.ids : await policy.sample(chunk, so);
        chunk.forEach((c, j) => {
          const row: Record<string, unknown> = c.item.messages ? { messages: c.item.messages } : { prompt: c.item.text };
          row.responses = ids[j].map((r) => codec.decode(r));
          if (mix) row.iterates = mix.iterate[j].map((m) => m + 1);
          process.stdout.write(JSON.stringify(row) + '\n');
        });
        bar.tick(chunk.length);
      }
      bar.stop();
      process.exit(0);
    });
}
