import { runCases } from './harness.js';
import { cases } from './cases/norm.js';
runCases('norm', cases);
