// `sppo logprobs --model DIR --data FILE.jsonl`: per line {"prompt_ids","response_ids"} or
// {"prompt","response"} → {"logprob": Σ log p(response tokens), "token_logprobs": [...]},
// one output line per input line, in order; nothing else on stdout.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadModel } from '../model/load.js';
import { modelTokenizerPath, readConfigFile } from '../model/modeldir.js';
import { tokenIds } from '../model/ids.js';
import { packBatch } from '../model/batch.js';
import { planPass } from '../model/plan.js';
import { loadTokenizerSync } from '../tokenizer/node.js';
import { makeTextCodec, promptIds } from '../sppo/text.js';
import { BACKEND_HELP, backendFrom, int, progressBar, readJSONL } from './common.js';
import { modelDirOf } from '../sppo/evaluate.js';

export function register(program: Command): void {
  program
    .command('logprobs')
    .description('log-probabilities of responses given prompts under a model')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout; or llama2.c model.bin + tokenizer.bin, or the .bin) or builtin:NAME')
    .requiredOption('--data <file>', 'JSONL with {"prompt_ids","response_ids"} or {"prompt","response"} per line')
    .option('--chat', 'apply the chat template to text prompts')
    .option('--batch-size <n>', 'sequences per forward pass', '8')
    .option('--backend <kind>', BACKEND_HELP, 'auto')
    .action(async (o: { model: string; data: string; chat?: boolean; batchSize: string; backend: string }) => {
      o.model = modelDirOf(o.model, '--model'); // the model first (the bigger mistake), then the data
      const rows = readJSONL(o.data);
      // the model's config first (cheap): ids and lengths are checked against it, line by line,
      // before any weights are read
      const mc = readConfigFile(o.model);
      const tokPath = modelTokenizerPath(o.model); // a llama2.c model's tokenizer.bin, else the directory
      const hasTokenizer = tokPath !== o.model ? fs.existsSync(tokPath) : fs.existsSync(path.join(o.model, 'tokenizer.json')) || fs.existsSync(path.join(o.model, 'tokenizer.bin'));
      let codec: ReturnType<typeof makeTextCodec> | null = null;
      const seqs = rows.map(({ line, value: v }) => {
        const at = `sppo: ${o.data} line ${line}`;
        if (v && typeof v === 'object' && ('prompt_ids' in v || 'response_ids' in v)) {
          return { prompt: tokenIds(v.prompt_ids, 'prompt_ids', at, mc.vocabSize), response: tokenIds(v.response_ids, 'response_ids', at, mc.vocabSize) };
        }
        if (typeof v?.prompt === 'string' && typeof v?.response === 'string') {
          if (!hasTokenizer) throw new Error(`${at} has text but ${o.model} has no tokenizer.json: give prompt_ids/response_ids or add the tokenizer files`);
          codec ??= makeTextCodec(loadTokenizerSync(tokPath), { chat: !!o.chat });
          const prompt = o.chat ? codec.encodePrompt({ index: 0, text: v.prompt }) : promptIds(codec.tokenizer, v.prompt);
          // a tokenizer larger than the model's vocabulary is caught here, by line
          return { prompt: tokenIds(prompt, 'prompt (encoded)', at, mc.vocabSize), response: tokenIds(codec.encodeResponse(v.response), 'response (encoded)', at, mc.vocabSize) };
        }
        throw new Error(`sppo: ${o.data} line ${line}: expected {"prompt_ids":[...],"response_ids":[...]} or {"prompt":"...","response":"..."}`);
      });
      seqs.forEach((s, i) => {
        const n = s.prompt.length + s.response.length;
        if (n > mc.maxPositions) {
          throw new Error(`sppo: ${o.data} line ${rows[i].line}: ${n} tokens, past the model's ${mc.maxPositions} positions (max_position_embeddings): shorten the prompt or the response`);
        }
        if (s.prompt.length === 0 && s.response.length > 0) throw new Error(`sppo: ${o.data} line ${rows[i].line}: an empty prompt leaves the first response token without context: add a BOS id`);
      });
      const be = await backendFrom(o.backend);
      const maxLen = Math.max(...seqs.map((s) => s.prompt.length + s.response.length));
      const { model } = loadModel(be, o.model, { seq: maxLen });
      // rows per pass within the memory budget (plan.ts): at most --batch-size
      const plan = planPass(model, { mode: 'score', rows: Math.max(1, int(o.batchSize, '--batch-size')), seq: maxLen, what: 'sppo logprobs' });
      model.recompute = plan.recompute;
      const bs = plan.rows;
      const bar = progressBar('logprobs', seqs.length);
      for (let i = 0; i < seqs.length; i += bs) {
        const chunk = seqs.slice(i, i + bs);
        for (const [j, s] of chunk.entries()) {
          if (s.prompt.length === 0 && s.response.length > 0) throw new Error(`sppo: ${o.data} line ${rows[i + j].line}: an empty prompt leaves the first response token without context: add a BOS id`);
        }
        const batch = packBatch(chunk);
        const lp = await be.read(model.forward(batch).logp);
        chunk.forEach((s, b) => {
          const tok: number[] = [];
          const P = s.prompt.length;
          for (let k = 0; k < s.response.length; k++) tok.push(lp[b * batch.T + P + k - 1]);
          const sum = tok.reduce((a, x) => a + x, 0);
          process.stdout.write(JSON.stringify({ logprob: sum, token_logprobs: tok }) + '\n');
        });
        bar.tick(chunk.length);
      }
      bar.stop();
      process.exit(0);
    });
}
