import { runCases } from './harness.js';
import { cases } from './cases/attention-cached.js';
runCases('attention-cached', cases);
