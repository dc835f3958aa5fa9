import { runCases } from './harness.js';
import { cases } from './cases/optim.js';
runCases('optim', cases);
