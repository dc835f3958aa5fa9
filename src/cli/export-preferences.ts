// `sppo export-preferences RUN_DIR/iter-N [--out DIR]`: an iteration's judged samples
// (samples.jsonl + judgments.jsonl) in both offline formats, so the run can be re-trained
// elsewhere or here (config "offline"): DIR/preferences.sppo.jsonl (prompt, responses, winrates,
// matrix: all K samples) and DIR/preferences.original.jsonl (prompt, chosen, rejected,
// chosen_probs, chosen_probs_win, chosen_probs_lose: best and worst by P̂). DIR defaults to the
// iteration directory. One JSON document on stdout names the files.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../model/io-files.js';
import { exportPreferences } from '../sppo/offline.js';
import { fromJSONL } from '../sppo/run-store.js';

export function register(program: Command): void {
  program
    .command('export-preferences')
    .description("write an iteration's judged samples as offline preference data (sppo's and the original's formats)")
    .argument('<iter-dir>', 'an iteration directory of a run: RUN_DIR/iter-N')
    .option('--out <dir>', 'output directory (default: the iteration directory)')
    .action(async (dir: string, o: { out?: string }) => {
      const read = (f: string) => {
        const p = path.join(dir, f);
        try { return fromJSONL<any>(fs.readFileSync(p, 'utf8'), p); } catch (e) {
          if ((e as NodeJS.ErrnoException).code) throw new Error(`sppo export-preferences: cannot read ${p} (${(e as NodeJS.ErrnoException).code}): give an iteration directory whose generate and judge stages finished (RUN_DIR/iter-N)`);
          throw e;
        }
      };
      const samples = read('samples.jsonl'), judged = read('judgments.jsonl');
      if (samples.length !== judged.length) throw new Error(`sppo export-preferences: ${dir} holds ${samples.length} samples but ${judged.length} judgments`);
      const rows = samples.map((s, i) => {
        if (judged[i].index !== s.index) throw new Error(`sppo export-preferences: ${dir}/judgments.jsonl line ${i + 1} is prompt ${judged[i].index}, samples.jsonl line ${i + 1} prompt ${s.index}`);
        return { prompt: s.prompt, texts: s.texts, winrates: judged[i].winrates, matrix: judged[i].matrix ?? null };
      });
      const { sppo, original } = exportPreferences(rows);
      const out = o.out ?? dir;
      fs.mkdirSync(out, { recursive: true });
      const files = { sppo: path.join(out, 'preferences.sppo.jsonl'), original: path.join(out, 'preferences.original.jsonl') };
      writeFileAtomic(files.sppo, sppo);
      writeFileAtomic(files.original, original);
      process.stdout.write(JSON.stringify({ prompts: rows.length, samples: rows.reduce((n, r) => n + r.texts.length, 0), files }) + '\n');
      process.exit(0);
    });
}
