#!/usr/bin/python3
"""A llama2.c model folder as karpathy/llama2.c ships one (model.bin + tokenizer.bin), for the
tests that load it through `--model` and the library's model sources, with PyTorch's float64 logits.

    /usr/bin/python3 tools/fixture_llama2c_cli.py     # (re)write test/fixtures/models/llama2c-cli/

Writes test/fixtures/models/llama2c-cli/:
  model.bin             llama2.c version-1 checkpoint (export.py --version 1 layout), unshared
                        classifier, GQA (4 heads on 2 kv heads), vocab 300; q/k rows in Meta's
                        interleaved rotary order, as export.py writes them
  tokenizer.bin         llama2.c tokenizer (run.c's format): <unk>, <s>, </s>, the 256 byte tokens,
                        then 41 pieces with merge scores (300 tokens, matching the model's vocab)
  hf/config.json, hf/model.safetensors, hf/tokenizer.bin
                        the same weights as a Hugging Face LlamaForCausalLM directory (q/k rows in
                        rotate_half order), so a test can load both and compare
  expected.safetensors  logits (2, 9, 300) of a llama2.c-style forward (interleaved rotary, Meta
                        rows; make_model_fixtures.meta_forward), checked against the HF-layout
                        forward on hf/ (make_model_fixtures.llama_forward) to 1e-10
  cases.json            the input_ids of those logits
Model math, safetensors and llama2.c writers are make_model_fixtures.py's.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import (OUT, hf_position_ids, init_params, llama_forward, meta_forward,  # noqa: E402
                                 meta_rows_from_hf, roundtrip_check, st_write, write_llama2c)

torch.set_default_dtype(torch.float64)

PIECES = [' ', 'e', 't', 'a', 'o', 'n', 'i', 's', 'h', 'r', 'l', 'd', ' t', 'th', 'he', ' th', ' the', 'in', 'er', 'an',
          ' a', 'on', 're', 'at', 'en', 'ed', 'nd', 'ha', 'or', 'es', ' s', ' w', ' o', 'is', 'it', 'ou', 'll', 'hi', 'ng',
          'ing', ' and']


def write_tokenizer(path):
    """run.c's tokenizer.bin: u32 max_token_length, then per token f32 score, i32 length, bytes"""
    toks = [(b'<unk>', 0.0), (b'\n<s>\n', 0.0), (b'\n</s>\n', 0.0)]
    toks += [(f'<0x{b:02X}>'.encode(), 0.0) for b in range(256)]
    toks += [(p.encode(), -float(i)) for i, p in enumerate(PIECES)]
    with open(path, 'wb') as f:
        f.write(struct.pack('<I', max(len(t) for t, _ in toks)))
        for t, score in toks:
            f.write(struct.pack('<fi', score, len(t)) + t)
    return len(toks)


def main():
    d = os.path.join(OUT, 'llama2c-cli')
    os.makedirs(os.path.join(d, 'hf'), exist_ok=True)
    V = write_tokenizer(os.path.join(d, 'tokenizer.bin'))
    shutil.copyfile(os.path.join(d, 'tokenizer.bin'), os.path.join(d, 'hf', 'tokenizer.bin'))
    c = {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'vocab_size': V, 'hidden_size': 24,
         'intermediate_size': 40, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
         'max_position_embeddings': 64, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'tie_word_embeddings': False,
         'hidden_act': 'silu', 'bos_token_id': 1, 'eos_token_id': 2, 'torch_dtype': 'float32'}
    H, Hkv, D = 4, 2, 6
    gen = np.random.default_rng(21)
    # larger matrices than init_params' 1/sqrt(in): decisive greedy tokens for the generate tests
    params = [(n, (a * (6.0 if a.ndim == 2 else 1.0)).astype(np.float32)) for n, a in init_params(c, gen, 1.0)]
    hf = dict(params)
    meta = {'tok_embeddings': hf['model.embed_tokens.weight'], 'norm': hf['model.norm.weight'], 'output': hf['lm_head.weight']}
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}'
        meta[f'attention_norm.{i}'] = hf[f'{p}.input_layernorm.weight']
        meta[f'ffn_norm.{i}'] = hf[f'{p}.post_attention_layernorm.weight']
        meta[f'wq.{i}'] = meta_rows_from_hf(hf[f'{p}.self_attn.q_proj.weight'], H, D)
        meta[f'wk.{i}'] = meta_rows_from_hf(hf[f'{p}.self_attn.k_proj.weight'], Hkv, D)
        meta[f'wv.{i}'] = hf[f'{p}.self_attn.v_proj.weight']
        meta[f'wo.{i}'] = hf[f'{p}.self_attn.o_proj.weight']
        meta[f'w1.{i}'] = hf[f'{p}.mlp.gate_proj.weight']
        meta[f'w2.{i}'] = hf[f'{p}.mlp.down_proj.weight']
        meta[f'w3.{i}'] = hf[f'{p}.mlp.up_proj.weight']
    write_llama2c(os.path.join(d, 'model.bin'), c, meta, 1, False)
    st_write(os.path.join(d, 'hf', 'model.safetensors'), params)
    roundtrip_check(os.path.join(d, 'hf', 'model.safetensors'), params)
    with open(os.path.join(d, 'hf', 'config.json'), 'w') as f:
        json.dump(c, f, indent=2)
        f.write('\n')
    ids = torch.tensor(gen.integers(0, V, (2, 9)))
    mask = torch.ones_like(ids)
    P = {n: torch.tensor(a.astype(np.float64)) for n, a in params}
    M = {n: torch.tensor(np.asarray(a, np.float64)) for n, a in meta.items()}
    hf_logits = llama_forward(c, P, ids, mask, hf_position_ids(mask))
    logits = meta_forward(c, M, ids)
    err = (hf_logits - logits).abs().max().item()
    assert err < 1e-10, f'max |HF - Meta| = {err}'
    st_write(os.path.join(d, 'expected.safetensors'), [('logits', logits.numpy().astype(np.float32))])
    with open(os.path.join(d, 'cases.json'), 'w') as f:
        json.dump({'input_ids': ids.tolist()}, f)
        f.write('\n')
    size = sum(os.path.getsize(os.path.join(r, x)) for r, _, fs in os.walk(d) for x in fs)
    print(f'llama2c-cli: vocab {V}, max |HF - Meta| logits {err:.1e}, {size / 1024:.0f} KiB', file=sys.stderr)


if __name__ == '__main__':
    main()
