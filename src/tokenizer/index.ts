// Tokenizers: Hugging Face tokenizer.json (byte-level BPE and SentencePiece-style BPE) and
// llama2.c's tokenizer.bin, with the hot loops in WebAssembly (assembly/tokenizer/).
// Runtime-agnostic (Node, Deno, browsers); loading from a path lives in ./node.ts.
export { Tokenizer, cleanUpTokenizationSpaces, type EncodeOptions, type DecodeOptions, type TokenizerSpec } from './tokenizer.js';
export { tokenizerFromJSON, tokenizerFromJSONSync, hfSpec, type HfLoadOptions } from './hf-json.js';
export { tokenizerFromLlama2c, tokenizerFromLlama2cSync, llama2cSpec, readLlama2cTokens, writeLlama2cTokens, type Llama2cToken } from './llama2c.js';
export { DecodeStream } from './stream.js';
export { TokenizerFileError } from './errors.js';
export type { AddedToken } from './added-tokens.js';
