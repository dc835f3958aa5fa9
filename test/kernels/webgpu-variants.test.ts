// The WebGPU kernels of the softmax, norm, reduce, activation, embedding and optim families
// again, under the row-kernel variant the adapter does NOT default to ('workgroup' on
// SwiftShader, 'serial' on GPUs: see src/kernels/webgpu/ops/variants.ts), and with 1-D grids
// folded into 2-D after 7 workgroups, so that the folding code runs on small inputs.
import { suite } from 'uvu';
import { backendNames, getBackend, runCases } from './harness.js';
import type { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { rowVariant, setGridLimit, setRowVariant } from '../../src/kernels/webgpu/ops/variants.js';
import { cases as softmax } from './cases/softmax.js';
import { cases as norm } from './cases/norm.js';
import { cases as reduce } from './cases/reduce.js';
import { cases as activation } from './cases/activation.js';
import { cases as embedding } from './cases/embedding.js';
import { cases as optim } from './cases/optim.js';

if (backendNames().includes('webgpu')) {
  process.env.SPPO_TEST_BACKENDS = 'webgpu';
  const be = (await getBackend('webgpu')) as WebGPUBackend;
  const other = rowVariant(be) === 'serial' ? 'workgroup' : 'serial';
  setRowVariant(be, other);
  setGridLimit(be, 7);
  const tag = `${other} variant, grids folded at 7`;
  runCases(`softmax (${tag})`, softmax);
  runCases(`norm (${tag})`, norm);
  runCases(`reduce (${tag})`, reduce);
  runCases(`activation (grids folded at 7)`, activation);
  runCases(`embedding (grids folded at 7)`, embedding);
  runCases(`optim (grids folded at 7)`, optim);
} else {
  const s = suite('webgpu variants');
  s('webgpu is not among SPPO_TEST_BACKENDS: nothing here to run', () => {});
  s.run();
}
