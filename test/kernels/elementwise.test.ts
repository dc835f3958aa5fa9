import { runCases } from './harness.js';
import { cases } from './cases/elementwise.js';
runCases('elementwise', cases);
