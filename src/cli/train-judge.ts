// `sppo train-judge --data PAIRS.jsonl --out DIR (--model DIR | --init CONFIG.json --tokenizer FILE)`:
// trains a pairwise preference judge (a PairRM-style cross-encoder, src/judge/pairwise-model.ts)
// on {prompt, chosen, rejected[, probability]} JSONL and writes a judge directory that
// `--judge DIR` (loadJudge) runs. --model takes a causal LM (its trunk; a fresh head) or a judge
// written before (training continues). Progress on stderr; one JSON summary on stdout.
import fs from 'node:fs';
import type { Command } from 'commander';
import { parseConfig } from '../model/config.js';
import { paramCount } from '../model/arch.js';
import { PairwiseModel } from '../judge/pairwise-model.js';
import { evaluatePairwise, trainPairwise } from '../judge/pairwise-train.js';
import { readPreferenceFile } from '../judge/preference-data.js';
import { checkOutDir } from '../sppo/env/out-dir.js';
import { BACKEND_HELP, backendFrom, int, num, progressBar } from './common.js';

export function register(program: Command): void {
  program
    .command('train-judge')
    .description('train a pairwise preference judge (PairRM-style cross-encoder) on preference pairs')
    .requiredOption('--data <file>', 'JSONL: {"prompt","chosen","rejected"[,"probability"]} per line')
    .requiredOption('--out <dir>', 'where to write the judge (a model directory loadJudge runs)')
    .option('--model <dir>', 'start from this model: a causal LM (its trunk) or a judge written before')
    .option('--init <config.json>', 'start from a fresh random trunk with this Hugging Face config.json')
    .option('--tokenizer <file>', 'tokenizer.json (with --init; its tokenizer_config.json is carried along)')
    .option('--valid <file>', 'held-out pairs (same format): accuracy and loss reported at the end')
    .option('--epochs <n>', 'passes over the data', '3')
    .option('--lr <x>', 'learning rate', '1e-3')
    .option('--optimizer <name>', 'adamw | rmsprop | sgd', 'adamw')
    .option('--weight-decay <x>', 'weight decay', '0')
    .option('--batch-size <n>', 'pairs per step (each pair is also presented swapped)', '8')
    .option('--schedule <kind>', 'constant | linear | cosine', 'cosine')
    .option('--warmup <n>', 'warmup steps', '0')
    .option('--max-grad-norm <x>', 'clip the global gradient norm (0 = off)', '1')
    .option('--max-length <n>', 'longest sequence in tokens (prompt + both responses + markers)')
    .option('--seed <n>', 'seed of initialisation and shuffling', '0')
    .option('--backend <kind>', BACKEND_HELP, 'auto')
    .action(async (o: Record<string, any>) => {
      if (!o.model === !o.init) throw new Error('sppo train-judge: give --model DIR (a causal LM or a judge) or --init CONFIG.json with --tokenizer FILE, not both');
      if (o.init && !o.tokenizer) throw new Error('sppo train-judge: --init needs --tokenizer FILE (tokenizer.json)');
      const schedule = o.schedule;
      if (!['constant', 'linear', 'cosine'].includes(schedule)) throw new Error(`sppo train-judge: --schedule must be constant, linear or cosine, got "${schedule}"`);
      const batchSize = int(o.batchSize, '--batch-size');
      const epochs = int(o.epochs, '--epochs');
      if (batchSize < 1) throw new Error('sppo train-judge: --batch-size must be ≥ 1');
      if (epochs < 1) throw new Error('sppo train-judge: --epochs must be ≥ 1');
      const maxLength = o.maxLength ? int(o.maxLength, '--max-length') : undefined;
      // data first: a bad line fails before any model is built
      const pairs = readPreferenceFile(o.data);
      const valid = o.valid ? readPreferenceFile(o.valid) : null;
      checkOutDir(o.out, 'sppo train-judge: --out');
      const be = await backendFrom(o.backend);
      let model: PairwiseModel;
      if (o.model) {
        model = PairwiseModel.load(be, o.model, { maxLength, batch: 2 * batchSize });
      } else {
        let text: string;
        try { text = fs.readFileSync(o.init, 'utf8'); } catch { throw new Error(`sppo train-judge: cannot read ${o.init}: check the path`); }
        model = PairwiseModel.fresh(be, parseConfig(text, o.init), o.tokenizer, { maxLength, seed: int(o.seed, '--seed') });
        process.stderr.write(`sppo train-judge: fresh ${model.config.modelType} trunk, ${paramCount(model.trunk.arch).toLocaleString()} parameters\n`);
      }
      process.stderr.write(`sppo train-judge: ${pairs.length} pairs (×2 orders), max length ${model.maxLength} tokens\n`);
      const total = Math.ceil(pairs.length / batchSize) * epochs;
      const bar = progressBar('train-judge', total);
      const t0 = Date.now();
      const r = await trainPairwise(model, pairs, {
        optimizer: { name: o.optimizer, lr: num(o.lr, '--lr'), weightDecay: num(o.weightDecay, '--weight-decay'), maxGradNorm: num(o.maxGradNorm, '--max-grad-norm') },
        batchSize, epochs, schedule, warmupSteps: int(o.warmup, '--warmup'), seed: int(o.seed, '--seed'),
        onWarn: (m) => process.stderr.write(`\n${m}\n`),
        onStep: (s) => bar.tick(1, `loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)} ${s.pairsPerSecond.toFixed(1)} pairs/s`),
        onEpoch: (e) => process.stderr.write(`sppo train-judge: epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, running accuracy ${(100 * e.accuracy).toFixed(1)}%\n`),
      });
      bar.stop();
      const seconds = (Date.now() - t0) / 1000;
      const last = r.epochs[r.epochs.length - 1];
      const summary: Record<string, unknown> = {
        out: o.out, pairs: pairs.length, epochs, steps: r.steps, seconds: Number(seconds.toFixed(1)),
        train_loss: last.loss, train_accuracy: last.accuracy,
      };
      if (valid) {
        const v = await evaluatePairwise(model, valid, 2 * batchSize);
        summary.valid_pairs = v.pairs; summary.valid_accuracy = v.accuracy; summary.valid_loss = v.loss;
        process.stderr.write(`sppo train-judge: held-out accuracy ${(100 * v.accuracy).toFixed(1)}% on ${v.pairs} pairs\n`);
      }
      model.training = { ...model.training, data: o.data, ...summary, out: undefined };
      await model.save(o.out);
      process.stderr.write(`sppo train-judge: wrote ${o.out}\n`);
      process.stdout.write(JSON.stringify(summary) + '\n');
      process.exit(0);
    });
}
