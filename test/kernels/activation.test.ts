import { runCases } from './harness.js';
import { cases } from './cases/activation.js';
runCases('activation', cases);
