// `sppo judge --samples FILE --judge J`: the judging stage alone. Reads samples JSONL (lines
// {"prompt", "responses": [...]}, as `sppo generate` writes them, or a run's iter-N/samples.jsonl
// with the texts under "texts") and writes per line the K×K
// preference matrix and the win rates P̂.
import type { Command } from 'commander';
import { loadJudge } from '../judge/load.js';
import { judgeMatrices, winRates } from '../judge/matrix.js';
import { progressBar, readJSONL } from './common.js';

export function register(program: Command): void {
  program
    .command('judge')
    .description('judge samples: K×K preference matrices and win rates per prompt')
    .requiredOption('--samples <file>', 'JSONL with {"prompt", "responses": [...]} per line (sppo generate), or a run\'s iter-N/samples.jsonl')
    .requiredOption('--judge <spec>', 'module path, http(s) URL, model directory or builtin:NAME')
    .option('--batch <n>', 'prompts per judge call', '16')
    .action(async (o: { samples: string; judge: string; batch: string }) => {
      const rows = readJSONL(o.samples).map(({ line, value: v }) => {
        const prompt = typeof v?.prompt === 'string' ? v.prompt : Array.isArray(v?.messages) ? String(v.messages[v.messages.length - 1]?.content ?? '') : null;
        // `sppo generate` writes texts under "responses"; `sppo train` (iter-N/samples.jsonl) writes
        // token ids under "responses" and the texts under "texts"
        const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((r) => typeof r === 'string');
        const responses = strings(v?.responses) ? v.responses : strings(v?.texts) ? v.texts : null;
        if (prompt === null || !responses) {
          throw new Error(`sppo judge: ${o.samples} line ${line}: expected {"prompt": string, "responses": [string, ...]} (as sppo generate writes) or {"prompt", "texts": [string, ...]} (a run's iter-N/samples.jsonl)`);
        }
        if (responses.length < 2) throw new Error(`sppo judge: ${o.samples} line ${line}: needs at least 2 responses`);
        return { prompt, responses };
      });
      const judge = await loadJudge(o.judge);
      const bs = Math.max(1, Number(o.batch) || 16);
      const bar = progressBar('judge', rows.length);
      for (let i = 0; i < rows.length; i += bs) {
        const chunk = rows.slice(i, i + bs);
        const mats = await judgeMatrices(judge, chunk);
        chunk.forEach((r, j) => process.stdout.write(JSON.stringify({ prompt: r.prompt, matrix: mats[j], winrates: winRates(mats[j]) }) + '\n'));
        bar.tick(chunk.length);
      }
      bar.stop();
      await judge.close?.();
      process.exit(0);
    });
}
