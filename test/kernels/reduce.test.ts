import { runCases } from './harness.js';
import { cases } from './cases/reduce.js';
runCases('reduce', cases);
