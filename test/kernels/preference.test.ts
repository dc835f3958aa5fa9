import { runCases } from './harness.js';
import { cases } from './cases/preference.js';
runCases('preference', cases);
