// Strict checkpoint ↔ config matching (after the expected tensors were found and shaped): every
// tensor of the checkpoint must be used. Extra tensors — layers past num_hidden_layers, a bias
// the config does not have, a second head — are ONE error listing them by name. A tied config
// (tie_word_embeddings true) may carry an lm_head.weight only when it IS the embedding (bit for
// bit, as some exports store the shared matrix twice). No node: imports.
import type { ModelConfig } from './config.js';
import { ModelFileError } from './io-errors.js';
import { listSome } from './safetensors.js';

/**
 * Throws when `unused` (checkpoint tensors no parameter took, known buffers excluded) is not
 * empty. `readTensor` reads a checkpoint tensor by HF name (or its alias) as f32, for a tied
 * head; `source` names the checkpoint, `configFile` the config.json.
 */
export function checkAllUsed(cfg: ModelConfig, unused: readonly string[], readTensor: (name: string) => Float32Array, source: string, configFile: string): void {
  let rest = [...unused];
  const head = rest.find((n) => n === 'lm_head.weight');
  if (head && cfg.tieWordEmbeddings) {
    // both read the same way from the file (a 16-bit pair compares bit for bit as f32 too)
    const emb = readTensor(cfg.arch === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight');
    const h = readTensor(head);
    if (!sameBits(h, emb)) {
      throw new ModelFileError(configFile, '"tie_word_embeddings" is true, but the checkpoint holds its own lm_head.weight, which differs from the token embedding',
        `set "tie_word_embeddings": false in ${configFile} (the model has a separate head), or remove lm_head.weight from ${source}`);
    }
    rest = rest.filter((n) => n !== head);
  }
  if (!rest.length) return;
  const layers = new Set<number>();
  for (const n of rest) { const m = /\.(?:layers|h)\.(\d+)\./.exec(n); if (m) layers.add(Number(m[1])); }
  const hint = [...layers].some((l) => l >= cfg.numLayers)
    ? `the checkpoint has layers past num_hidden_layers = ${cfg.numLayers}: set it to the checkpoint's layer count`
    : rest.some((n) => n.endsWith('.bias')) ? 'the checkpoint has biases the config does not (attention_bias, mlp_bias, model_type qwen2): set the config to match'
      : rest.includes('lm_head.weight') ? '' : 'check that config.json belongs to these weights';
  throw new ModelFileError(source, `holds ${rest.length} tensor${rest.length > 1 ? 's' : ''} that ${configFile} does not describe: ${listSome(rest, 8)}`,
    hint || 'check that config.json belongs to these weights, or remove the extra tensors');
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
