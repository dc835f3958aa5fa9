#!/usr/bin/python3
"""A bf16 model fixture: PyTorch rounds a small Qwen2-shaped model's weights to bfloat16, writes
them as a BF16 safetensors checkpoint (as Hugging Face saves bf16 models: every tensor BF16), and
computes the token log-probs in float64 FROM THE SAME bf16 values (the reference forward of
tools/make_model_fixtures.py). sppo loads the checkpoint with its matrices kept 16-bit on the
device (weights: 'keep') and must agree within 2e-3 (test/model/half-weights.test.ts).

    /usr/bin/python3 tools/make_half_model_fixture.py     # (re)writes test/fixtures/models/qwen2-bf16/

Files: config.json (torch_dtype bfloat16), model.safetensors (BF16), batch.json (input_ids,
attention_mask, position_ids, labels as in make_model_fixtures.py), expected.json
(token_logprobs (B, T-1) and seq_logprobs (B), float64 values).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as M  # noqa: E402  (the float64 reference forward, batch, params)
from fixture_safetensors import write_safetensors  # noqa: E402

OUT = os.path.join(M.OUT, 'qwen2-bf16')


def st_write_bf16(path, tensors):
    """tensors: list of (name, torch.bfloat16 tensor) → one BF16 safetensors file, atomically"""
    write_safetensors(path, [(name, 'BF16', t.shape, t.contiguous().view(torch.int16).numpy().astype('<i2').tobytes()) for name, t in tensors])


def main():
    config = {
        'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'vocab_size': 93, 'hidden_size': 40,
        'intermediate_size': 72, 'num_hidden_layers': 2, 'num_attention_heads': 5, 'num_key_value_heads': 1,
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'tie_word_embeddings': True,
        'use_sliding_window': False, 'sliding_window': 64, 'hidden_act': 'silu', 'bos_token_id': None,
        'eos_token_id': 92, 'torch_dtype': 'bfloat16'}
    os.makedirs(OUT, exist_ok=True)
    gen = np.random.default_rng(11)
    params = M.init_params(config, gen, 0.5)
    # PyTorch makes the bf16 values (round to nearest even); the reference reads them back exactly
    bf = [(n, torch.tensor(a, dtype=torch.float32).to(torch.bfloat16)) for n, a in params]
    P = {n: t.to(torch.float64) for n, t in bf}
    ids, mask, pos, labels = M.make_batch(config['vocab_size'], gen)
    with torch.no_grad():
        logits = M.forward(config, P, ids, mask, pos)
        _, seq_lp, tok_lp = M.token_losses(logits, ids, labels)
    with open(os.path.join(OUT, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')
    st_write_bf16(os.path.join(OUT, 'model.safetensors'), bf)
    got, _ = M.st_read(os.path.join(OUT, 'model.safetensors'))
    for n, t in bf:
        assert np.array_equal(got[n], t.to(torch.float64).numpy()), n
    with open(os.path.join(OUT, 'batch.json'), 'w') as f:
        json.dump({'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'position_ids': pos.tolist(), 'labels': labels.tolist()}, f)
        f.write('\n')
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'token_logprobs': tok_lp.tolist(), 'seq_logprobs': seq_lp.tolist(),
                   'notes': 'float64 forward from the bf16 weights of model.safetensors'}, f)
        f.write('\n')
    print(f'qwen2-bf16: {sum(t.numel() for _, t in bf)} params, seq_logprobs {seq_lp.tolist()}', file=sys.stderr)


if __name__ == '__main__':
    main()
