// The WebGPU kernels of the softmax, norm, reduce, activation, embedding, optim and lmhead families
// again, under each row-kernel variant forced in turn ('workgroup' and 'serial': see
// src/kernels/webgpu/ops/variants.ts; the family test files run both too) with 1-D grids
// folded into 2-D after 2 workgroups, so that the folding code of each variant runs on small
// inputs.
import { requireWebGPU, runCases, type KernelCase } from './harness.js';
import type { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { setGridLimit, setRowVariant, type RowVariant } from '../../src/kernels/webgpu/ops/variants.js';
import { cases as softmax } from './cases/softmax.js';
import { cases as norm } from './cases/norm.js';
import { cases as reduce } from './cases/reduce.js';
import { cases as activation } from './cases/activation.js';
import { cases as embedding } from './cases/embedding.js';
import { cases as optim } from './cases/optim.js';
import { cases as lmhead } from './cases/lmhead.js';

const GRID_LIMIT = 2;

/** the same cases, each run with the variant forced and the grid limit lowered */
function under(variant: RowVariant, cases: KernelCase[]): KernelCase[] {
  return cases.map((c) => ({
    name: c.name,
    async run(ctx) {
      const be = ctx.be as WebGPUBackend;
      setRowVariant(be, variant);
      setGridLimit(be, GRID_LIMIT);
      try { await c.run(ctx); } finally { setRowVariant(be, null); setGridLimit(be, null); }
    },
  }));
}

if (requireWebGPU('webgpu-variants.test.ts')) {
  process.env.SPPO_TEST_BACKENDS = 'webgpu';
  const families: [string, KernelCase[]][] = [['softmax', softmax], ['norm', norm], ['reduce', reduce], ['activation', activation], ['embedding', embedding], ['optim', optim], ['lmhead', lmhead]];
  for (const variant of ['serial', 'workgroup'] as const) {
    for (const [family, cases] of families) runCases(`${family} (${variant}, grids folded at ${GRID_LIMIT})`, under(variant, cases));
  }
}
