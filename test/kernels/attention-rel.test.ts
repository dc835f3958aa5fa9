import { runCases } from './harness.js';
import { cases } from './cases/attention-rel.js';
runCases('attention-rel', cases);
