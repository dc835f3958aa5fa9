import { runCases } from './harness.js';
import { cases } from './cases/matmul.js';
runCases('matmul', cases);
