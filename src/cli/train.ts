// `sppo train --config FILE [--resume]`: the SPPO iterations. Progress bars on stderr; the
// per-iteration summary as one JSON document on stdout at the end.
import { mapPromptFiles, promptsSpec } from '../sppo/prompt-sets.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULTS, DOCS, resolveConfig } from '../sppo/config.js';
import { SPPO, type IterationSummary, type ProgressEvent, type StepMetrics } from '../sppo/coordinator.js';
import { nodeDeps } from '../sppo/env/node-deps.js';
import { checkOutDir } from '../sppo/env/out-dir.js';
import { acquireRunLock, LOCK_NAME } from '../sppo/env/run-lock.js';
import { BACKEND_HELP, backendFrom, progressBar } from './common.js';
import { readConfigFile } from '../model/modeldir.js';
import { archFromConfig } from '../model/hf-names.js';
import { paramCount } from '../model/arch.js';
import { builtinModelDir } from '../sppo/env/package-root.js';
import type { SPPOConfig } from '../sppo/config.js';

/** models below this size get small-model settings when the config leaves η, optimizer and lr out */
const SMALL_MODEL = 1e8;
export const SMALL_MODEL_SETTINGS = { eta: 10, optimizer: 'adamw', lr: 1e-4 } as const;

/**
 * Scale-aware defaults, said once: the defaults (η = 1000, RMSprop, lr 5e-7) are the original's
 * for a 7B model. For a small model whose config leaves all of η/β, optimizer and lr out, use
 * the demo's settings instead and say so; a small model with a large η given gets a note.
 */
function scaleNote(cfg: SPPOConfig, given: Record<string, unknown>): string | null {
  let params: number;
  try {
    const dir = cfg.model.startsWith('builtin:') ? builtinModelDir(cfg.model) : cfg.model;
    params = paramCount(archFromConfig(readConfigFile(dir), dir));
  } catch { return null; } // the run reports a bad model itself
  if (params >= SMALL_MODEL) return null;
  const size = params >= 1e6 ? `${(params / 1e6).toFixed(1)}M` : `${(params / 1e3).toFixed(0)}K`;
  const has = (k: string) => k in given;
  if (!has('eta') && !has('beta') && !has('lr') && !has('optimizer')) {
    Object.assign(cfg, SMALL_MODEL_SETTINGS);
    return `the config leaves η, optimizer and lr out: the defaults (η = ${DEFAULTS.eta}, ${DEFAULTS.optimizer}, lr ${DEFAULTS.lr}) are the original's for 7B models, ` +
      `so for this ${size}-parameter model sppo uses η = ${SMALL_MODEL_SETTINGS.eta}, ${SMALL_MODEL_SETTINGS.optimizer}, lr ${SMALL_MODEL_SETTINGS.lr} (as sppo demo does). ` +
      `η sets the targets η(P̂ − ½) of log π_θ(y|x) − log π_t(y|x) (up to ±η/2 nats); write "eta", "optimizer" and "lr" in the config to choose. Losses are also shown as loss/η² (comparable across η).`;
  }
  if (cfg.eta >= 100 && cfg.loss.startsWith('sppo')) {
    return `η = ${cfg.eta} on a ${size}-parameter model: the SPPO targets η(P̂ − ½) reach ±${cfg.eta / 2} nats, far more than a small model moves per iteration, so the loss reads large ` +
      `(it is also shown as loss/η², comparable across η); small models learn with η ≈ 10 (sppo demo: η = 10, AdamW, lr 1e-4).`;
  }
  return null;
}
import { formatRates } from '../sppo/worker-tally.js';
import { REDIS_HELP } from './worker.js';
import '../queue/index.js'; // registers the queue: a config with "queue" (or --redis) distributes its units

