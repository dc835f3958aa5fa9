import { runCases } from './harness.js';
import { cases } from './cases/softmax.js';
runCases('softmax', cases);
