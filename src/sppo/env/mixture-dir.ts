// The iterates of a run directory as a mixture (Node): RUN_DIR/iter-1/model … iter-T/model,
// every finished iteration (iter-N/summary.json written) from 1 up to the first unfinished one.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../../kernels/backend.js';
import { loadModel } from '../../model/load.js';
import type { MixtureMember } from '../mixture.js';
import { Policy, type PolicyText } from '../policy.js';

/** the model directories of a run's finished iterations, in order */
export function runIterates(runDir: string): string[] {
  if (!fs.existsSync(path.join(runDir, 'config.json'))) throw new Error(`mixture: ${runDir} is not a run directory (no config.json): give the "out" directory of an sppo train run`);
  const dirs: string[] = [];
  for (let t = 1; fs.existsSync(path.join(runDir, `iter-${t}`, 'summary.json')); t++) {
    const m = path.join(runDir, `iter-${t}`, 'model');
    if (!fs.existsSync(path.join(m, 'config.json'))) throw new Error(`mixture: ${m} is missing although iteration ${t} finished`);
    dirs.push(m);
  }
  if (!dirs.length) throw new Error(`mixture: ${runDir} has no finished iteration (iter-1/summary.json): train at least one`);
  return dirs;
}

/** one member per finished iterate; each loads its model when drawn and frees it after */
export function mixtureMembers(be: Backend, runDir: string, text: PolicyText, o: { batch?: number } = {}): MixtureMember[] {
  return runIterates(runDir).map((dir) => ({
    name: dir,
    async load() {
      const lm = loadModel(be, dir, { batch: o.batch });
      return { policy: new Policy(lm.model, text), dispose: () => lm.model.dispose() };
    },
  }));
}
