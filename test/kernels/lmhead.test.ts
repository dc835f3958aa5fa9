import { runCases } from './harness.js';
import { cases } from './cases/lmhead.js';
runCases('lmhead', cases);
