// `sppo tokenize --tokenizer FILE [--decode] [--special] [--add-special] [--skip-special]`
// stdin: one JSON string per line -> stdout: one JSON array of token ids per line, in order,
// nothing else ("" gives []). --decode goes back: one JSON id array per line -> one JSON string.
// FILE is a tokenizer.json (tokenizer_config.json is read from beside it when present), a model
// directory, or a llama2.c tokenizer.bin. By default no BOS/EOS is added and special-token
// literals in the text are plain text; --special matches them as special tokens (as Hugging Face
// tokenizers do by default); --add-special adds BOS/EOS as the tokenizer's config says.
// --skip-special (with --decode) leaves special tokens out of the text.
import readline from 'node:readline';
import type { Command } from 'commander';
import { loadTokenizer } from '../tokenizer/node.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

interface TokenizeOptions {
  tokenizer: string;
  decode?: boolean;
  special?: boolean;
  addSpecial?: boolean;
  skipSpecial?: boolean;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/** Turns one input line into one output line (throws with a message naming the problem). */
function lineHandler(tok: Tokenizer, o: TokenizeOptions): (line: string, n: number) => string {
  if (o.decode) {
    return (line, n) => {
      let v: unknown;
      try { v = JSON.parse(line); } catch {
        throw new Error(`sppo tokenize: stdin line ${n}: not JSON — with --decode each line must be a JSON array of token ids, e.g. [15496, 995]`);
      }
      if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) {
        throw new Error(`sppo tokenize: stdin line ${n}: expected a JSON array of integer token ids, got ${describe(v)}`);
      }
      try {
        return JSON.stringify(tok.decode(v as number[], { skipSpecial: o.skipSpecial }));
      } catch (e) {
        throw new Error(`sppo tokenize: stdin line ${n}: ${(e as Error).message}`);
      }
    };
  }
  const opts = { special: o.special ?? false, addSpecial: o.addSpecial ?? false };
  return (line, n) => {
    let v: unknown;
    try { v = JSON.parse(line); } catch {
      throw new Error(`sppo tokenize: stdin line ${n}: not JSON — each line must be a JSON string, e.g. "Hello world" (use --decode to turn id arrays back into text)`);
    }
    if (typeof v !== 'string') throw new Error(`sppo tokenize: stdin line ${n}: expected a JSON string, got ${describe(v)}`);
    return '[' + tok.encodeIds(v, opts).join(',') + ']';
  };
}

export async function runTokenize(o: TokenizeOptions, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const tok = await loadTokenizer(o.tokenizer);
  const handle = lineHandler(tok, o);
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  let buf = '';
  let n = 0;
  const flush = async () => {
    if (!buf) return;
    const chunk = buf;
    buf = '';
    if (!output.write(chunk)) await new Promise<void>((r) => output.once('drain', () => r()));
  };
  try {
    for await (const line of rl) {
      n++;
      buf += handle(line, n) + '\n';
      if (buf.length > 1 << 16) await flush();
    }
  } finally {
    await flush(); // the lines before a bad one still get their output
  }
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('JSON strings on stdin (one per line) -> JSON token id arrays on stdout; --decode goes back')
    .requiredOption('--tokenizer <file>', 'tokenizer.json (tokenizer_config.json read from beside it), a model directory, or a llama2.c tokenizer.bin')
    .option('--decode', 'read JSON id arrays, write JSON strings')
    .option('--special', 'match special-token literals in the text as special tokens (default: plain text)')
    .option('--add-special', 'add BOS/EOS as the tokenizer config says')
    .option('--skip-special', 'with --decode: leave special tokens out of the text')
    .action(async (o: TokenizeOptions) => {
      await runTokenize(o, process.stdin, process.stdout);
    });
}
