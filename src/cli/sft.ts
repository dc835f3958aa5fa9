// `sppo sft --data FILE.jsonl --out DIR (--model DIR | --init CONFIG.json --tokenizer FILE)`:
// supervised fine-tuning with the loss on response tokens; writes a Hugging Face model dir and
// prints one JSON summary line on stdout (progress on stderr).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadModel, saveModel } from '../model/load.js';
import { parseConfig } from '../model/config.js';
import { archFromConfig } from '../model/hf-names.js';
import { initParams, uploadParams } from '../model/init.js';
import { Transformer } from '../model/transformer.js';
import { paramCount } from '../model/arch.js';
import { checkFits, estimateMemory } from '../model/memory.js';
import { checkSFTOptions, trainSFT } from '../train/sft.js';
import { tokenIds } from '../model/ids.js';
import { loadTokenizerSync } from '../tokenizer/node.js';
import { makeTextCodec, promptIds } from '../sppo/text.js';
import { checkOutDir } from '../sppo/env/out-dir.js';
import { BACKEND_HELP, backendFrom, int, num, progressBar, readJSONL } from './common.js';
import { modelDirOf } from '../sppo/evaluate.js';

export function register(program: Command): void {
  program
    .command('sft')
    .description('supervised fine-tuning on prompt/response JSONL (loss on response tokens)')
    .requiredOption('--data <file>', 'JSONL: {"prompt","response"} or {"prompt_ids","response_ids"} per line')
    .requiredOption('--out <dir>', 'where to write the trained model (Hugging Face layout)')
    .option('--model <dir>', 'start from this model directory')
    .option('--init <config.json>', 'start from a fresh model with this Hugging Face config.json')
    .option('--tokenizer <file>', 'tokenizer.json (with --init; its tokenizer_config.json is carried along)')
    .option('--epochs <n>', 'passes over the data', '1')
    .option('--lr <x>', 'learning rate', '1e-3')
    .option('--optimizer <name>', 'adamw | rmsprop | sgd', 'adamw')
    .option('--weight-decay <x>', 'weight decay', '0')
    .option('--batch-size <n>', 'sequences per step', '8')
    .option('--grad-accum <n>', 'micro-batches per step', '1')
    .option('--schedule <kind>', 'constant | linear | cosine', 'cosine')
    .option('--warmup <n>', 'warmup steps', '0')
    .option('--max-grad-norm <x>', 'clip the global gradient norm (0 = off)', '1')
    .option('--max-length <n>', 'longest sequence in tokens')
    .option('--chat', 'apply the chat template to prompts')
    .option('--seed <n>', 'seed of initialisation and shuffling', '0')
    .option('--dtype <d>', 'weights on disk: F32 | F16 | BF16 (default: the input model\'s dtype; F32 for a fresh model)')
    .option('--recompute', 'activation recomputation: less memory, ~1/3 more compute')
    .option('--lora-rank <r>', 'train LoRA adapters of this rank instead of all weights (0 = off)', '0')
    .option('--lora-alpha <a>', 'LoRA α', '16')
    .option('--lora-targets <list>', 'comma-separated projections (q,k,v,o,gate,up,down | fc,proj)', 'q,v')
    .option('--lora-save <how>', 'merge | separate (PEFT adapter beside the base weights)', 'merge')
    .option('--backend <kind>', BACKEND_HELP, 'auto')
    .action(async (o: Record<string, any>) => {
      if (!o.model && !o.init) throw new Error('sppo sft: give --model DIR (fine-tune a model) or --init CONFIG.json --tokenizer FILE (train a fresh one)');
      if (o.model && o.init) throw new Error('sppo sft: give --model DIR (fine-tune) or --init CONFIG.json (fresh model), not both');
      if (o.model) o.model = modelDirOf(o.model, '--model');
      checkOutDir(o.out, 'sppo sft: --out');
      // every option checked before a model is loaded
      const opts = {
        optimizer: { name: o.optimizer, lr: num(o.lr, '--lr'), weightDecay: num(o.weightDecay, '--weight-decay'), maxGradNorm: num(o.maxGradNorm, '--max-grad-norm') },
        batchSize: int(o.batchSize, '--batch-size'), gradAccum: int(o.gradAccum, '--grad-accum'), epochs: int(o.epochs, '--epochs'),
        schedule: o.schedule, warmupSteps: int(o.warmup, '--warmup'), maxLength: o.maxLength ? int(o.maxLength, '--max-length') : undefined,
        seed: int(o.seed, '--seed'), what: 'sppo sft',
      };
      checkSFTOptions(opts, 'sppo sft');
      const be = await backendFrom(o.backend);
      let model: Transformer, config, tokDir: string;
      if (o.model) {
        // LoRA trains adapters on a frozen base: a 16-bit checkpoint's matrices stay 16-bit
        const lm = loadModel(be, o.model, { training: true, batch: int(o.batchSize, '--batch-size'), weights: int(o.loraRank, '--lora-rank') > 0 ? 'keep' : 'f32', lora: int(o.loraRank, '--lora-rank') > 0 });
        model = lm.model; config = lm.config; tokDir = o.model;
      } else {
        if (!o.tokenizer) throw new Error('sppo sft: --init needs --tokenizer FILE (tokenizer.json)');
        let text: string;
        try { text = fs.readFileSync(o.init, 'utf8'); } catch { throw new Error(`sppo sft: cannot read ${o.init}`); }
        config = parseConfig(text, o.init);
        const arch = archFromConfig(config, o.init);
        checkFits(be, estimateMemory(arch, { batch: int(o.batchSize, '--batch-size'), seq: Math.min(arch.maxPositions, 256), training: true }), o.init);
        model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, int(o.seed, '--seed'))));
        tokDir = path.dirname(o.tokenizer);
        process.stderr.write(`sppo sft: fresh ${arch.family} model, ${paramCount(arch).toLocaleString()} parameters\n`);
      }
      model.recompute = !!o.recompute;
      const loraRank = int(o.loraRank, '--lora-rank');
      if (loraRank > 0) model.enableLoRA({ rank: loraRank, alpha: num(o.loraAlpha, '--lora-alpha'), targets: String(o.loraTargets).split(',').map((x) => x.trim()).filter(Boolean), seed: int(o.seed, '--seed') });
      const rows = readJSONL(o.data);
      const tok = fs.existsSync(path.join(tokDir, 'tokenizer.json')) || fs.existsSync(path.join(tokDir, 'tokenizer.bin')) ? loadTokenizerSync(o.tokenizer ?? tokDir) : null;
      const codec = tok ? makeTextCodec(tok, { chat: !!o.chat, eos: config.eosTokenIds }) : null;
      const eos = codec?.eos[0];
      const data = rows.map(({ line, value: v }) => {
        if (v && typeof v === 'object' && ('prompt_ids' in v || 'response_ids' in v)) {
          const at = `${o.data} line ${line}`, V = config.vocabSize;
          return { prompt: tokenIds(v.prompt_ids, 'prompt_ids', at, V), response: tokenIds(v.response_ids, 'response_ids', at, V) };
        }
        if (typeof v?.prompt === 'string' && typeof v?.response === 'string') {
          if (!codec) throw new Error(`sppo sft: ${o.data} line ${line} is text but there is no tokenizer: pass --tokenizer`);
          const prompt = o.chat ? codec.encodePrompt({ index: 0, text: v.prompt }) : promptIds(codec.tokenizer, v.prompt);
          // the response ends with EOS so the model learns to stop
          return { prompt, response: [...codec.encodeResponse(v.response), ...(eos !== undefined ? [eos] : [])] };
        }
        throw new Error(`sppo sft: ${o.data} line ${line}: expected {"prompt","response"} or {"prompt_ids","response_ids"}`);
      });
      if (o.maxLength !== undefined && int(o.maxLength, '--max-length') > config.maxPositions) {
        throw new Error(`sppo sft: --max-length ${o.maxLength} is past the model's ${config.maxPositions} positions (max_position_embeddings): use at most ${config.maxPositions}`);
      }
      const bs = int(o.batchSize, '--batch-size');
      const total = Math.ceil(data.length / bs) * int(o.epochs, '--epochs');
      const bar = progressBar('sft', total);
      const t0 = Date.now();
      let first: number | null = null, last: number | null = null, steps = 0, tokens = 0;
      await trainSFT(model, data, {
        ...opts,
        onWarn: (m) => process.stderr.write(`\n${m}\n`),
        onStep: (s) => {
          first ??= s.loss; last = s.loss; steps = s.step;
          bar.tick(1, `loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)} ${Math.round(s.tokensPerSecond)} tok/s`);
          if (process.env.SPPO_JSON_PROGRESS) process.stderr.write(JSON.stringify({ step: s.step, loss: s.loss }) + '\n');
        },
      });
      bar.stop();
      await saveModel(model, config, o.out, { copyFrom: tokDir, dtype: o.dtype === undefined ? undefined : dtypeOption(o.dtype), adapters: o.loraSave === 'separate' ? 'separate' : 'merge' });
      process.stderr.write(`sppo sft: wrote ${o.out}\n`);
      tokens = data.reduce((n, d) => n + d.response.length, 0);
      // one JSON document on stdout, as train-judge prints (losses: mean NLL per response token, nats)
      process.stdout.write(JSON.stringify({
        out: o.out, examples: data.length, response_tokens: tokens, epochs: int(o.epochs, '--epochs'), steps,
        first_loss: first, final_loss: last, seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
      }) + '\n');
      process.exit(0);
    });
}

function dtypeOption(d: string): 'F32' | 'F16' | 'BF16' {
  const u = String(d).toUpperCase();
  if (u !== 'F32' && u !== 'F16' && u !== 'BF16') throw new Error(`--dtype must be F32, F16 or BF16, got ${d}`);
  return u;
}
