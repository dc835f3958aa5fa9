import { runCases } from './harness.js';
import { cases } from './cases/embedding.js';
runCases('embedding', cases);