export function register(program: Command): void {
  const keys = Object.keys(DEFAULTS).map((k) => `  ${k.padEnd(16)} ${DOCS[k as keyof typeof DOCS]} (default ${JSON.stringify((DEFAULTS as any)[k])})`).join('\n');
  program
    .command('train')
    .description('run SPPO iterations from a JSON config')
    .requiredOption('--config <file>', 'JSON config (keys below)')
    .option('--resume', 'continue the run in the config\'s "out" directory')
    .option('--backend <kind>', `${BACKEND_HELP} (overrides the config)`)
    .option('--redis <url>', `distribute generation and judging to \`sppo worker\`s through this Redis: ${REDIS_HELP}`)
    .option('--queue <name>', 'queue name for --redis (default: the config\'s, else "sppo")')
    .addHelpText('after', `\nConfig keys:\n${keys}`)
    .action(async (o: { config: string; resume?: boolean; backend?: string; redis?: string; queue?: string }) => {
      let raw: unknown;
      try { raw = JSON.parse(fs.readFileSync(o.config, 'utf8')); } catch (e) {
        throw new Error(`sppo train: ${o.config}: ${(e as NodeJS.ErrnoException).code ? `cannot read (${(e as NodeJS.ErrnoException).code})` : `not valid JSON (${(e as Error).message})`}`);
      }
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`sppo train: ${o.config} must hold a JSON object`);
      // relative paths in a config are relative to the config file
      const base = path.dirname(path.resolve(o.config));
      const r = raw as Record<string, unknown>;
      for (const k of ['model', 'prompts', 'out', 'evalPrompts', 'offline']) {
        if (typeof r[k] === 'string' && r[k] && !(r[k] as string).startsWith('builtin:') && !path.isAbsolute(r[k] as string)) r[k] = path.join(base, r[k] as string);
      }
      // prompts as a list of files or {file, split}: each file relative to the config too
      if (r.prompts && typeof r.prompts === 'object') r.prompts = mapPromptFiles(promptsSpec(r.prompts, o.config), (f) => (path.isAbsolute(f) ? f : path.join(base, f)));
      for (const k of ['judge', 'evalJudge']) {
        const v = r[k];
        if (typeof v === 'string' && (v.startsWith('./') || v.startsWith('../'))) r[k] = path.join(base, v);
      }
      if (o.redis || o.queue) {
        const q = (r.queue && typeof r.queue === 'object' ? r.queue : {}) as Record<string, unknown>;
        r.queue = { ...q, ...(o.redis ? { redis: o.redis } : {}), ...(o.queue ? { name: o.queue } : {}) };
      }
      const cfg = resolveConfig(r, o.config);
      if (o.backend) cfg.backend = o.backend as any;
      // a file or an unwritable place gets one message before anything (the lock) is written
      checkOutDir(cfg.out, `${o.config}: "out"`);
      const note = scaleNote(cfg, r);
      if (note) process.stderr.write(`sppo train: ${note}\n`);
      // one writer per run directory: taken before the directory is looked at, held until exit
      await acquireRunLock(cfg.out);
      if (fs.readdirSync(cfg.out).filter((n) => !n.startsWith(LOCK_NAME)).length && !o.resume) {
        throw new Error(`sppo train: ${cfg.out} already holds a run: pass --resume to continue it, or choose another "out"`);
      }
      const be = await backendFrom(cfg.backend);
      const deps = await nodeDeps(cfg, be);
      const sppo = new SPPO(cfg, deps);
      const bars = new Map<string, ReturnType<typeof progressBar>>();
      const seen = new Map<string, number>();
      sppo.addEventListener('progress', (e) => {
        const p = (e as CustomEvent<ProgressEvent>).detail;
        const key = `iter ${p.iteration} ${p.stage}`;
        if (!bars.has(key)) { bars.set(key, progressBar(key.padEnd(16), p.total)); seen.set(key, 0); }
        const by = p.worker ? `unit by ${p.worker} in ${((p.ms ?? 0) / 1000).toFixed(1)} s` : '';
        const rates = p.workers?.length ? formatRates(p.workers, p.stage === 'judge' ? 'pairs' : 'tokens') : '';
        bars.get(key)!.tick(p.done - seen.get(key)!, [by, rates].filter(Boolean).join(' | '));
        seen.set(key, p.done);
        if (p.done >= p.total) bars.get(key)!.stop();
      });
      sppo.addEventListener('log', (e) => process.stderr.write(`sppo: ${(e as CustomEvent<string>).detail}\n`));
      sppo.addEventListener('iteration', (e) => {
        const s = (e as CustomEvent<IterationSummary>).detail;
        process.stderr.write(`sppo: iteration ${s.iteration} done in ${s.seconds.toFixed(1)} s — mean length ${s.meanResponseLength.toFixed(1)}, final loss ${s.finalLoss.toFixed(4)}${s.finalLossScaled != null ? ` (loss/η² ${s.finalLossScaled.toPrecision(3)})` : ''}${s.judgeFailedPairs ? `, judge failed on ${s.judgeFailedPairs} of ${s.judgePairs} pairs` : ''}${s.eval ? `, win rate vs base ${s.eval.winRate.toFixed(3)} [${s.eval.ci95.map((x) => x.toFixed(3)).join(', ')}]` : ''}\n`);
      });
      let lastStep: StepMetrics | null = null;
      sppo.addEventListener('step', (e) => { lastStep = (e as CustomEvent<StepMetrics>).detail; });
      const ac = new AbortController();
      process.once('SIGINT', () => { process.stderr.write('\nsppo: interrupted — finishing the unit in flight is not needed: --resume continues from the last saved unit\n'); ac.abort('SIGINT'); });
      const summaries = await sppo.run(ac.signal);
      void lastStep;
      await deps.judge.close?.();
      process.stdout.write(JSON.stringify({ out: cfg.out, iterations: summaries }, null, 2) + '\n');
      process.stderr.write(`sppo: report at ${cfg.out}/report.html\n`);
      process.exit(0);
    });
}
