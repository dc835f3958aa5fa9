// Node-only: load a tokenizer from a path. A .json file is a Hugging Face tokenizer.json (its
// tokenizer_config.json is read from the same folder when present); a directory means
// DIR/tokenizer.json, or DIR/tokenizer.bin when that is what it holds; anything else is read as
// llama2.c's tokenizer.bin.
import fs from 'node:fs';
import path from 'node:path';
import { TokenizerFileError } from './errors.js';
import { hfSpec, type HfLoadOptions } from './hf-json.js';
import { llama2cSpec } from './llama2c.js';
import { Tokenizer, type TokenizerSpec } from './tokenizer.js';

function readOrFail(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new TokenizerFileError(file, '', `cannot read it (${why}) — pass the path of a tokenizer.json or a llama2.c tokenizer.bin`);
  }
}

/** Resolves a path (file or model directory) to the tokenizer file in it. */
export function resolveTokenizerPath(p: string): string {
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    for (const name of ['tokenizer.json', 'tokenizer.bin']) {
      const f = path.join(p, name);
      if (fs.existsSync(f)) return f;
    }
    throw new TokenizerFileError(p, '', 'the directory holds neither tokenizer.json nor tokenizer.bin');
  }
  return p;
}

export function tokenizerSpecFromFile(p: string, opts: Omit<HfLoadOptions, 'file' | 'configFile'> = {}): TokenizerSpec {
  const file = resolveTokenizerPath(p);
  const data = readOrFail(file);
  const looksJson = file.endsWith('.json') || data.subarray(0, 64).toString('utf8').trimStart().startsWith('{');
  if (!looksJson) return llama2cSpec(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), file);
  const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
  const config = fs.existsSync(configFile) ? readOrFail(configFile).toString('utf8') : null;
  return hfSpec(data.toString('utf8'), config, { ...opts, file, configFile });
}

/** Loads the tokenizer at a path (see the file comment). */
export async function loadTokenizer(p: string, opts: Omit<HfLoadOptions, 'file' | 'configFile'> = {}): Promise<Tokenizer> {
  return Tokenizer.create(tokenizerSpecFromFile(p, opts));
}

export function loadTokenizerSync(p: string, opts: Omit<HfLoadOptions, 'file' | 'configFile'> = {}): Tokenizer {
  return Tokenizer.createSync(tokenizerSpecFromFile(p, opts));
}
