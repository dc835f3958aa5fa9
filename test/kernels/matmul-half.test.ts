import { runCases } from './harness.js';
import { cases } from './cases/matmul-half.js';
runCases('matmul-half', cases);
