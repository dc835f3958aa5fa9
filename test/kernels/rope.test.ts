import { runCases } from './harness.js';
import { cases } from './cases/rope.js';
runCases('rope', cases);
