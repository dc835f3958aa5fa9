// The judge layer: preference oracles P(a ≻ b | prompt) behind one batched interface.
export { JudgeError, type Judge, type Pair, type CompareOptions } from './types.js';
export { checkProbabilities, checkPairs, sigmoid } from './validate.js';
export { btJudge, type Scorer, type BTJudgeOptions } from './bt.js';
export { httpJudge, httpBase, type HttpJudgeOptions } from './http.js';
export { moduleJudge } from './module.js';
export { judgeFromValue, isJudgeValue, judgeSpecName, type JudgeFunction, type JudgeObject, type JudgeValue, type JudgeSpec } from './value.js';
export { builtinJudges, getBuiltin, registerBuiltin, type BuiltinJudge } from './builtins.js';
export { sentimentScore } from './lexicon.js';
export { cyclic3Class, cyclic3Prob, CYCLIC3_DEFAULT_STRENGTHS } from './cyclic3.js';
export { arithAnswer, arithCorrect } from './arith.js';
export { judgeMatrix, judgeMatrices, winRates, type MatrixItem, type MatrixOptions } from './matrix.js';
export { loadJudge, registerJudgeKind, type JudgeKind, type LoadJudgeOptions } from './load.js';
