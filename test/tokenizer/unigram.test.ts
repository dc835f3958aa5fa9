// SentencePiece Unigram (src/tokenizer/spm-model.ts + unigram.ts) against ids computed by an
// independent Python Viterbi (tools/fixture_pairrm.py) over a hand-written spm.model: the dummy
// prefix, whitespace collapsing, longest-vs-best segmentation, unknown characters merged into one
// [UNK], empty text. Plus byte fallback, normalisation of non-ASCII whitespace, and one clear
// error for files that are not SentencePiece models.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenizerFileError } from '../../src/tokenizer/errors.js';
import { parseSpmModel, PIECE_BYTE, PIECE_NORMAL } from '../../src/tokenizer/spm-model.js';
import { UnigramTokenizer } from '../../src/tokenizer/unigram.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../fixtures/pairrm');
const spmFile = path.join(dir, 'spm.model');
const expected: { tokenize: { text: string; ids: number[] }[] } = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));

test('spm.model parses: pieces, types, normalizer spec', () => {
  const m = parseSpmModel(fs.readFileSync(spmFile), spmFile);
  assert.is(m.pieces[0].piece, '[PAD]');
  assert.is(m.pieces[1].piece, '[CLS]');
  assert.is(m.pieces[3].piece, '[UNK]');
  assert.is(m.unkId, 3);
  assert.is(m.modelType, 1);
  assert.is(m.normalizer.name, 'nmt_nfkc');
  assert.ok(m.normalizer.addDummyPrefix && m.normalizer.removeExtraWhitespaces && m.normalizer.escapeWhitespaces);
  assert.ok(m.pieces.slice(4).every((p) => p.type === PIECE_NORMAL && p.score < 100));
});

test('Unigram Viterbi ids match the independent Python implementation', () => {
  const tok = new UnigramTokenizer(parseSpmModel(fs.readFileSync(spmFile), spmFile), spmFile);
  assert.ok(expected.tokenize.length >= 6);
  for (const { text, ids } of expected.tokenize) assert.equal(tok.encode(text), ids, `ids of ${JSON.stringify(text)}`);
});

test('normalisation: tabs, newlines and NBSP are spaces; NFKC; zero-width removed', () => {
  const tok = new UnigramTokenizer(parseSpmModel(fs.readFileSync(spmFile), spmFile), spmFile);
  assert.equal(tok.encode('hello\tworld\n'), tok.encode('hello world'));
  assert.equal(tok.encode('hello\u00a0\u3000world'), tok.encode('hello world'));
  assert.equal(tok.encode('hel\u200blo'), tok.encode('hello'));
  assert.equal(tok.encode('\uff48ello'), tok.encode('hello')); // full-width h → h (NFKC)
});

test('byte fallback: an unknown character becomes its UTF-8 bytes', () => {
  const pieces = [
    { piece: '<unk>', score: 0, type: 2 }, { piece: '\u2581', score: -1, type: PIECE_NORMAL }, { piece: 'a', score: -2, type: PIECE_NORMAL },
    ...Array.from({ length: 256 }, (_, b) => ({ piece: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, score: 0, type: PIECE_BYTE })),
  ];
  const tok = new UnigramTokenizer({ pieces, modelType: 1, byteFallback: true, unkId: 0, normalizer: { name: 'identity', addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true, hasCharsmap: false } });
  // "aé": ▁ a, then é = C3 A9 as byte pieces (id = 3 + byte)
  assert.equal(tok.encode('aé'), [1, 2, 3 + 0xc3, 3 + 0xa9]);
  const noFallback = new UnigramTokenizer({ pieces, modelType: 1, byteFallback: false, unkId: 0, normalizer: { name: 'identity', addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true, hasCharsmap: false } });
  assert.equal(noFallback.encode('aéé'), [1, 2, 0]);
});

test('not a SentencePiece model: one TokenizerFileError naming the file', () => {
  for (const bytes of [new Uint8Array([0x0a, 0x50, 0x01]), new TextEncoder().encode('{"model": {}}'), new Uint8Array(0)]) {
    try {
      parseSpmModel(bytes, 'bad/spm.model');
      assert.unreachable('parsed');
    } catch (e) {
      assert.instance(e, TokenizerFileError);
      assert.match((e as Error).message, /bad\/spm\.model/);
    }
  }
  const bpe = parseSpmModel(fs.readFileSync(spmFile), spmFile);
  try { new UnigramTokenizer({ ...bpe, modelType: 2 }, 'x/spm.model'); assert.unreachable('accepted BPE'); } catch (e) { assert.match((e as Error).message, /not UNIGRAM/); }
});

test.run();
