// The byte-level tokenizer.json the tools' tiny models share (tools/make-tiny-model.ts,
// tools/demo/make-data.ts, tools/tiny/make-data.ts): 256 byte tokens (GPT-2's byte → character
// map), no merges, <s> = 256 as BOS (added by the post-processor), </s> = 257 as EOS.
import fs from 'node:fs';
import path from 'node:path';
import { BYTE_TO_CHAR } from '../src/tokenizer/byte-level.js';

export const BOS = 256, EOS = 257, VOCAB = 258;

export function byteLevelTokenizer(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => { vocab[c] = b; });
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(BOS, '<s>'), special(EOS, '</s>')],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [BOS], tokens: ['<s>'] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: { ...vocab, '<s>': BOS, '</s>': EOS }, merges: [] },
  };
}

/** writes tokenizer.json and tokenizer_config.json (model_max_length = maxPositions) into dir */
export function writeByteTokenizer(dir: string, maxPositions: number): void {
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(byteLevelTokenizer()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', add_bos_token: true, model_max_length: maxPositions, tokenizer_class: 'PreTrainedTokenizerFast' }, null, 2) + '\n');
}
