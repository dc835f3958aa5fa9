// Writes test/fixtures/tiny/model/: a tiny randomly initialised Llama-family policy (Hugging Face
// layout) with a byte-level tokenizer (256 byte tokens, <s> as BOS, </s> as EOS), the test
// suite's fast fixture for every stage of a run (it learns nothing: the trained tiny example is
// examples/tiny, made by tools/tiny/train.sh). Deterministic: same files every time.
//   node --import tsx tools/make-tiny-model.ts [outDir]
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../src/model/config.js';
import { archFromConfig, toHF } from '../src/model/hf-names.js';
import { initParams } from '../src/model/init.js';
import { writeModelDir } from '../src/model/modeldir.js';
import { BOS, byteLevelTokenizer, EOS } from './byte-tokenizer.js';

const out = process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '../test/fixtures/tiny/model');
const tokenizer = byteLevelTokenizer();
const config = parseConfig({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 258, hidden_size: 32, intermediate_size: 64,
  num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000,
  max_position_embeddings: 128, tie_word_embeddings: false, bos_token_id: BOS, eos_token_id: EOS,
}, 'tiny config');
const arch = archFromConfig(config);
const src = fs.mkdtempSync(path.join(path.dirname(out), '.tok-'));
fs.writeFileSync(path.join(src, 'tokenizer.json'), JSON.stringify(tokenizer));
fs.writeFileSync(path.join(src, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', add_bos_token: true, model_max_length: 128, tokenizer_class: 'PreTrainedTokenizerFast' }, null, 2));
writeModelDir(out, { config, tensors: toHF(arch, initParams(arch, 1234)), copyFrom: src, overwrite: true });
fs.rmSync(src, { recursive: true, force: true });
console.error(`wrote ${out}`);
